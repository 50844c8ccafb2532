/**
 * The blocks every exporter shares, with the same names and defaults as the Collector's
 * exporterhelper: `timeout`, `retry_on_failure`, `sending_queue`.
 */
import { duration, z } from '../config/schema.js';

/** `retry_on_failure`: exponential backoff with jitter (configretry.BackOffConfig). */
export const retryOnFailureSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    initial_interval: duration('5s'),
    randomization_factor: z.number().min(0).max(1).default(0.5),
    multiplier: z.number().min(1).default(1.5),
    max_interval: duration('30s'),
    /** 0 means retry forever. */
    max_elapsed_time: duration('300s'),
  })
  .prefault({});

/** `sending_queue`: bounded, in memory or durable (`storage: file_storage/<name>`). */
export const sendingQueueSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    num_consumers: z.number().int().min(1).default(10),
    /** Capacity in units of `sizer`. */
    queue_size: z.number().int().min(1).default(1000),
    sizer: z.enum(['requests', 'items', 'bytes']).default('requests'),
    /** Wait for room instead of refusing when full (the Collector's `block_on_overflow`). */
    block_on_overflow: z.boolean().default(false),
    /** ID of a `file_storage` extension: makes the queue durable across restarts. */
    storage: z.string().optional(),
    /** consume() resolves only after the request was sent (or dropped), as the Collector's option. */
    wait_for_result: z.boolean().default(false),
    /**
     * Stitch only: byte cap on a durable queue's payloads whatever the `sizer` (default 256 MiB);
     * with `sizer: bytes` the smaller of this and `queue_size` applies. Ignored without `storage`.
     */
    storage_max_bytes: z
      .number()
      .int()
      .min(1)
      .default(256 * 1024 * 1024),
  })
  .prefault({});

/** The per-request timeout (exporterhelper TimeoutConfig), default 5s. */
export const timeoutSchema = duration('5s');

/** `retry_on_failure`, parsed (durations in ms). */
export type RetryConfig = z.output<typeof retryOnFailureSchema>;
/** `sending_queue`, parsed. */
export type QueueConfig = z.output<typeof sendingQueueSchema>;

/** The three shared blocks, to spread into an exporter's strict schema. */
export const exporterHelperFields = {
  timeout: timeoutSchema,
  retry_on_failure: retryOnFailureSchema,
  sending_queue: sendingQueueSchema,
};
