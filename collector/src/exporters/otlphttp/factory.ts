/** Factory of the `otlphttp` exporter. */
import type { ExporterFactory } from '../../component/component.js';
import { type OtlpHttpExporterConfig, otlpHttpExporterConfigSchema } from './config.js';
import { createOtlpHttpExporter } from './exporter.js';

/** `otlphttp`: sends traces, metrics and logs over OTLP/HTTP (protobuf or JSON). */
export const otlpHttpExporterFactory: ExporterFactory<OtlpHttpExporterConfig> = {
  type: 'otlphttp',
  kind: 'exporter',
  description: 'Sends traces, metrics and logs over OTLP/HTTP (protobuf or JSON) to Tempo or another collector',
  exampleConfig: { endpoint: 'http://localhost:4318' },
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: otlpHttpExporterConfigSchema,
  create: (settings, config, signals) => createOtlpHttpExporter(settings, config, signals),
};
