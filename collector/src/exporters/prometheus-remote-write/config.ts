/**
 * Options of the `prometheusremotewrite` exporter, named and defaulted as the Collector contrib
 * exporter (prometheusremotewriteexporter/config.go + factory.go): confighttp client fields,
 * `timeout`, its own `retry_on_failure` defaults (50ms → 200ms, 1m), `remote_write_queue` instead of
 * `sending_queue`, and the optional `wal` block. Stitch-only: `exponential_histograms`.
 */
import { authSchema, duration, headers, httpUrl, tlsClientSchema, z } from '../../config/schema.js';
import { timeoutSchema } from '../../exporterhelper/config.js';

/** The contrib exporter's retry defaults, tighter than exporterhelper's (factory.go). */
export const prwRetrySchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    initial_interval: duration('50ms'),
    randomization_factor: z.number().min(0).max(1).default(0.5),
    multiplier: z.number().min(1).default(1.5),
    max_interval: duration('200ms'),
    /** 0 means retry forever. */
    max_elapsed_time: duration('1m'),
  })
  .prefault({});

/** `remote_write_queue`: the in-front queue and the number of concurrent senders (shards). */
export const remoteWriteQueueSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Batches (OTLP requests) the queue holds. */
    queue_size: z.number().int().min(1).default(10000),
    /** Concurrent senders; each series always goes through the same one, so it stays in order. */
    num_consumers: z.number().int().min(1).default(5),
  })
  .prefault({});

/**
 * `wal`: the contrib exporter's write-ahead log. Stitch accepts it and backs it with the durable
 * sending queue (file storage in `directory`) — see README "WAL".
 */
export const walSchema = z.strictObject({
  directory: z.string().min(1),
  /** Items read from the WAL per send (contrib default 300). */
  buffer_size: z.number().int().min(1).default(300),
  truncate_frequency: duration('1m'),
  lag_record_frequency: duration('1m').optional(),
});

const enabledBlock = (def: boolean) => z.strictObject({ enabled: z.boolean().default(def) }).prefault({});

/** The strict schema of the `prometheusremotewrite` exporter section. */
export const prometheusRemoteWriteConfigSchema = z.strictObject({
  /**
   * The remote-write URL. The contrib exporter requires it; Stitch defaults it to a local
   * Prometheus with its receiver on so the default config parses (the component contract).
   */
  /** Required, as in the Collector: an unset `${env:…}` must not silently write to localhost. */
  endpoint: httpUrl,
  headers,
  tls: tlsClientSchema,
  auth: authSchema.optional(),
  timeout: timeoutSchema,
  retry_on_failure: prwRetrySchema,
  remote_write_queue: remoteWriteQueueSchema,
  /** Prefix for every metric name (`<namespace>_<name>`). */
  namespace: z.string().default(''),
  /** Labels added to every series unless the series already has them. */
  external_labels: z.record(z.string(), z.string()).default({}),
  resource_to_telemetry_conversion: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Leave out service.name/namespace/instance.id, already in `job`/`instance`. */
      exclude_service_attributes: z.boolean().default(false),
    })
    .prefault({}),
  target_info: enabledBlock(true),
  export_created_metric: enabledBlock(false),
  add_metric_suffixes: z.boolean().default(true),
  send_metadata: z.boolean().default(false),
  /** Largest uncompressed request body; bigger batches are split. */
  max_batch_size_bytes: z.number().int().min(1).default(3_000_000),
  wal: walSchema.optional(),
  /**
   * Stitch-only. `native`: exponential histograms become native histograms (needs a backend with
   * native histograms on). `classic`: they become `_bucket{le}`/`_sum`/`_count` series instead.
   */
  exponential_histograms: z.enum(['native', 'classic']).default('native'),
});

/** The parsed config. */
export type PrometheusRemoteWriteConfig = z.output<typeof prometheusRemoteWriteConfigSchema>;
