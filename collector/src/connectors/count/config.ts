/**
 * The `count` connector's options: the Collector contrib countconnector's (`spans`, `spanevents`,
 * `metrics`, `datapoints`, `logs`: metric name → { description, conditions, attributes }), with
 * its defaults, plus three Stitch-only options in the same shape:
 * - `attributes[].optional`: a missing attribute leaves the dimension out instead of skipping
 *   the item;
 * - `aggregation_temporality` (spanmetrics' option name): contrib emits deltas, which
 *   Prometheus remote-write cannot carry; CUMULATIVE keeps running totals;
 * - `exemplars.enabled` (default on): each data point carries an exemplar pointing at one counted
 *   item's trace_id / span_id / request_id / rid.
 * Stitch's default for `logs` counts by severity and controller (contrib's has no attributes).
 */
import { type Infer, z } from '../../config/schema.js';
import { conditionsSchema } from '../../processors/filter/config.js';
import type { OttlContext } from '../../processors/filter/ottl/compile.js';

const attributeSchema = z.strictObject({
  key: z.string().min(1, 'attribute key missing'),
  default_value: z.union([z.string(), z.number(), z.boolean()]).optional(),
  /** Stitch-only: when the attribute is missing, count the item without this dimension. */
  optional: z.boolean().default(false),
});

function metricInfo(context: OttlContext) {
  return z.strictObject({
    description: z.string().default(''),
    /** OTTL conditions (ORed); none counts every item. */
    conditions: conditionsSchema(context),
    attributes: z.array(attributeSchema).default([]),
  });
}

function metricMap(context: OttlContext) {
  return z.record(z.string().min(1, 'metric name missing'), metricInfo(context));
}

/** The contrib default metrics (when a section is not set at all). */
export const DEFAULT_METRICS = {
  spans: { 'trace.span.count': { description: 'The number of spans observed.' } },
  spanevents: { 'trace.span.event.count': { description: 'The number of span events observed.' } },
  metrics: { 'metric.count': { description: 'The number of metrics observed.' } },
  datapoints: { 'metric.datapoint.count': { description: 'The number of data points observed.' } },
  logs: {
    'log.record.count': {
      description: 'The number of log records observed.',
      // Stitch: by severity (the record's severity text, or the name of its number) and controller.
      attributes: [{ key: 'severity' }, { key: 'controller', optional: true }],
    },
  },
} as const;

/** The parsed config of the `count` connector. */
export const countConnectorConfigSchema = z
  .strictObject({
    spans: metricMap('span').prefault(DEFAULT_METRICS.spans as never),
    spanevents: metricMap('spanevent').prefault(DEFAULT_METRICS.spanevents as never),
    metrics: metricMap('metric').prefault(DEFAULT_METRICS.metrics as never),
    datapoints: metricMap('datapoint').prefault(DEFAULT_METRICS.datapoints as never),
    logs: metricMap('log').prefault(DEFAULT_METRICS.logs as never),
    aggregation_temporality: z
      .enum(['AGGREGATION_TEMPORALITY_DELTA', 'AGGREGATION_TEMPORALITY_CUMULATIVE'])
      .default('AGGREGATION_TEMPORALITY_DELTA'),
    /** Cumulative mode: most series kept; further ones fold into one `otel.metric.overflow=true` series. */
    aggregation_cardinality_limit: z.number().int().positive().default(10_000),
    exemplars: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  })
  .superRefine((c, ctx) => {
    for (const name of Object.keys(c.metrics)) {
      if ((c.metrics[name]?.attributes.length ?? 0) > 0) {
        ctx.addIssue({ code: 'custom', path: ['metrics', name, 'attributes'], message: 'metrics attributes not supported' });
      }
    }
  });

/** The parsed `count` connector config. */
export type CountConnectorConfig = Infer<typeof countConnectorConfigSchema>;
/** One metric definition. */
export type MetricInfo = CountConnectorConfig['logs'][string];
