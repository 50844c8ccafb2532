/** The `normal` layout: a line per resource and scope, then about one line per record. */
import type { InstrumentationScope, LogsData, Metric, MetricsData, Resource, TracesData } from '../../model/types.js';
import { anyValueToString, idToHex, int64ToString, isSet, pointValue } from '../../model/values.js';
import { attributePairs } from './text.js';

function resourceLine(label: string, i: number, schemaUrl: string | undefined, resource: Resource | null | undefined): string {
  const schema = schemaUrl ? ` [${schemaUrl}]` : '';
  const attrs = attributePairs(resource?.attributes);
  return `${label} #${i}${schema}${attrs.length ? ` ${attrs.join(' ')}` : ''}\n`;
}

function scopeLine(
  label: string,
  j: number,
  schemaUrl: string | undefined,
  scope: InstrumentationScope | null | undefined,
): string {
  let details = scope?.name ?? '';
  if (scope?.version) details += `@${scope.version}`;
  if (schemaUrl) details += `${details ? ' ' : ''}[${schemaUrl}]`;
  const attrs = attributePairs(scope?.attributes);
  return `${label} #${j}${details ? ` ${details}` : ''}${attrs.length ? ` ${attrs.join(' ')}` : ''}\n`;
}

/** `name trace_id span_id k=v …` per span. */
export function normalTraces(data: TracesData): string {
  let out = '';
  data.resourceSpans.forEach((rs, i) => {
    out += resourceLine('ResourceTraces', i, rs.schemaUrl, rs.resource);
    rs.scopeSpans.forEach((ss, j) => {
      out += scopeLine('ScopeTraces', j, ss.schemaUrl, ss.scope);
      for (const span of ss.spans) {
        const attrs = attributePairs(span.attributes);
        out += `${span.name} ${idToHex(span.traceId)} ${idToHex(span.spanId)}${attrs.length ? ` ${attrs.join(' ')}` : ''}\n`;
      }
    });
  });
  return out;
}

/** `body k=v …` per log record. */
export function normalLogs(data: LogsData): string {
  let out = '';
  data.resourceLogs.forEach((rl, i) => {
    out += resourceLine('ResourceLog', i, rl.schemaUrl, rl.resource);
    rl.scopeLogs.forEach((sl, j) => {
      out += scopeLine('ScopeLog', j, sl.schemaUrl, sl.scope);
      for (const r of sl.logRecords) {
        const attrs = attributePairs(r.attributes);
        out += `${anyValueToString(r.body)}${attrs.length ? ` ${attrs.join(' ')}` : ''}\n`;
      }
    });
  });
  return out;
}

function optional(point: object, field: string, label: string): string {
  return isSet(point, field) ? ` ${label}=${(point as Record<string, number>)[field]}` : '';
}

function metricLines(m: Metric): string {
  let out = '';
  const line = (attrs: Parameters<typeof attributePairs>[0], value: string) => {
    out += `${m.name}{${attributePairs(attrs).join(',')}} ${value}\n`;
  };
  const numbers = m.gauge?.dataPoints ?? m.sum?.dataPoints;
  if (numbers) {
    for (const p of numbers) line(p.attributes, isSet(p, 'asInt') ? int64ToString(p.asInt) : String(pointValue(p)));
  } else if (m.histogram) {
    for (const p of m.histogram.dataPoints) {
      let v = `count=${int64ToString(p.count)}${optional(p, 'sum', 'sum')}${optional(p, 'min', 'min')}${optional(p, 'max', 'max')}`;
      p.bucketCounts.forEach((c, k) => {
        const bound = k < p.explicitBounds.length ? `le${p.explicitBounds[k]}=` : '';
        v += ` ${bound}${int64ToString(c)}`;
      });
      line(p.attributes, v);
    }
  } else if (m.exponentialHistogram) {
    for (const p of m.exponentialHistogram.dataPoints) {
      let v = `count=${int64ToString(p.count)}${optional(p, 'sum', 'sum')}${optional(p, 'min', 'min')}${optional(p, 'max', 'max')}`;
      const base = 2 ** (2 ** -p.scale);
      for (const side of [p.negative, p.positive]) {
        (side?.bucketCounts ?? []).forEach((c, k) => {
          v += ` le${base ** ((side?.offset ?? 0) + k)}=${int64ToString(c)}`;
        });
      }
      if (int64ToString(p.zeroCount) !== '0') v += ` zero_count${p.zeroThreshold ?? 0}=${int64ToString(p.zeroCount)}`;
      line(p.attributes, v);
    }
  } else if (m.summary) {
    for (const p of m.summary.dataPoints) {
      let v = `count=${int64ToString(p.count)} sum=${(p.sum ?? 0).toFixed(6)}`;
      for (const q of p.quantileValues) v += ` q${q.quantile}=${q.value}`;
      line(p.attributes, v);
    }
  }
  return out;
}

/** `name{k=v,…} value` per data point. */
export function normalMetrics(data: MetricsData): string {
  let out = '';
  data.resourceMetrics.forEach((rm, i) => {
    out += resourceLine('ResourceMetrics', i, rm.schemaUrl, rm.resource);
    rm.scopeMetrics.forEach((sm, j) => {
      out += scopeLine('ScopeMetrics', j, sm.schemaUrl, sm.scope);
      for (const m of sm.metrics) out += metricLines(m);
    });
  });
  return out;
}
