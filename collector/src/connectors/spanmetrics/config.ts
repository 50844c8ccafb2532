/**
 * The `spanmetrics` connector's options: the Collector contrib spanmetricsconnector's names and
 * defaults (metrics_flush_interval 60s, namespace `traces.span.metrics`, histogram unit `ms` with
 * contrib's 16 default buckets, exemplars off with 5 per data point, cumulative temporality,
 * resource_metrics_cache_size 1000, no cardinality limit).
 */
import { duration, type Infer, z } from '../../config/schema.js';

const dimensionSchema = z.strictObject({
  name: z.string().min(1, 'dimension name missing'),
  /** Used when neither the span nor its resource has the attribute; without it the dimension is left out. */
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
});

/** The four dimensions every series has (unless excluded). */
export const BUILTIN_DIMENSIONS = ['service.name', 'span.name', 'span.kind', 'status.code'] as const;

function noDuplicates(dims: { name: string }[], ctx: z.RefinementCtx, path: (string | number)[]) {
  const seen = new Set<string>(BUILTIN_DIMENSIONS);
  dims.forEach((d, i) => {
    if (seen.has(d.name))
      ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `duplicate dimension name ${d.name}` });
    seen.add(d.name);
  });
}

/** The default explicit buckets, in milliseconds (contrib's defaultHistogramBucketsMs). */
export const DEFAULT_BUCKETS_MS = [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10_000, 15_000];

/** The parsed schema. */
export const spanMetricsConnectorConfigSchema = z
  .strictObject({
    histogram: z
      .strictObject({
        disable: z.boolean().default(false),
        unit: z.enum(['ms', 's']).default('ms'),
        explicit: z
          .strictObject({
            /** Durations ("2ms", "1s"); the default is contrib's 16 buckets. */
            buckets: z.array(duration('0s')).optional(),
          })
          .nullish(),
        exponential: z.strictObject({ max_size: z.number().int().positive().default(160) }).nullish(),
        /** Extra dimensions of the duration histogram only. */
        dimensions: z.array(dimensionSchema).default([]),
      })
      .prefault({}),
    dimensions: z.array(dimensionSchema).default([]),
    /** Extra dimensions of the calls metric only. */
    calls_dimensions: z.array(dimensionSchema).default([]),
    exclude_dimensions: z.array(z.string()).default([]),
    /** Deprecated in contrib in favour of aggregation_cardinality_limit; accepted, must be positive. */
    dimensions_cache_size: z
      .number()
      .int()
      .positive('invalid cache size: the maximum number of the items in the cache should be positive')
      .default(1000),
    resource_metrics_cache_size: z.number().int().positive().default(1000),
    resource_metrics_key_attributes: z.array(z.string()).default([]),
    /** Stitch copies the resource attributes either way (see README); accepted for contrib configs. */
    add_resource_attributes: z.boolean().default(false),
    aggregation_temporality: z
      .enum(['AGGREGATION_TEMPORALITY_CUMULATIVE', 'AGGREGATION_TEMPORALITY_DELTA'])
      .default('AGGREGATION_TEMPORALITY_CUMULATIVE'),
    metrics_flush_interval: duration('60s').refine((ms) => ms > 0, 'metrics_flush_interval must be positive'),
    /** 0: series never expire. */
    metrics_expiration: duration('0s').refine((ms) => ms >= 0, 'metrics_expiration must not be negative'),
    metric_timestamp_cache_size: z.number().int().positive().default(1000),
    namespace: z.string().default('traces.span.metrics'),
    exemplars: z
      .strictObject({
        enabled: z.boolean().default(false),
        max_per_data_point: z.number().int().positive().default(5),
      })
      .prefault({}),
    events: z
      .strictObject({
        enabled: z.boolean().default(false),
        dimensions: z.array(dimensionSchema).default([]),
      })
      .prefault({}),
    include_instrumentation_scope: z.array(z.string()).default([]),
    /** 0: no limit. Beyond it, new attribute sets fold into one `otel.metric.overflow=true` series per resource. */
    aggregation_cardinality_limit: z.number().int().min(0, 'aggregation_cardinality_limit must not be negative').default(0),
  })
  .superRefine((c, ctx) => {
    noDuplicates(c.dimensions, ctx, ['dimensions']);
    if (c.histogram.explicit && c.histogram.exponential) {
      ctx.addIssue({ code: 'custom', path: ['histogram'], message: 'use either `explicit` or `exponential` buckets histogram' });
    }
    if (c.events.enabled && c.events.dimensions.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['events', 'dimensions'], message: 'no dimensions configured for events' });
    }
  });

/** The parsed `spanmetrics` config. */
export type SpanMetricsConnectorConfig = Infer<typeof spanMetricsConnectorConfigSchema>;
/** One dimension. */
export type Dimension = SpanMetricsConnectorConfig['dimensions'][number];
