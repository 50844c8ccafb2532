/** Factory of the `debug` exporter. */
import type { ExporterFactory } from '../../component/component.js';
import { type DebugConfig, debugConfigSchema } from './config.js';
import { createDebugExporter } from './exporter.js';

/** `debug`: writes received data to stdout, for troubleshooting pipelines. */
export const debugExporterFactory: ExporterFactory<DebugConfig> = {
  type: 'debug',
  kind: 'exporter',
  description: 'Writes traces, metrics and logs to stdout (summary, one line per record, or every field)',
  stability: { traces: 'development', metrics: 'development', logs: 'development' },
  configSchema: debugConfigSchema,
  create: (settings, config, signals) => createDebugExporter(settings, config, signals),
};
