/**
 * The local store: recent spans, log lines and metric series kept in memory, bounded by item
 * counts and by age, so a laptop with no backend can still answer "what happened to this request".
 * Ingest flattens each OTLP record into a small plain object (strings and numbers: cheap to scan,
 * to serialise for the web view and to snapshot); queries (./queries.ts) scan these on demand.
 */
import { CONTROLLER, OBJECT_NAME, OBJECT_NAMESPACE, RECONCILE_ID, REQUEST_ID } from '@stitch/correlation';
import { nanosToMillis } from '../../model/time.js';
import {
  AggregationTemporality,
  DATA_POINT_FLAG_NO_RECORDED_VALUE,
  type Exemplar,
  type HistogramDataPoint,
  type KeyValue,
  type LogsData,
  type Metric,
  type MetricsData,
  type NumberDataPoint,
  StatusCode,
  type TracesData,
} from '../../model/types.js';
import { anyValueToString, getStringAttribute, idToHex, int64ToNumber, isSet, pointValue } from '../../model/values.js';
import { exponentialToClassic } from '../prometheus-remote-write/translate.js';
import type { CounterPoint, HistogramPoint } from './red.js';
import { Ring } from './ring.js';

/** A span as the store keeps it. */
export interface SpanEntry {
  /** When the collector received it (ms); retention counts from here. */
  rx: number;
  /** Start (ms since the epoch, fractional). */
  start: number;
  durationMs: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  service: string;
  error: boolean;
  statusMessage?: string | undefined;
  requestId?: string | undefined;
  rid?: string | undefined;
  method?: string | undefined;
  route?: string | undefined;
  statusCode?: number | undefined;
  controller?: string | undefined;
  /** `namespace/name` of the reconciled object. */
  object?: string | undefined;
  /** `controller_runtime.result` of a reconcile span. */
  result?: string | undefined;
  attributes: Record<string, string>;
  events: { timeMs: number; name: string; attributes: Record<string, string> }[];
}

/** A log record as the store keeps it. */
export interface LogEntry {
  rx: number;
  /** Record time (ms), else the observed time, else the receive time. */
  time: number;
  severity: string;
  severityNumber: number;
  body: string;
  service: string;
  traceId: string;
  spanId: string;
  requestId?: string | undefined;
  rid?: string | undefined;
  attributes: Record<string, string>;
}

/** An exemplar of a series. */
export interface ExemplarEntry {
  t: number;
  value: number;
  traceId: string;
  spanId: string;
  requestId?: string | undefined;
  rid?: string | undefined;
}

/** A metric series: its identity, recent points and recent exemplars. */
export interface SeriesEntry {
  key: string;
  name: string;
  unit: string;
  service: string;
  kind: 'histogram' | 'counter' | 'gauge';
  labels: Record<string, string>;
  /** Histogram bucket upper bounds (the +Inf bucket is implied). */
  bounds: number[];
  points: Ring<HistogramPoint | CounterPoint>;
  exemplars: Ring<ExemplarEntry>;
  lastRx: number;
  /** Time of the point that opened the current resolution step. */
  stepT: number;
}

/** Store limits (from the exporter config). */
export interface StoreLimits {
  maxSpans: number;
  maxLogs: number;
  maxSeries: number;
  retentionMs: number;
  maxValueLength: number;
}

/** What an ingest call kept and dropped (for self-telemetry). */
export interface IngestResult {
  kept: number;
  /** Items the store cannot represent (summaries, points without a temporality). */
  unsupported: number;
}

/** Counters of what the store forgot. */
export interface StoreStats {
  spans: number;
  logs: number;
  series: number;
  /** Items overwritten because a ring was full, since start. */
  overwritten: { spans: number; logs: number; series: number };
  /** Items forgotten because they were older than the retention, since start. */
  expired: { spans: number; logs: number; series: number };
  /** Receive time of the oldest item held (ms), if any. */
  oldestMs: number | undefined;
}

/** Points kept per series: one per POINT_RESOLUTION_MS, enough for the 5-minute rate window. */
export const POINTS_PER_SERIES = 48;
/** Points closer together than this replace each other (the newest wins). */
export const POINT_RESOLUTION_MS = 10_000;
/** Exemplars kept per series (the newest). */
export const EXEMPLARS_PER_SERIES = 16;
const MAX_ATTRIBUTES = 64;
const MAX_EVENTS = 16;
const SERVICE_NAME = 'service.name';
const UNKNOWN_SERVICE = 'unknown_service';

