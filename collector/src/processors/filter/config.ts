/**
 * The filter processor's options (contrib processor/filterprocessor/config.go): OTTL conditions
 * per context, `error_mode`, and the legacy `include`/`exclude` match properties. Every
 * condition is parsed and compiled here, so unsupported syntax fails config validation with the
 * column inside the condition (and the YAML line:column of the condition itself).
 */
import { type Infer, z } from '../../config/schema.js';
import { checkPatterns } from '../internal/matcher/config.js';
import {
  attributeMatchSchema,
  type MatchProperties,
  matchPropertiesSchema,
  severityNumberSchema,
} from '../internal/matcher/index.js';
import { compileCondition, type OttlContext } from './ottl/compile.js';
import { OttlSyntaxError } from './ottl/parser.js';

/** A list of OTTL conditions for one context; any true condition drops the item. */
export function conditionsSchema(context: OttlContext) {
  return z
    .array(z.string())
    .default([])
    .superRefine((list, ctx) => {
      list.forEach((condition, i) => {
        const message = ottlProblem(condition, context);
        if (message) ctx.addIssue({ code: 'custom', path: [i], message });
      });
    });
}

/** The problem with a condition, phrased for a config error, or undefined when it compiles. */
export function ottlProblem(condition: string, context: OttlContext): string | undefined {
  try {
    compileCondition(condition, context);
    return undefined;
  } catch (err) {
    if (!(err instanceof OttlSyntaxError)) throw err;
    // decode.ts appends `, got "<condition>"` unless the message already says what it got.
    const where = `invalid OTTL condition at column ${err.column}: ${err.message}`;
    return where.includes('got ') ? `${where} in ${JSON.stringify(condition)}` : where;
  }
}

const legacyMetricsSchema = z
  .strictObject({
    match_type: z.enum(['strict', 'regexp', 'expr']),
    regexp: matchPropertiesSchema.shape.regexp,
    metric_names: z.array(z.string()).optional(),
    expressions: z.array(z.string()).optional(),
    resource_attributes: z.array(attributeMatchSchema).optional(),
  })
  .superRefine((p, ctx) => {
    if (p.match_type === 'expr')
      ctx.addIssue({
        code: 'custom',
        path: ['match_type'],
        message: '"expr" is not supported by Stitch (deprecated in the Collector); use metrics.metric OTTL conditions',
      });
    checkPatterns({ match_type: p.match_type, metric_names: p.metric_names, resources: p.resource_attributes }, ctx, {
      resources: 'resource_attributes',
    });
  });

const legacyLogsSchema = z
  .strictObject({
    match_type: z.enum(['strict', 'regexp']),
    regexp: matchPropertiesSchema.shape.regexp,
    resource_attributes: z.array(attributeMatchSchema).optional(),
    record_attributes: z.array(attributeMatchSchema).optional(),
    severity_texts: z.array(z.string()).optional(),
    severity_number: z.strictObject({ min: severityNumberSchema, match_undefined: z.boolean().default(false) }).optional(),
    log_bodies: z.array(z.string()).optional(),
  })
  .superRefine((p, ctx) =>
    checkPatterns(
      {
        match_type: p.match_type,
        resources: p.resource_attributes,
        attributes: p.record_attributes,
        log_severity_texts: p.severity_texts,
        log_bodies: p.log_bodies,
      },
      ctx,
      { resources: 'resource_attributes', attributes: 'record_attributes', log_severity_texts: 'severity_texts' },
    ),
  );

/** The filter processor's options. */
export const filterConfigSchema = z
  .strictObject({
    /** What a condition that fails to evaluate does: propagate (refuse the batch), ignore (log), silent. */
    error_mode: z.enum(['propagate', 'ignore', 'silent']).default('propagate'),
    traces: z.strictObject({ span: conditionsSchema('span'), spanevent: conditionsSchema('spanevent') }).prefault({}),
    metrics: z
      .strictObject({
        metric: conditionsSchema('metric'),
        datapoint: conditionsSchema('datapoint'),
        include: legacyMetricsSchema.optional(),
        exclude: legacyMetricsSchema.optional(),
      })
      .prefault({}),
    logs: z
      .strictObject({
        log_record: conditionsSchema('log'),
        include: legacyLogsSchema.optional(),
        exclude: legacyLogsSchema.optional(),
      })
      .prefault({}),
    /** Legacy span matching (attributes-processor match properties). */
    spans: z.strictObject({ include: matchPropertiesSchema.optional(), exclude: matchPropertiesSchema.optional() }).prefault({}),
  })
  .superRefine((c, ctx) => {
    const both = (ottl: boolean, legacy: boolean, path: string, what: string) => {
      if (ottl && legacy)
        ctx.addIssue({
          code: 'custom',
          path: [path],
          message: `cannot use OTTL conditions and include/exclude for ${what} together`,
        });
    };
    both(
      c.metrics.metric.length + c.metrics.datapoint.length > 0,
      !!(c.metrics.include || c.metrics.exclude),
      'metrics',
      'metrics',
    );
    both(c.logs.log_record.length > 0, !!(c.logs.include || c.logs.exclude), 'logs', 'logs');
    both(c.traces.span.length + c.traces.spanevent.length > 0, !!(c.spans.include || c.spans.exclude), 'spans', 'spans');
  });

/** The parsed filter config. */
export type FilterConfig = Infer<typeof filterConfigSchema>;

type LegacyMetrics = z.output<typeof legacyMetricsSchema>;
type LegacyLogs = z.output<typeof legacyLogsSchema>;

/** Legacy metric match properties, in the shared matcher's terms. */
export function metricsMatchProperties(p: LegacyMetrics): MatchProperties {
  return {
    match_type: p.match_type === 'regexp' ? 'regexp' : 'strict',
    ...(p.metric_names ? { metric_names: p.metric_names } : {}),
    ...(p.resource_attributes ? { resources: p.resource_attributes } : {}),
  };
}

/** Legacy log match properties, in the shared matcher's terms. */
export function logsMatchProperties(p: LegacyLogs): MatchProperties {
  return {
    match_type: p.match_type,
    ...(p.resource_attributes ? { resources: p.resource_attributes } : {}),
    ...(p.record_attributes ? { attributes: p.record_attributes } : {}),
    ...(p.severity_texts ? { log_severity_texts: p.severity_texts } : {}),
    ...(p.severity_number ? { log_severity_number: p.severity_number } : {}),
    ...(p.log_bodies ? { log_bodies: p.log_bodies } : {}),
  };
}
