/** Factory of the `otlp` (gRPC) exporter. */
import type { ExporterFactory } from '../../component/component.js';
import { type OtlpExporterConfig, otlpExporterConfigSchema } from './config.js';
import { createOtlpExporter } from './exporter.js';

/** `otlp`: sends traces, metrics and logs over OTLP/gRPC. */
export const otlpExporterFactory: ExporterFactory<OtlpExporterConfig> = {
  type: 'otlp',
  kind: 'exporter',
  description: 'Sends traces, metrics and logs over OTLP/gRPC to Tempo or another collector',
  exampleConfig: { endpoint: 'localhost:4317', tls: { insecure: true } },
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: otlpExporterConfigSchema,
  create: (settings, config, signals) => createOtlpExporter(settings, config, signals),
};
