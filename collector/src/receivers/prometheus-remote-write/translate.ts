/**
 * Remote-write series → OTLP metrics, the inverse of the exporter's mapping as far as it can be:
 * - `job`/`instance` become the resource (`service.namespace`/`service.name` split at the first
 *   `/`, `service.instance.id`); a `target_info` series in the same request adds its other labels
 *   as resource attributes and is not emitted itself;
 * - float samples become gauge points, except series named `…_total` whose family is a counter
 *   (by metadata, or without metadata by the name alone): those become cumulative monotonic sums;
 * - classic histograms and summaries are NOT reassembled: their `_bucket{le}`, `_sum`, `_count`
 *   and `{quantile}` series stay gauges, so they round-trip to the same Prometheus series;
 * - native histograms become cumulative exponential histograms (scale = schema; custom-bucket
 *   schemas are dropped and counted);
 * - the staleness NaN becomes the no-recorded-value flag; exemplars go on the series' last point,
 *   `trace_id`/`span_id` into the exemplar's IDs, other labels into its filtered attributes.
 * Metadata arrives in its own requests (Prometheus sends it separately), so family types are
 * remembered across requests in a bounded map.
 */
import type Long from 'long';
import type { BucketSpan, NativeHistogram, TimeSeries, WriteRequest } from '../../model/remote-write/types.js';
import { isStaleNaN, METRIC_NAME_LABEL, MetricType } from '../../model/remote-write/types.js';
import { millisToNanos } from '../../model/time.js';
import {
  AggregationTemporality,
  DATA_POINT_FLAG_NO_RECORDED_VALUE,
  type Exemplar,
  type ExponentialHistogramDataPoint,
  type KeyValue,
  type Metric,
  type MetricsData,
  type NumberDataPoint,
  type ResourceMetrics,
} from '../../model/types.js';

/** Family types remembered from metadata requests. */
const MAX_METADATA = 10_000;
const HEX_RE = /^[0-9a-fA-F]+$/;

/** One request, translated. */
export interface ReceivedMetrics {
  data: MetricsData;
  /** Data points produced. */
  points: number;
  /** Series dropped as unusable (no `__name__`, custom-bucket native histograms). */
  invalidSeries: number;
}

/** Translates requests; holds the metadata memory, so make one per receiver. */
export interface RemoteWriteToOtlp {
  translate(request: WriteRequest): ReceivedMetrics;
}