/** Cuts `s` to `max` characters, marking the cut. */
function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * The bounded store behind the `local` exporter. Not thread-safe and not meant to be: the
 * collector runs it on its one event loop; every method is synchronous and bounded by the limits.
 */
export class LocalStore {
  readonly spans: Ring<SpanEntry>;
  readonly logs: Ring<LogEntry>;
  /** Series by key, least recently updated first (re-inserted on update). */
  readonly series = new Map<string, SeriesEntry>();
  private readonly overwritten = { spans: 0, logs: 0, series: 0 };
  private readonly expired = { spans: 0, logs: 0, series: 0 };

  constructor(readonly limits: StoreLimits) {
    this.spans = new Ring(limits.maxSpans);
    this.logs = new Ring(limits.maxLogs);
  }

  private attributes(attrs: readonly KeyValue[] | undefined, skip?: ReadonlySet<string>): Record<string, string> {
    const out: Record<string, string> = {};
    if (!attrs) return out;
    const n = Math.min(attrs.length, MAX_ATTRIBUTES);
    for (let i = 0; i < n; i++) {
      const kv = attrs[i];
      if (skip?.has(kv.key)) continue;
      out[kv.key] = cut(anyValueToString(kv.value), this.limits.maxValueLength);
    }
    return out;
  }

