/**
 * The options every Stitch HTTP server takes, after the Collector's confighttp.ServerConfig:
 * `endpoint`, `tls`, `cors`, `auth`, `max_request_body_size`, `include_metadata`,
 * `response_headers`. Spread `httpServerFields(defaultEndpoint)` into a receiver's strict schema.
 */
import { authSchema, hostPort, tlsServerSchema, z } from '../../config/schema.js';

/** `cors`: browser access, off unless `allowed_origins` is set (confighttp.CORSConfig). */
export const corsSchema = z.strictObject({
  /** Origins allowed to send, with `*` wildcards (`https://*.example.com`); `*` alone allows any. */
  allowed_origins: z.array(z.string()).default([]),
  /** Request headers allowed besides Accept, Content-Type, X-Requested-With; `*` allows any. */
  allowed_headers: z.array(z.string()).default([]),
  /** Seconds a browser may cache the preflight answer; 0 leaves the header out. */
  max_age: z.number().int().min(0).default(0),
});

/** The Collector's default `max_request_body_size` (confighttp): 20 MiB. */
export const DEFAULT_MAX_REQUEST_BODY_SIZE = 20 * 1024 * 1024;

/** The confighttp.ServerConfig fields, with `endpoint` defaulting to `defaultEndpoint`. */
export function httpServerFields(defaultEndpoint: string) {
  return {
    endpoint: hostPort.default(defaultEndpoint),
    tls: tlsServerSchema.optional(),
    cors: corsSchema.optional(),
    auth: authSchema.optional(),
    /** Limit on the body in bytes, compressed and decompressed alike; 0 or less means the default. */
    max_request_body_size: z
      .number()
      .int()
      .default(DEFAULT_MAX_REQUEST_BODY_SIZE)
      .transform((n) => (n > 0 ? n : DEFAULT_MAX_REQUEST_BODY_SIZE)),
    /** Pass request headers along with the data (ConsumeContext.metadata). */
    include_metadata: z.boolean().default(false),
    /** Headers added to every response. */
    response_headers: z.record(z.string(), z.string()).default({}),
  };
}

/** The parsed server TLS block. */
export type TlsServerConfig = z.output<typeof tlsServerSchema>;
/** The parsed CORS block. */
export type CorsConfig = z.output<typeof corsSchema>;

/** The parsed shared server options. */
export interface HttpServerConfig {
  endpoint: string;
  tls?: TlsServerConfig | undefined;
  cors?: CorsConfig | undefined;
  auth?: { authenticator: string } | undefined;
  max_request_body_size: number;
  include_metadata: boolean;
  response_headers: Record<string, string>;
}

/** Splits a `host:port` endpoint; an empty host (":4318") means every interface. */
export function splitEndpoint(endpoint: string): { host: string; port: number } {
  const i = endpoint.lastIndexOf(':');
  let host = endpoint.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host === '' ? '0.0.0.0' : host, port: Number(endpoint.slice(i + 1)) };
}
