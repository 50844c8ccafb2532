/** Factory of the `local` exporter. */
import type { ExporterFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type LocalExporterConfig, localExporterConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('exporter/local', () => import('./exporter.js'));

/** `local`: a bounded in-process store of recent telemetry with the local correlated view (default 127.0.0.1:13190). */
export const localExporterFactory: ExporterFactory<LocalExporterConfig> = {
  type: 'local',
  kind: 'exporter',
  description:
    'Keeps recent spans, logs and metrics in a bounded in-process store and serves the local correlated view (default 127.0.0.1:13190)',
  stability: { traces: 'alpha', metrics: 'alpha', logs: 'alpha' },
  configSchema: localExporterConfigSchema as never,
  load: impl.load,
  create: (settings, config, signals) => impl.get().createLocalExporter(settings, config, signals),
};
