import { duration, type Infer, z } from '../../config/schema.js';

const count = z.number().int().min(0);

/**
 * The cardinality_limiter's options (a Stitch-only processor, shaped like the Collector's). A
 * series is a metric name plus its resource and data point attributes.
 */
export const cardinalityLimiterConfigSchema = z
  .strictObject({
    /** Most series kept per metric name; new ones beyond it are folded or dropped. Must be > 0 (it bounds memory). */
    max_series_per_metric: count.default(2000),
    /** Most distinct values per label of a metric; 0 means no per-label limit. */
    max_label_values: count.default(0),
    /** Per-label-name overrides of max_label_values (0 = unlimited for that label). */
    label_limits: z.record(z.string(), count).default({}),
    /** Most distinct metric names tracked; points of further metrics are dropped. */
    max_metrics: count.default(10_000),
    /** `overflow`: fold the offending labels into otel.metric.overflow="true" (the OTel SDK convention); `drop`: drop the point. */
    action: z.enum(['overflow', 'drop']).default('overflow'),
    /** A series (and a label value) not seen for this long is forgotten and frees its budget. */
    series_ttl: duration('1h'),
    /** How often the metrics and labels that hit a limit are logged (once per interval). */
    log_interval: duration('1m'),
  })
  .superRefine((c, ctx) => {
    if (c.max_series_per_metric === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['max_series_per_metric'],
        message: 'must be greater than 0 (it bounds the memory used)',
      });
    if (c.max_metrics === 0)
      ctx.addIssue({ code: 'custom', path: ['max_metrics'], message: 'must be greater than 0 (it bounds the memory used)' });
    if (c.series_ttl <= 0) ctx.addIssue({ code: 'custom', path: ['series_ttl'], message: 'must be greater than 0' });
    if (c.log_interval <= 0) ctx.addIssue({ code: 'custom', path: ['log_interval'], message: 'must be greater than 0' });
  });

/** The parsed cardinality_limiter config (durations in ms). */
export type CardinalityLimiterConfig = Infer<typeof cardinalityLimiterConfigSchema>;
