/** Factory of the `debug` exporter. */
import type { ExporterFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type DebugConfig, debugConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('exporter/debug', () => import('./exporter.js'));

/** `debug`: writes received data to stdout, for troubleshooting pipelines. */
export const debugExporterFactory: ExporterFactory<DebugConfig> = {
  type: 'debug',
  kind: 'exporter',
  description: 'Writes traces, metrics and logs to stdout (summary, one line per record, or every field)',
  stability: { traces: 'development', metrics: 'development', logs: 'development' },
  configSchema: debugConfigSchema,
  load: impl.load,
  create: (settings, config, signals) => impl.get().createDebugExporter(settings, config, signals),
};
