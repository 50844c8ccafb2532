import { duration, type Infer, z } from '../../config/schema.js';
import { httpServerFields } from '../../internal/http-server/config.js';

/** Where the local view listens by default: loopback only (it shows log lines and IDs). */
export const DEFAULT_LOCAL_VIEW_ENDPOINT = '127.0.0.1:13190';

/**
 * Options of the Stitch-only `local` exporter: how much it keeps (item counts and age), where
 * its web view and JSON API listen (the shared HTTP server options), the correlation extension
 * whose index adds ready-made LogQL/PromQL, and optional snapshots to disk.
 */
export const localExporterConfigSchema = z.strictObject({
  ...httpServerFields(DEFAULT_LOCAL_VIEW_ENDPOINT),
  /** Most spans kept; the oldest is overwritten first. */
  max_spans: z.number().int().positive('max_spans must be a positive number').default(20_000),
  /** Most log records kept; the oldest is overwritten first. */
  max_logs: z.number().int().positive('max_logs must be a positive number').default(50_000),
  /** Most metric series kept (the least recently updated goes first). */
  max_series: z.number().int().positive('max_series must be a positive number').default(2_000),
  /** Anything received longer ago than this is forgotten. */
  retention: duration('15m').refine((ms) => ms >= 60_000, 'retention must be at least 1m'),
  /** Log bodies and attribute values longer than this many characters are cut (with "…"). */
  max_value_length: z.number().int().min(64).default(4096),
  /**
   * The `correlation` extension whose index adds LogQL/PromQL (and Grafana links) to a search.
   * Unset: the extension with ID `correlation` when one runs, else none. Set: it must run.
   */
  index: z.string().min(1).optional(),
  /** Snapshots of the store to a file, so a restart keeps what was there. Off unless `path` is set. */
  persistence: z
    .strictObject({
      /** The snapshot file (written atomically: a temporary file, then rename). */
      path: z.string().min(1),
      /** How often to write it (also written on shutdown). */
      interval: duration('30s').refine((ms) => ms >= 1000, 'interval must be at least 1s'),
    })
    .optional(),
});

/** The parsed `local` exporter config. */
export type LocalExporterConfig = Infer<typeof localExporterConfigSchema>;
