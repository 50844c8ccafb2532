/** Factory of the `otlphttp` exporter. */
import type { ExporterFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type OtlpHttpExporterConfig, otlpHttpExporterConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('exporter/otlphttp', () => import('./exporter.js'));

/** `otlphttp`: sends traces, metrics and logs over OTLP/HTTP (protobuf or JSON). */
export const otlpHttpExporterFactory: ExporterFactory<OtlpHttpExporterConfig> = {
  type: 'otlphttp',
  kind: 'exporter',
  description: 'Sends traces, metrics and logs over OTLP/HTTP (protobuf or JSON) to Tempo or another collector',
  exampleConfig: { endpoint: 'http://localhost:4318' },
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: otlpHttpExporterConfigSchema,
  load: impl.load,
  create: (settings, config, signals) => impl.get().createOtlpHttpExporter(settings, config, signals),
};
