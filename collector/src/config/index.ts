/**
 * The config loader: OpenTelemetry Collector YAML files → a validated, frozen CollectorConfig, or
 * every problem with its path and `file:line:column`. See README.md in this folder for the format.
 */
export { SUPPORTED_PROVIDERS } from './env.js';
export { type LoadOptions, loadConfig, TOP_LEVEL_KEYS } from './load.js';
export { assertValid, type ConfigProblem, formatProblem, type LoadResult } from './problems.js';
export { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT } from './telemetry.js';
export type { CollectorConfig, ComponentConfig, PipelineConfig, TelemetryConfig } from './types.js';
