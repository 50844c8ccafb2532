/**
 * The `detailed` layout: every field of every record, in the Collector's otlptext layout
 * (`ResourceSpans #0`, `Span #0`, `    Trace ID       : …`, `     -> key: Str(value)`).
 */
import type {
  Exemplar,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  InstrumentationScope,
  KeyValue,
  LogsData,
  Metric,
  MetricsData,
  NumberDataPoint,
  Resource,
  TracesData,
} from '../../model/types.js';
import { idToHex, int64ToString, isSet } from '../../model/values.js';
import { goFloat, goTime, severityName, spanKindName, statusCodeName, temporalityName, typedValue } from './text.js';

/** Accumulates lines (one string per batch, written at once). */
class Lines {
  text = '';
  add(line: string): void {
    this.text += `${line}\n`;
  }
  /** `    Name           : value` */
  field(name: string, value: string): void {
    this.add(`    ${name.padEnd(15)}: ${value}`);
  }
  /** A header line then `     -> key: Type(value)` per attribute; nothing for an empty list. */
  attributes(header: string, attrs: readonly KeyValue[] | undefined): void {
    if (!attrs || attrs.length === 0) return;
    this.add(`${header}:`);
    const arrow = header.includes('->') ? `${header.split('->')[0]}     ->` : '     ->';
    for (const kv of attrs) this.add(`${arrow} ${kv.key}: ${typedValue(kv.value)}`);
  }
  resource(label: string, i: number, schemaUrl: string | undefined, resource: Resource | null | undefined): void {
    this.add(`${label} #${i}`);
    this.add(`Resource SchemaURL: ${schemaUrl ?? ''}`);
    this.attributes('Resource attributes', resource?.attributes);
  }
  scope(label: string, j: number, schemaUrl: string | undefined, scope: InstrumentationScope | null | undefined): void {
    this.add(`${label} #${j}`);
    this.add(`${label} SchemaURL: ${schemaUrl ?? ''}`);
    this.add(`InstrumentationScope ${scope?.name ?? ''} ${scope?.version ?? ''}`);
    this.attributes('InstrumentationScope attributes', scope?.attributes);
  }
  exemplars(list: readonly Exemplar[] | undefined): void {
    if (!list || list.length === 0) return;
    this.add('Exemplars:');
    list.forEach((e, k) => {
      this.add(`Exemplar #${k}`);
      this.add(`     -> Trace ID: ${idToHex(e.traceId)}`);
      this.add(`     -> Span ID: ${idToHex(e.spanId)}`);
      this.add(`     -> Timestamp: ${goTime(e.timeUnixNano)}`);
      if (isSet(e, 'asInt')) this.add(`     -> Value: ${int64ToString(e.asInt)}`);
      else if (isSet(e, 'asDouble')) this.add(`     -> Value: ${goFloat(e.asDouble)}`);
      this.attributes('     -> FilteredAttributes', e.filteredAttributes);
    });
  }
}

