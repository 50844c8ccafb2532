import type { ExporterFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type PrometheusRemoteWriteConfig, prometheusRemoteWriteConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('exporter/prometheusremotewrite', () => import('./exporter.js'));

/** `prometheusremotewrite`: OTLP metrics to any Prometheus remote-write 1.0 endpoint, with exemplars. */
export const prometheusRemoteWriteExporterFactory: ExporterFactory<PrometheusRemoteWriteConfig> = {
  type: 'prometheusremotewrite',
  kind: 'exporter',
  description: 'Sends metrics to Prometheus, Mimir, Thanos or VictoriaMetrics over remote-write 1.0',
  exampleConfig: { endpoint: 'http://localhost:9090/api/v1/write' },
  configSchema: prometheusRemoteWriteConfigSchema,
  stability: { metrics: 'beta' },
  load: impl.load,
  create: (settings, config, signals) => impl.get().createPrometheusRemoteWriteExporter(settings, config, signals),
};
