/**
 * Options of the `otlphttp` exporter, named and defaulted as the Collector's otlphttpexporter:
 * `endpoint` (the base URL; `/v1/<signal>` is appended), per-signal `*_endpoint` overrides used
 * as given, `headers`, `compression` (gzip), `encoding` (proto), `timeout` (30s), `tls`,
 * `auth`, `retry_on_failure`, `sending_queue`.
 */
import { authSchema, duration, headers, httpUrl, tlsClientSchema, z } from '../../config/schema.js';
import { exporterHelperFields } from '../../exporterhelper/config.js';

/** The strict schema of the `otlphttp` section. */
export const otlpHttpExporterConfigSchema = z.strictObject({
  endpoint: httpUrl.optional(),
  traces_endpoint: httpUrl.optional(),
  metrics_endpoint: httpUrl.optional(),
  logs_endpoint: httpUrl.optional(),
  headers,
  compression: z.enum(['gzip', 'deflate', 'zstd', 'none', '']).default('gzip'),
  encoding: z.enum(['proto', 'json']).default('proto'),
  tls: tlsClientSchema,
  auth: authSchema.optional(),
  ...exporterHelperFields,
  timeout: duration('30s'),
});

/** The parsed config. */
export type OtlpHttpExporterConfig = z.output<typeof otlpHttpExporterConfigSchema>;
