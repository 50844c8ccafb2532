import { duration, type Infer, z } from '../../config/schema.js';

const uint32 = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);

/**
 * The batch processor's options, with the Collector's names, defaults and validation
 * (processor/batchprocessor/config.go).
 */
export const batchConfigSchema = z
  .strictObject({
    /** Send a batch this long after its first item arrived, whatever its size; 0 sends at once. */
    timeout: duration('200ms').refine((ms) => ms >= 0, 'timeout must be greater or equal to 0'),
    /** Items (spans, data points, log records) that trigger a send; 0 sends at once. */
    send_batch_size: uint32.default(8192),
    /** Upper bound of a batch; larger ones are split. 0 means no bound. */
    send_batch_max_size: uint32.default(0),
    /** Client metadata keys (case-insensitive) that partition batching: one batcher per value combination. */
    metadata_keys: z.array(z.string().min(1)).default([]),
    /** Most distinct metadata value combinations; 0 means no limit. */
    metadata_cardinality_limit: uint32.default(1000),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.send_batch_max_size > 0 && cfg.send_batch_max_size < cfg.send_batch_size) {
      ctx.addIssue({
        code: 'custom',
        path: ['send_batch_max_size'],
        message: `send_batch_max_size (${cfg.send_batch_max_size}) must be greater or equal to send_batch_size (${cfg.send_batch_size})`,
      });
    }
    const seen = new Set<string>();
    cfg.metadata_keys.forEach((key, i) => {
      const lower = key.toLowerCase();
      if (seen.has(lower)) {
        ctx.addIssue({
          code: 'custom',
          path: ['metadata_keys', i],
          message: `duplicate entry in metadata_keys: "${lower}" (case-insensitive)`,
        });
      }
      seen.add(lower);
    });
  });

/** The parsed batch config (`timeout` in milliseconds). */
export type BatchConfig = Infer<typeof batchConfigSchema>;
