/**
 * Options of the `otlp` (gRPC) exporter, named and defaulted as the Collector's otlpexporter
 * (configgrpc.ClientConfig + exporterhelper): `endpoint` (required; `host:port`, or with an
 * `http://` / `https://` scheme that turns TLS off / on), `headers`, `compression` (gzip),
 * `tls`, `keepalive`, `auth`, `timeout` (5s), `retry_on_failure`, `sending_queue`.
 */
import { authSchema, duration, headers, tlsClientSchema, z } from '../../config/schema.js';
import { exporterHelperFields } from '../../exporterhelper/config.js';

/** The strict schema of the `otlp` exporter section. */
export const otlpExporterConfigSchema = z.strictObject({
  endpoint: z
    .string()
    .regex(
      /^(https?:\/\/)?(\[[0-9a-fA-F:]+\]|[^:/\s]+):\d{1,5}\/?$/,
      'expected "host:port" such as "tempo:4317" (optionally with an http:// or https:// scheme)',
    ),
  headers,
  /** grpc-js compresses with gzip or deflate only; zstd and snappy are not available. */
  compression: z.enum(['gzip', 'deflate', 'none', '']).default('gzip'),
  tls: tlsClientSchema,
  keepalive: z
    .strictObject({
      time: duration('0s'),
      timeout: duration('0s'),
      permit_without_stream: z.boolean().default(false),
    })
    .optional(),
  /** Accepted for compatibility; grpc-js picks the first address (pick_first) here. */
  balancer_name: z.string().optional(),
  auth: authSchema.optional(),
  ...exporterHelperFields,
});

/** The parsed config. */
export type OtlpExporterConfig = z.output<typeof otlpExporterConfigSchema>;
