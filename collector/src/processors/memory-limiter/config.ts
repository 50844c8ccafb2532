import { duration, type Infer, z } from '../../config/schema.js';

const uint32 = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);

/**
 * The memory_limiter options, with the Collector's names, defaults and validation rules
 * (internal/memorylimiter/config.go). Every rule that fails is reported, not only the first.
 * As in the Collector, `limit_mib` wins when both it and `limit_percentage` are set.
 */
export const memoryLimiterConfigSchema = z
  .strictObject({
    /** Time between memory measurements; required, > 0. */
    check_interval: duration('0s'),
    /** Hard limit in MiB of the memory the process may hold. */
    limit_mib: uint32.default(0),
    /** Headroom below the hard limit; the soft limit is limit_mib - spike_limit_mib. 0 means 20% of limit_mib. */
    spike_limit_mib: uint32.default(0),
    /** Hard limit as a percentage of the total memory (the container's limit when there is one). */
    limit_percentage: uint32.default(0),
    /** Spike headroom as a percentage of the total memory. 0 means 20% of the limit. */
    spike_limit_percentage: uint32.default(0),
    /** Least time between forced GCs while above the soft limit. */
    min_gc_interval_when_soft_limited: duration('10s'),
    /** Least time between forced GCs while above the hard limit. */
    min_gc_interval_when_hard_limited: duration('0s'),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (!(c.check_interval > 0)) issue('check_interval', "'check_interval' must be greater than zero");
    if (c.min_gc_interval_when_soft_limited < c.min_gc_interval_when_hard_limited) {
      issue(
        'min_gc_interval_when_soft_limited',
        "'min_gc_interval_when_soft_limited' should be larger than 'min_gc_interval_when_hard_limited'",
      );
    }
    if (c.limit_mib === 0 && c.limit_percentage === 0)
      issue('limit_mib', "'limit_mib' or 'limit_percentage' must be greater than zero");
    if (c.limit_percentage > 100) {
      issue(
        'limit_percentage',
        "'limit_percentage' and 'spike_limit_percentage' must be greater than zero and less than or equal to hundred",
      );
    }
    if (c.spike_limit_percentage > 100) {
      issue(
        'spike_limit_percentage',
        "'limit_percentage' and 'spike_limit_percentage' must be greater than zero and less than or equal to hundred",
      );
    }
    if (c.limit_mib > 0 && c.limit_mib <= c.spike_limit_mib)
      issue('spike_limit_mib', "'spike_limit_mib' must be smaller than 'limit_mib'");
    if (c.limit_percentage > 0 && c.limit_percentage <= c.spike_limit_percentage) {
      issue('spike_limit_percentage', "'spike_limit_percentage' must be smaller than 'limit_percentage'");
    }
  });

/** The parsed memory_limiter config (durations in milliseconds). */
export type MemoryLimiterConfig = Infer<typeof memoryLimiterConfigSchema>;