/** Every span with its resource and scope. */
export function detailedTraces(data: TracesData): string {
  const b = new Lines();
  data.resourceSpans.forEach((rs, i) => {
    b.resource('ResourceSpans', i, rs.schemaUrl, rs.resource);
    rs.scopeSpans.forEach((ss, j) => {
      b.scope('ScopeSpans', j, ss.schemaUrl, ss.scope);
      ss.spans.forEach((span, k) => {
        b.add(`Span #${k}`);
        b.field('Trace ID', idToHex(span.traceId));
        b.field('Parent ID', idToHex(span.parentSpanId));
        b.field('ID', idToHex(span.spanId));
        b.field('Name', span.name);
        b.field('Kind', spanKindName(span.kind));
        if (span.traceState) b.field('TraceState', span.traceState);
        b.field('Start time', goTime(span.startTimeUnixNano));
        b.field('End time', goTime(span.endTimeUnixNano));
        b.field('Status code', statusCodeName(span.status?.code));
        b.field('Status message', span.status?.message ?? '');
        b.attributes('Attributes', span.attributes);
        if (span.events && span.events.length > 0) {
          b.add('Events:');
          span.events.forEach((e, n) => {
            b.add(`SpanEvent #${n}`);
            b.add(`     -> Name: ${e.name}`);
            b.add(`     -> Timestamp: ${goTime(e.timeUnixNano)}`);
            b.add(`     -> DroppedAttributesCount: ${e.droppedAttributesCount ?? 0}`);
            b.attributes('     -> Attributes:', e.attributes);
          });
        }
        if (span.links && span.links.length > 0) {
          b.add('Links:');
          span.links.forEach((l, n) => {
            b.add(`SpanLink #${n}`);
            b.add(`     -> Trace ID: ${idToHex(l.traceId)}`);
            b.add(`     -> ID: ${idToHex(l.spanId)}`);
            b.add(`     -> TraceState: ${l.traceState ?? ''}`);
            b.add(`     -> DroppedAttributesCount: ${l.droppedAttributesCount ?? 0}`);
            b.attributes('     -> Attributes:', l.attributes);
          });
        }
      });
    });
  });
  return b.text;
}

/** Every log record with its resource and scope. */
export function detailedLogs(data: LogsData): string {
  const b = new Lines();
  data.resourceLogs.forEach((rl, i) => {
    b.resource('ResourceLog', i, rl.schemaUrl, rl.resource);
    rl.scopeLogs.forEach((sl, j) => {
      b.scope('ScopeLogs', j, sl.schemaUrl, sl.scope);
      sl.logRecords.forEach((r, k) => {
        b.add(`LogRecord #${k}`);
        b.add(`ObservedTimestamp: ${goTime(r.observedTimeUnixNano)}`);
        b.add(`Timestamp: ${goTime(r.timeUnixNano)}`);
        b.add(`SeverityText: ${r.severityText ?? ''}`);
        b.add(`SeverityNumber: ${severityName(r.severityNumber)}(${r.severityNumber ?? 0})`);
        if (r.eventName) b.add(`EventName: ${r.eventName}`);
        b.add(`Body: ${typedValue(r.body)}`);
        b.attributes('Attributes', r.attributes);
        b.add(`Trace ID: ${idToHex(r.traceId)}`);
        b.add(`Span ID: ${idToHex(r.spanId)}`);
        b.add(`Flags: ${r.flags ?? 0}`);
      });
    });
  });
  return b.text;
}

function numberPoints(b: Lines, points: readonly NumberDataPoint[]): void {
  points.forEach((p, k) => {
    b.add(`NumberDataPoints #${k}`);
    b.attributes('Data point attributes', p.attributes);
    b.add(`StartTimestamp: ${goTime(p.startTimeUnixNano)}`);
    b.add(`Timestamp: ${goTime(p.timeUnixNano)}`);
    if (isSet(p, 'asInt')) b.add(`Value: ${int64ToString(p.asInt)}`);
    else if (isSet(p, 'asDouble')) b.add(`Value: ${goFloat(p.asDouble)}`);
    b.exemplars(p.exemplars);
  });
}

/** The lines a histogram and an exponential histogram point share, in the Collector's order. */
function histogramHead(b: Lines, title: string, p: HistogramDataPoint | ExponentialHistogramDataPoint): void {
  b.add(title);
  b.attributes('Data point attributes', p.attributes);
  b.add(`StartTimestamp: ${goTime(p.startTimeUnixNano)}`);
  b.add(`Timestamp: ${goTime(p.timeUnixNano)}`);
  b.add(`Count: ${int64ToString(p.count)}`);
  if (isSet(p, 'sum')) b.add(`Sum: ${goFloat(p.sum)}`);
  if (isSet(p, 'min')) b.add(`Min: ${goFloat(p.min)}`);
  if (isSet(p, 'max')) b.add(`Max: ${goFloat(p.max)}`);
}

