/**
 * Options of the `filelog` receiver: the Collector contrib's names and defaults (pkg/stanza
 * fileconsumer config, consumerretry, the operator list) for the subset Stitch supports.
 */
import { duration, z } from '../../config/schema.js';
import { byteSize, operatorSchema } from './operators/config.js';

/** `retry_on_failure` of the log receivers (contrib consumerretry): off by default, as there. */
export const consumerRetrySchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    initial_interval: duration('1s'),
    max_interval: duration('30s'),
    /** 0 retries forever. */
    max_elapsed_time: duration('5m'),
  })
  .prefault({});

/** The smallest fingerprint the Collector accepts. */
export const MIN_FINGERPRINT_SIZE = 16;

/** The strict schema. */
export const filelogConfigSchema = z
  .strictObject({
    include: z.array(z.string().min(1)).default([]),
    exclude: z.array(z.string().min(1)).default([]),
    /** Where to start in files found at start-up that have no checkpoint. */
    start_at: z.enum(['beginning', 'end']).default('end'),
    include_file_name: z.boolean().default(true),
    include_file_path: z.boolean().default(false),
    include_file_name_resolved: z.boolean().default(false),
    include_file_path_resolved: z.boolean().default(false),
    poll_interval: duration('200ms'),
    fingerprint_size: byteSize(1000),
    max_log_size: byteSize(1024 * 1024),
    max_concurrent_files: z.number().int().default(1024),
    encoding: z.string().default('utf-8'),
    /** ID of a storage extension (`file_storage`) that keeps checkpoints across restarts. */
    storage: z.string().optional(),
    retry_on_failure: consumerRetrySchema,
    operators: z.array(operatorSchema).default([]),
  })
  .superRefine((c, ctx) => {
    if (c.include.length === 0) ctx.addIssue({ code: 'custom', path: ['include'], message: "'include' must be specified" });
    if (!/^utf-?8$/i.test(c.encoding)) {
      ctx.addIssue({
        code: 'custom',
        path: ['encoding'],
        message: `unsupported encoding ${JSON.stringify(c.encoding)}; Stitch reads utf-8 only`,
      });
    }
    if (c.max_log_size <= 0) ctx.addIssue({ code: 'custom', path: ['max_log_size'], message: '`max_log_size` must be positive' });
    if (c.max_concurrent_files <= 1) {
      ctx.addIssue({ code: 'custom', path: ['max_concurrent_files'], message: '`max_concurrent_files` must be greater than 1' });
    }
    if (c.fingerprint_size < MIN_FINGERPRINT_SIZE) {
      ctx.addIssue({
        code: 'custom',
        path: ['fingerprint_size'],
        message: `\`fingerprint_size\` must be at least ${MIN_FINGERPRINT_SIZE} bytes`,
      });
    }
    if (c.poll_interval <= 0) ctx.addIssue({ code: 'custom', path: ['poll_interval'], message: 'must be positive' });
  });

/** The parsed config (durations in ms, sizes in bytes). */
export type FilelogConfig = z.output<typeof filelogConfigSchema>;
