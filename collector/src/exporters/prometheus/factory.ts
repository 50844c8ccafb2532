/** Factory of the `prometheus` (pull) exporter. */
import type { ExporterFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type PrometheusExporterConfig, prometheusExporterConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('exporter/prometheus', () => import('./exporter.js'));

/** `prometheus`: serves received metrics on /metrics for Prometheus to scrape. */
export const prometheusExporterFactory: ExporterFactory<PrometheusExporterConfig> = {
  type: 'prometheus',
  kind: 'exporter',
  description: 'Serves received metrics on /metrics at its endpoint for Prometheus to scrape (text format or OpenMetrics)',
  stability: { metrics: 'beta' },
  configSchema: prometheusExporterConfigSchema as never,
  exampleConfig: { endpoint: '127.0.0.1:8889' },
  load: impl.load,
  create: (settings, config, signals) => impl.get().createPrometheusExporter(settings, config, signals),
};