function metricBody(b: Lines, m: Metric): void {
  const type = m.gauge
    ? 'Gauge'
    : m.sum
      ? 'Sum'
      : m.histogram
        ? 'Histogram'
        : m.exponentialHistogram
          ? 'ExponentialHistogram'
          : m.summary
            ? 'Summary'
            : 'Empty';
  b.add('Descriptor:');
  b.add(`     -> Name: ${m.name}`);
  b.add(`     -> Description: ${m.description ?? ''}`);
  b.add(`     -> Unit: ${m.unit ?? ''}`);
  b.add(`     -> DataType: ${type}`);
  if (m.gauge) numberPoints(b, m.gauge.dataPoints);
  else if (m.sum) {
    b.add(`     -> IsMonotonic: ${Boolean(m.sum.isMonotonic)}`);
    b.add(`     -> AggregationTemporality: ${temporalityName(m.sum.aggregationTemporality)}`);
    numberPoints(b, m.sum.dataPoints);
  } else if (m.histogram) {
    b.add(`     -> AggregationTemporality: ${temporalityName(m.histogram.aggregationTemporality)}`);
    m.histogram.dataPoints.forEach((p, k) => {
      histogramHead(b, `HistogramDataPoints #${k}`, p);
      p.explicitBounds.forEach((x, n) => {
        b.add(`ExplicitBounds #${n}: ${goFloat(x)}`);
      });
      p.bucketCounts.forEach((c, n) => {
        b.add(`Buckets #${n}, Count: ${int64ToString(c)}`);
      });
      b.exemplars(p.exemplars);
    });
  } else if (m.exponentialHistogram) {
    b.add(`     -> AggregationTemporality: ${temporalityName(m.exponentialHistogram.aggregationTemporality)}`);
    m.exponentialHistogram.dataPoints.forEach((p, k) => {
      histogramHead(b, `ExponentialHistogramDataPoints #${k}`, p);
      const factor = Math.LN2 * 2 ** -p.scale;
      const neg = p.negative?.bucketCounts ?? [];
      for (let n = neg.length - 1; n >= 0; n--) {
        const index = (p.negative?.offset ?? 0) + n;
        b.add(
          `Bucket [${goFloat(-Math.exp((index + 1) * factor))}, ${goFloat(-Math.exp(index * factor))}), Count: ${int64ToString(neg[n])}`,
        );
      }
      if (int64ToString(p.zeroCount) !== '0') b.add(`Bucket [0, 0], Count: ${int64ToString(p.zeroCount)}`);
      (p.positive?.bucketCounts ?? []).forEach((c, n) => {
        const index = (p.positive?.offset ?? 0) + n;
        b.add(
          `Bucket (${goFloat(Math.exp(index * factor))}, ${goFloat(Math.exp((index + 1) * factor))}], Count: ${int64ToString(c)}`,
        );
      });
      b.exemplars(p.exemplars);
    });
  } else if (m.summary) {
    m.summary.dataPoints.forEach((p, k) => {
      b.add(`SummaryDataPoints #${k}`);
      b.attributes('Data point attributes', p.attributes);
      b.add(`StartTimestamp: ${goTime(p.startTimeUnixNano)}`);
      b.add(`Timestamp: ${goTime(p.timeUnixNano)}`);
      b.add(`Count: ${int64ToString(p.count)}`);
      b.add(`Sum: ${goFloat(p.sum)}`);
      p.quantileValues.forEach((q, n) => {
        b.add(`QuantileValue #${n}: Quantile ${goFloat(q.quantile)}, Value ${goFloat(q.value)}`);
      });
    });
  }
}

/** Every metric and data point with its resource and scope. */
export function detailedMetrics(data: MetricsData): string {
  const b = new Lines();
  data.resourceMetrics.forEach((rm, i) => {
    b.resource('ResourceMetrics', i, rm.schemaUrl, rm.resource);
    rm.scopeMetrics.forEach((sm, j) => {
      b.scope('ScopeMetrics', j, sm.schemaUrl, sm.scope);
      sm.metrics.forEach((m, k) => {
        b.add(`Metric #${k}`);
        metricBody(b, m);
      });
    });
  });
  return b.text;
}
