/** Factory of the `local` exporter. */
import type { ExporterFactory } from '../../component/component.js';
import { type LocalExporterConfig, localExporterConfigSchema } from './config.js';
import { createLocalExporter } from './exporter.js';

/** `local`: a bounded in-process store of recent telemetry with the local correlated view (default 127.0.0.1:13190). */
export const localExporterFactory: ExporterFactory<LocalExporterConfig> = {
  type: 'local',
  kind: 'exporter',
  description:
    'Keeps recent spans, logs and metrics in a bounded in-process store and serves the local correlated view (default 127.0.0.1:13190)',
  stability: { traces: 'alpha', metrics: 'alpha', logs: 'alpha' },
  configSchema: localExporterConfigSchema as never,
  create: (settings, config, signals) => createLocalExporter(settings, config, signals),
};
