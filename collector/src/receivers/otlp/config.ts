/**
 * Options of the `otlp` receiver, named and defaulted as the Collector's otlpreceiver
 * (`protocols.grpc` = configgrpc.ServerConfig, `protocols.http` = confighttp.ServerConfig plus
 * the per-signal URL paths). A protocol is on when its key is present (`grpc:` with no value
 * takes every default) and off when absent, as in the Collector.
 */
import { authSchema, duration, hostPort, tlsServerSchema, z } from '../../config/schema.js';
import { httpServerFields } from '../../internal/http-server/config.js';

/** `keepalive` of the gRPC server (configgrpc.KeepaliveServerConfig). */
const keepaliveSchema = z.strictObject({
  server_parameters: z
    .strictObject({
      max_connection_idle: duration('0s'),
      max_connection_age: duration('0s'),
      max_connection_age_grace: duration('0s'),
      time: duration('2h'),
      timeout: duration('20s'),
    })
    .optional(),
  enforcement_policy: z
    .strictObject({
      min_time: duration('5m'),
      permit_without_stream: z.boolean().default(false),
    })
    .optional(),
});

/** `protocols.grpc`. */
export const grpcProtocolSchema = z.strictObject({
  endpoint: hostPort.default('localhost:4317'),
  transport: z.literal('tcp').default('tcp'),
  tls: tlsServerSchema.optional(),
  /** Largest message accepted, after decompression, in MiB. */
  max_recv_msg_size_mib: z.number().int().min(0).default(4),
  /** 0 means no limit. */
  max_concurrent_streams: z.number().int().min(0).default(0),
  /** Accepted for compatibility; grpc-js sizes its buffers itself. */
  read_buffer_size: z
    .number()
    .int()
    .min(0)
    .default(512 * 1024),
  /** Accepted for compatibility; grpc-js sizes its buffers itself. */
  write_buffer_size: z.number().int().min(0).default(0),
  keepalive: keepaliveSchema.optional(),
  auth: authSchema.optional(),
  include_metadata: z.boolean().default(false),
});

const urlPath = (def: string) =>
  z
    .string()
    .default(def)
    .transform((p) => (p.startsWith('/') ? p : `/${p}`));

/** `protocols.http`. */
export const httpProtocolSchema = z.strictObject({
  ...httpServerFields('localhost:4318'),
  traces_url_path: urlPath('/v1/traces'),
  metrics_url_path: urlPath('/v1/metrics'),
  logs_url_path: urlPath('/v1/logs'),
});

/** `grpc:` with no value (YAML null) means "on, with every default". */
const presentWithDefaults = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? {} : v), schema).optional();

/** The strict schema of the whole `otlp` receiver section. */
export const otlpReceiverConfigSchema = z.strictObject({
  protocols: z
    .strictObject({
      grpc: presentWithDefaults(grpcProtocolSchema),
      http: presentWithDefaults(httpProtocolSchema),
    })
    .refine((p) => p.grpc !== undefined || p.http !== undefined, {
      message: 'must specify at least one protocol when using the OTLP receiver',
    })
    // With no `protocols` key at all the receiver listens on nothing (the default config must
    // parse); an explicit empty `protocols:` is the Collector's error.
    .default({ grpc: undefined, http: undefined }),
});

/** The parsed config. */
export type OtlpReceiverConfig = z.output<typeof otlpReceiverConfigSchema>;
/** The parsed gRPC protocol block. */
export type GrpcProtocolConfig = z.output<typeof grpcProtocolSchema>;
/** The parsed HTTP protocol block. */
export type HttpProtocolConfig = z.output<typeof httpProtocolSchema>;
