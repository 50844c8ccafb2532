/** Factory of the `loki` exporter. */
import type { ExporterFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type LokiConfig, lokiConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('exporter/loki', () => import('./exporter.js'));

/**
 * `loki`: logs to Loki's push API, shaped as Loki's native OTLP ingestion shapes them. The
 * Collector contrib's `loki` exporter options keep working.
 */
export const lokiExporterFactory: ExporterFactory<LokiConfig> = {
  type: 'loki',
  kind: 'exporter',
  description: 'Pushes logs to Grafana Loki (protobuf+snappy or JSON), correlation IDs as structured metadata',
  stability: { logs: 'beta' },
  configSchema: lokiConfigSchema as never,
  // `endpoint` has no default (as in the contrib exporter).
  exampleConfig: { endpoint: 'http://localhost:3100/loki/api/v1/push' },
  load: impl.load,
  create: (settings, config) => impl.get().createLokiExporter(settings, config),
};