  /** Adds the spans of a batch. */
  addTraces(data: TracesData, rx: number): IngestResult {
    let kept = 0;
    for (const rs of data.resourceSpans) {
      const service = getStringAttribute(rs.resource?.attributes, SERVICE_NAME) ?? UNKNOWN_SERVICE;
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          const start = nanosToMillis(s.startTimeUnixNano);
          const attributes = this.attributes(s.attributes);
          const status = s.status;
          const code = attributes['http.response.status_code'];
          const ns = attributes[OBJECT_NAMESPACE];
          const name = attributes[OBJECT_NAME];
          const entry: SpanEntry = {
            rx,
            start,
            durationMs: Math.max(0, nanosToMillis(s.endTimeUnixNano) - start),
            traceId: idToHex(s.traceId),
            spanId: idToHex(s.spanId),
            parentSpanId: idToHex(s.parentSpanId),
            name: cut(s.name, this.limits.maxValueLength),
            kind: s.kind,
            service,
            error: status?.code === StatusCode.ERROR,
            statusMessage: status?.message ? cut(status.message, this.limits.maxValueLength) : undefined,
            requestId: attributes[REQUEST_ID],
            rid: attributes[RECONCILE_ID],
            method: attributes['http.request.method'],
            route: attributes['http.route'],
            statusCode: code === undefined ? undefined : Number(code),
            controller: attributes[CONTROLLER],
            object: name === undefined ? undefined : ns ? `${ns}/${name}` : name,
            result: attributes['controller_runtime.result'],
            attributes,
            events: (s.events ?? []).slice(0, MAX_EVENTS).map((e) => ({
              timeMs: nanosToMillis(e.timeUnixNano),
              name: cut(e.name, 256),
              attributes: this.attributes(e.attributes),
            })),
          };
          if (this.spans.push(entry) !== undefined) this.overwritten.spans++;
          kept++;
        }
      }
    }
    return { kept, unsupported: 0 };
  }

  /** Adds the log records of a batch. */
  addLogs(data: LogsData, rx: number): IngestResult {
    let kept = 0;
    for (const rl of data.resourceLogs) {
      const service = getStringAttribute(rl.resource?.attributes, SERVICE_NAME) ?? UNKNOWN_SERVICE;
      for (const sl of rl.scopeLogs) {
        for (const r of sl.logRecords) {
          const attributes = this.attributes(r.attributes);
          const time = nanosToMillis(r.timeUnixNano) || nanosToMillis(r.observedTimeUnixNano) || rx;
          const entry: LogEntry = {
            rx,
            time,
            severity: r.severityText || severityName(r.severityNumber ?? 0),
            severityNumber: r.severityNumber ?? 0,
            body: cut(anyValueToString(r.body), this.limits.maxValueLength),
            service,
            traceId: idToHex(r.traceId),
            spanId: idToHex(r.spanId),
            requestId: attributes[REQUEST_ID],
            rid: attributes[RECONCILE_ID],
            attributes,
          };
          if (this.logs.push(entry) !== undefined) this.overwritten.logs++;
          kept++;
        }
      }
    }
    return { kept, unsupported: 0 };
  }

  /** Adds the data points of a batch (histograms, sums, gauges; summaries are not kept). */
  addMetrics(data: MetricsData, rx: number): IngestResult {
    const result: IngestResult = { kept: 0, unsupported: 0 };
    for (const rm of data.resourceMetrics) {
      const service = getStringAttribute(rm.resource?.attributes, SERVICE_NAME) ?? UNKNOWN_SERVICE;
      for (const sm of rm.scopeMetrics) for (const m of sm.metrics) this.addMetric(service, m, rx, result);
    }
    return result;
  }

  private addMetric(service: string, m: Metric, rx: number, result: IngestResult): void {
    const unit = m.unit ?? '';
    if (m.histogram) {
      const delta = m.histogram.aggregationTemporality === AggregationTemporality.DELTA;
      for (const dp of m.histogram.dataPoints) this.addHistogram(service, m.name, unit, dp, delta, rx, result);
    } else if (m.exponentialHistogram) {
      const delta = m.exponentialHistogram.aggregationTemporality === AggregationTemporality.DELTA;
      // Kept as explicit buckets (the remote-write exporter's conversion): one shape for queries.
      for (const dp of m.exponentialHistogram.dataPoints) {
        this.addHistogram(service, m.name, unit, exponentialToClassic(dp), delta, rx, result);
      }
    } else if (m.sum) {
      const delta = m.sum.aggregationTemporality === AggregationTemporality.DELTA;
      const kind = m.sum.isMonotonic ? 'counter' : 'gauge';
      for (const dp of m.sum.dataPoints) this.addNumber(service, m.name, unit, kind, dp, delta, rx, result);
    } else if (m.gauge) {
      for (const dp of m.gauge.dataPoints) this.addNumber(service, m.name, unit, 'gauge', dp, false, rx, result);
    } else if (m.summary) {
      result.unsupported += m.summary.dataPoints.length;
    }
  }

  private seriesFor(
    service: string,
    name: string,
    unit: string,
    kind: SeriesEntry['kind'],
    attrs: readonly KeyValue[],
    rx: number,
  ): SeriesEntry {
    const labels = this.attributes(attrs);
    let key = `${service}\u0000${name}`;
    for (const k of Object.keys(labels).sort()) key += `\u0000${k}\u0001${labels[k]}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = {
        key,
        name,
        unit,
        service,
        kind,
        labels,
        bounds: [],
        points: new Ring(POINTS_PER_SERIES),
        exemplars: new Ring(EXEMPLARS_PER_SERIES),
        lastRx: rx,
        stepT: Number.NEGATIVE_INFINITY,
      };
      if (this.series.size >= this.limits.maxSeries) {
        const lru = this.series.keys().next().value;
        if (lru !== undefined) this.series.delete(lru);
        this.overwritten.series++;
      }
    } else {
      // Re-insert: Map order is then least recently updated first, so eviction takes the head.
      this.series.delete(key);
    }
    s.lastRx = rx;
    this.series.set(key, s);
    return s;
  }

  private addPoint(s: SeriesEntry, p: HistogramPoint | CounterPoint): void {
    // One point per resolution step: within a step the newest replaces the previous one, so the
    // history spans POINTS_PER_SERIES steps however often the sender exports.
    const last = s.points.newest();
    if (last !== undefined && last.start === p.start && p.t - s.stepT < POINT_RESOLUTION_MS) {
      s.points.replaceNewest(p);
      return;
    }
    s.points.push(p);
    s.stepT = p.t;
  }

  private addHistogram(
    service: string,
    name: string,
    unit: string,
    dp: HistogramDataPoint,
    delta: boolean,
    rx: number,
    result: IngestResult,
  ): void {
    if (((dp.flags ?? 0) & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0) return;
    const s = this.seriesFor(service, name, unit, 'histogram', dp.attributes, rx);
    const bounds = dp.explicitBounds ?? [];
    const counts = dp.bucketCounts ?? [];
    const buckets = new Float64Array(bounds.length + 1);
    for (let i = 0; i < buckets.length && i < counts.length; i++) buckets[i] = int64ToNumber(counts[i]);
    let point: HistogramPoint = {
      t: nanosToMillis(dp.timeUnixNano) || rx,
      start: nanosToMillis(dp.startTimeUnixNano),
      count: int64ToNumber(dp.count),
      sum: isSet(dp, 'sum') ? (dp.sum as number) : 0,
      buckets,
    };
    const prev = s.points.newest() as HistogramPoint | undefined;
    if (!sameBounds(s.bounds, bounds)) {
      // New bucket layout (a redeploy changed them): earlier points cannot be compared.
      s.bounds = [...bounds];
      s.points = new Ring(POINTS_PER_SERIES);
      s.stepT = Number.NEGATIVE_INFINITY;
    } else if (delta && prev !== undefined) {
      const acc = new Float64Array(buckets.length);
      for (let i = 0; i < acc.length; i++) acc[i] = prev.buckets[i] + buckets[i];
      point = { t: point.t, start: prev.start, count: prev.count + point.count, sum: prev.sum + point.sum, buckets: acc };
    }
    this.addPoint(s, point);
    this.addExemplars(s, dp.exemplars);
    result.kept++;
  }

  private addNumber(
    service: string,
    name: string,
    unit: string,
    kind: 'counter' | 'gauge',
    dp: NumberDataPoint,
    delta: boolean,
    rx: number,
    result: IngestResult,
  ): void {
    if (((dp.flags ?? 0) & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0) return;
    const s = this.seriesFor(service, name, unit, kind, dp.attributes, rx);
    let point: CounterPoint = {
      t: nanosToMillis(dp.timeUnixNano) || rx,
      start: nanosToMillis(dp.startTimeUnixNano),
      value: pointValue(dp),
    };
    const prev = s.points.newest() as CounterPoint | undefined;
    if (delta && prev !== undefined) point = { t: point.t, start: prev.start, value: prev.value + point.value };
    this.addPoint(s, point);
    this.addExemplars(s, dp.exemplars);
    result.kept++;
  }

  private addExemplars(s: SeriesEntry, exemplars: readonly Exemplar[] | undefined): void {
    if (!exemplars) return;
    for (const e of exemplars) {
      s.exemplars.push({
        t: nanosToMillis(e.timeUnixNano),
        value: pointValue(e),
        traceId: idToHex(e.traceId),
        spanId: idToHex(e.spanId),
        requestId: getStringAttribute(e.filteredAttributes, REQUEST_ID),
        rid: getStringAttribute(e.filteredAttributes, RECONCILE_ID),
      });
    }
  }

  /** Forgets everything received before `nowMs - retention`. */
  prune(nowMs: number): void {
    const cutoff = nowMs - this.limits.retentionMs;
    this.expired.spans += this.spans.dropWhile((s) => s.rx < cutoff);
    this.expired.logs += this.logs.dropWhile((l) => l.rx < cutoff);
    for (const [key, s] of this.series) {
      if (s.lastRx >= cutoff) break; // least recently updated first: the rest are newer
      this.series.delete(key);
      this.expired.series++;
    }
  }

  /** Sizes and what was forgotten. */
  stats(): StoreStats {
    const oldest = [this.spans.oldest()?.rx, this.logs.oldest()?.rx].filter((x): x is number => x !== undefined);
    return {
      spans: this.spans.size,
      logs: this.logs.size,
      series: this.series.size,
      overwritten: { ...this.overwritten },
      expired: { ...this.expired },
      oldestMs: oldest.length > 0 ? Math.min(...oldest) : undefined,
    };
  }
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const SEVERITY_NAMES = ['', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** The OTLP severity range name of a SeverityNumber (1–4 TRACE … 21–24 FATAL). */
export function severityName(n: number): string {
  if (n <= 0) return '';
  return SEVERITY_NAMES[Math.min(6, Math.ceil(n / 4))] as string;
}
