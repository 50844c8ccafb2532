/** Factory of the `otlp` (gRPC) exporter. */
import type { ExporterFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type OtlpExporterConfig, otlpExporterConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('exporter/otlp', () => import('./exporter.js'));

/** `otlp`: sends traces, metrics and logs over OTLP/gRPC. */
export const otlpExporterFactory: ExporterFactory<OtlpExporterConfig> = {
  type: 'otlp',
  kind: 'exporter',
  description: 'Sends traces, metrics and logs over OTLP/gRPC to Tempo or another collector',
  exampleConfig: { endpoint: 'localhost:4317', tls: { insecure: true } },
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: otlpExporterConfigSchema,
  load: impl.load,
  create: (settings, config, signals) => impl.get().createOtlpExporter(settings, config, signals),
};