function kv(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

function idBytes(hex: string, length: number): Uint8Array | undefined {
  return hex.length === length * 2 && HEX_RE.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

/** Spans + deltas (or absolute counts) → OTLP dense buckets: offset is the Prometheus index - 1. */
function denseBuckets(spans: BucketSpan[], deltas: number[], counts: number[], isFloat: boolean) {
  const out: number[] = [];
  let first = 0;
  let idx = 0;
  let k = 0;
  let current = 0;
  for (let s = 0; s < spans.length; s++) {
    idx += spans[s].offset;
    if (s === 0) first = idx;
    for (let j = 0; j < spans[s].length; j++, k++, idx++) {
      current = isFloat ? Math.round(counts[k] ?? 0) : current + (deltas[k] ?? 0);
      const pos = idx - first;
      while (out.length < pos) out.push(0);
      out.push(current);
    }
  }
  return { offset: first - 1, bucketCounts: out };
}

/** A native histogram as an OTLP exponential histogram point; undefined for custom-bucket schemas. */
export function nativeToExponential(h: NativeHistogram, attributes: KeyValue[]): ExponentialHistogramDataPoint | undefined {
  if (h.schema < -4 || h.schema > 8) return undefined;
  const stale = isStaleNaN(h.sum);
  const dp: ExponentialHistogramDataPoint = {
    attributes,
    timeUnixNano: millisToNanos(h.timestamp),
    count: Math.round(h.count),
    scale: h.schema,
    zeroCount: Math.round(h.zeroCount),
    zeroThreshold: h.zeroThreshold,
    positive: denseBuckets(h.positiveSpans, h.positiveDeltas, h.positiveCounts, h.isFloat),
    negative: denseBuckets(h.negativeSpans, h.negativeDeltas, h.negativeCounts, h.isFloat),
    flags: stale ? DATA_POINT_FLAG_NO_RECORDED_VALUE : 0,
  };
  if (!stale) dp.sum = h.sum;
  return dp;
}

/** Creates a translator with its own metadata memory. */
export function createRemoteWriteToOtlp(): RemoteWriteToOtlp {
  const familyTypes = new Map<string, MetricType>();

  const familyType = (name: string): MetricType | undefined => {
    const t = familyTypes.get(name);
    if (t !== undefined) return t;
    for (const suffix of ['_total', '_bucket', '_sum', '_count', '_created']) {
      if (name.endsWith(suffix)) return familyTypes.get(name.slice(0, -suffix.length));
    }
    return undefined;
  };

  return {
    translate(request) {
      for (const m of request.metadata) {
        if (familyTypes.size >= MAX_METADATA && !familyTypes.has(m.metricFamilyName)) familyTypes.clear();
        familyTypes.set(m.metricFamilyName, m.type);
      }
      const resources = new Map<string, { rm: ResourceMetrics; metrics: Map<string, Metric> }>();
      const resourceOf = (job: string | undefined, instance: string | undefined) => {
        const key = `${job ?? ''}\u00ff${instance ?? ''}`;
        let r = resources.get(key);
        if (r === undefined) {
          const attributes: KeyValue[] = [];
          if (job !== undefined) {
            const slash = job.indexOf('/');
            if (slash > 0)
              attributes.push(kv('service.namespace', job.slice(0, slash)), kv('service.name', job.slice(slash + 1)));
            else attributes.push(kv('service.name', job));
          }
          if (instance !== undefined) attributes.push(kv('service.instance.id', instance));
          const rm: ResourceMetrics = {
            resource: { attributes },
            scopeMetrics: [{ scope: { name: 'prometheusremotewrite' }, metrics: [] }],
          };
          r = { rm, metrics: new Map() };
          resources.set(key, r);
        }
        return r;
      };
      // Requests often carry thousands of samples at a handful of timestamps.
      const nanos = new Map<number, Long>();
      const toNanos = (ms: number) => {
        let n = nanos.get(ms);
        if (n === undefined) nanos.set(ms, (n = millisToNanos(ms)));
        return n;
      };

      let points = 0;
      let invalidSeries = 0;
      const split = (ts: TimeSeries) => {
        let name: string | undefined;
        let job: string | undefined;
        let instance: string | undefined;
        const attributes: KeyValue[] = [];
        for (const l of ts.labels) {
          if (l.name === METRIC_NAME_LABEL) name = l.value;
          else if (l.name === 'job') job = l.value;
          else if (l.name === 'instance') instance = l.value;
          else if (l.value !== '') attributes.push(kv(l.name, l.value));
        }
        return { name, job, instance, attributes };
      };

      for (const ts of request.timeseries) {
        const s = split(ts);
        if (s.name !== 'target_info') continue;
        resourceOf(s.job, s.instance).rm.resource?.attributes.push(...s.attributes);
      }

      for (const ts of request.timeseries) {
        const { name, job, instance, attributes } = split(ts);
        if (name === 'target_info') continue;
        if (name === undefined || name === '') {
          invalidSeries++;
          continue;
        }
        const r = resourceOf(job, instance);
        let metric = r.metrics.get(name);
        if (ts.histograms.length > 0) {
          if (metric === undefined) {
            metric = {
              name,
              exponentialHistogram: { dataPoints: [], aggregationTemporality: AggregationTemporality.CUMULATIVE },
            };
            r.metrics.set(name, metric);
            r.rm.scopeMetrics[0].metrics.push(metric);
          }
          const dps = metric.exponentialHistogram?.dataPoints;
          if (!dps) {
            invalidSeries++; // the same name carried float samples in this request
            continue;
          }
          let added = 0;
          for (const h of ts.histograms) {
            const dp = nativeToExponential(h, attributes);
            if (dp) {
              dps.push(dp);
              added++;
            }
          }
          if (added === 0) invalidSeries++;
          else attachExemplars(ts, dps.at(-1) as ExponentialHistogramDataPoint, toNanos);
          points += added;
          continue;
        }
        if (ts.samples.length === 0) continue;
        if (metric === undefined) {
          const type = familyType(name);
          const counter = name.endsWith('_total') && (type === undefined || type === MetricType.COUNTER);
          metric = counter
            ? {
                name,
                sum: { dataPoints: [], aggregationTemporality: AggregationTemporality.CUMULATIVE, isMonotonic: true },
              }
            : { name, gauge: { dataPoints: [] } };
          r.metrics.set(name, metric);
          r.rm.scopeMetrics[0].metrics.push(metric);
        }
        const dps = metric.sum?.dataPoints ?? metric.gauge?.dataPoints;
        if (!dps) {
          invalidSeries++;
          continue;
        }
        for (let i = 0; i < ts.samples.length; i++) {
          const sample = ts.samples[i];
          // Each point owns its attribute list (a processor may edit one point's attributes).
          const dp: NumberDataPoint = {
            attributes: i === 0 ? attributes : attributes.slice(),
            timeUnixNano: toNanos(sample.timestamp),
          };
          if (isStaleNaN(sample.value)) dp.flags = DATA_POINT_FLAG_NO_RECORDED_VALUE;
          else dp.asDouble = sample.value;
          dps.push(dp);
        }
        points += ts.samples.length;
        attachExemplars(ts, dps.at(-1) as NumberDataPoint, toNanos);
      }
      return { data: { resourceMetrics: [...resources.values()].map((r) => r.rm) }, points, invalidSeries };
    },
  };
}

function attachExemplars(ts: TimeSeries, point: { exemplars?: Exemplar[] }, toNanos: (ms: number) => Long): void {
  if (ts.exemplars.length === 0) return;
  const out: Exemplar[] = (point.exemplars ??= []);
  for (const e of ts.exemplars) {
    const ex: Exemplar = { filteredAttributes: [], timeUnixNano: toNanos(e.timestamp), asDouble: e.value };
    for (const l of e.labels) {
      const trace = l.name === 'trace_id' ? idBytes(l.value, 16) : undefined;
      const span = l.name === 'span_id' ? idBytes(l.value, 8) : undefined;
      if (trace) ex.traceId = trace;
      else if (span) ex.spanId = span;
      else ex.filteredAttributes.push(kv(l.name, l.value));
    }
    out.push(ex);
  }
}
