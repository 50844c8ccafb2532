import { type Infer, z } from '../../config/schema.js';

/** The debug exporter's options, with the Collector's names and defaults (exporter/debugexporter/config.go). */
export const debugConfigSchema = z.strictObject({
  /** basic: one summary line per batch; normal: about one line per record; detailed: everything. */
  verbosity: z.enum(['basic', 'normal', 'detailed']).default('basic'),
  /** Batches written per second (per signal) before sampling starts. */
  sampling_initial: z.number().int().min(0).default(2),
  /** After the initial ones, write every Nth batch in that second; 1 writes all (no sampling). */
  sampling_thereafter: z.number().int().min(0).default(1),
  /**
   * true: each entry carries a timestamp, level and the component fields, as the collector's
   * console logger would; false: bare output. Either way it goes to stdout (the collector's own
   * logs are pino JSON on stderr).
   */
  use_internal_logger: z.boolean().default(true),
});

/** The parsed debug exporter config. */
export type DebugConfig = Infer<typeof debugConfigSchema>;
