import { duration, type Infer, z } from '../../config/schema.js';

/**
 * The `correlation` processor's options (Stitch-only, in the Collector's shape: snake_case,
 * durations as strings). Every feature is on by default; each can be turned off.
 */
export const correlationProcessorConfigSchema = z.strictObject({
  /**
   * The `correlation` extension whose index this processor feeds. Unset: the extension with ID
   * `correlation` when one runs, else no index (normalising and joining still work). Set: that
   * extension must run, or the collector fails to start.
   */
  index: z.string().min(1).optional(),
  /** Rename ID aliases (`reconcileID`, `x-request-id`, …) to the canonical keys. */
  normalize_aliases: z.boolean().default(true),
  /** Lift IDs out of log bodies that are JSON objects (kvlist bodies, or strings that look like JSON). */
  parse_json_body: z.boolean().default(true),
  /** Give a log line with request_id / rid but no trace context the trace of a span that carried that ID. */
  attach_trace_context: z.boolean().default(true),
  /** Give spans without request_id / rid the ID that log lines of the same trace carried. */
  attach_ids_to_spans: z.boolean().default(true),
  /** How long a span's (or log line's) IDs are remembered for joins. */
  join_window: duration('30s').refine((ms) => ms > 0, 'join_window must be positive'),
  /** Most IDs remembered for joins (each direction); the least recently seen go first. */
  join_cache_size: z.number().int().positive('join_cache_size must be a positive number').default(50_000),
});

/** The parsed `correlation` processor config. */
export type CorrelationProcessorConfig = Infer<typeof correlationProcessorConfigSchema>;
