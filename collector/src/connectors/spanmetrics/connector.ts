/**
 * The `spanmetrics` connector (traces → metrics), after the Collector contrib
 * spanmetricsconnector: R.E.D. metrics per resource and dimension set — `<namespace>.calls`
 * (monotonic Sum), `<namespace>.duration` (explicit or exponential Histogram, `ms` or `s`) and,
 * when enabled, `<namespace>.events` — emitted every `metrics_flush_interval`. Dimensions:
 * `service.name`, `span.name`, `span.kind` (`SPAN_KIND_SERVER`…), `status.code`
 * (`STATUS_CODE_UNSET`…) plus the configured ones (span attribute, then resource attribute, then
 * `default`). Exemplars carry the span's trace_id and span_id and, a Stitch addition, the span's
 * request_id / rid as filtered attributes, so an exemplar opens the request's logs too.
 *
 * Memory is bounded by `resource_metrics_cache_size` resources (least recently used evicted),
 * `aggregation_cardinality_limit` series per resource (overflow series beyond), and
 * `max_per_data_point` exemplars per series per interval.
 */
import Long from 'long';
import { LRUCache } from 'lru-cache';
import type { Component, Consumer, CreateSettings } from '../../component/component.js';
import { errors } from '../../errors.js';
import { countDataPoints } from '../../model/count.js';
import { nowNanos } from '../../model/time.js';
import {
  AggregationTemporality,
  type Exemplar,
  type Int64,
  type KeyValue,
  type Metric,
  type MetricsData,
  type Resource,
  type ResourceMetrics,
  type Span,
  SpanKind,
  StatusCode,
  type TracesData,
} from '../../model/types.js';
import { anyValueToString, findAttribute } from '../../model/values.js';
import { exemplarIdAttributes } from '../internal/exemplar-ids.js';
import { DEFAULT_BUCKETS_MS, type Dimension, type SpanMetricsConnectorConfig } from './config.js';
import { ExponentialHistogram } from './expo.js';

/** The scope name of the emitted metrics (contrib's). */
export const SPANMETRICS_SCOPE = 'spanmetricsconnector';

const KIND_NAMES: Record<number, string> = {
  [SpanKind.UNSPECIFIED]: 'SPAN_KIND_UNSPECIFIED',
  [SpanKind.INTERNAL]: 'SPAN_KIND_INTERNAL',
  [SpanKind.SERVER]: 'SPAN_KIND_SERVER',
  [SpanKind.CLIENT]: 'SPAN_KIND_CLIENT',
  [SpanKind.PRODUCER]: 'SPAN_KIND_PRODUCER',
  [SpanKind.CONSUMER]: 'SPAN_KIND_CONSUMER',
};
const STATUS_NAMES: Record<number, string> = {
  [StatusCode.UNSET]: 'STATUS_CODE_UNSET',
  [StatusCode.OK]: 'STATUS_CODE_OK',
  [StatusCode.ERROR]: 'STATUS_CODE_ERROR',
};

/** Span duration in nanoseconds (0 when the end is before the start). Exact for 64-bit Longs. */
export function durationNanos(span: Pick<Span, 'startTimeUnixNano' | 'endTimeUnixNano'>): number {
  const s = span.startTimeUnixNano;
  const e = span.endTimeUnixNano;
  if (typeof s === 'number' && typeof e === 'number') return Math.max(e - s, 0);
  // Signed: decoded timestamps are unsigned Longs, whose difference would wrap when end < start.
  const d = Long.fromValue(e as Long)
    .toSigned()
    .subtract(Long.fromValue(s as Long).toSigned());
  return d.isNegative() ? 0 : d.toNumber();
}

/** The state of one series: its counts since the start (cumulative) or last flush (delta). */
interface Series {
  readonly attributes: KeyValue[];
  start: Int64;
  calls: number;
  explicit: { counts: number[]; sum: number; count: number; min: number; max: number } | undefined;
  expo: ExponentialHistogram | undefined;
  exemplars: Exemplar[];
  lastSeenMs: number;
}

interface ResourceState {
  readonly attributes: KeyValue[];
  readonly calls: Map<string, Series>;
  readonly durations: Map<string, Series>;
  readonly events: Map<string, Series>;
  lastSeenMs: number;
}

/** A running connector, with `flush()` exposed for tests. */
export interface SpanMetricsConnector extends Component, Consumer<TracesData> {
  /** Builds and sends the metrics now (the timer calls this every metrics_flush_interval). */
  flush(): Promise<void>;
}

/** Creates the connector. */
export function createSpanMetricsConnector(
  settings: CreateSettings,
  config: SpanMetricsConnectorConfig,
  next: Consumer<MetricsData>,
): SpanMetricsConnector {
  const unitNanos = config.histogram.unit === 's' ? 1e9 : 1e6;
  const bounds = (config.histogram.explicit?.buckets ?? DEFAULT_BUCKETS_MS).map((ms) => (ms * 1e6) / unitNanos);
  const exponential = config.histogram.exponential ? config.histogram.exponential.max_size : undefined;
  const delta = config.aggregation_temporality === 'AGGREGATION_TEMPORALITY_DELTA';
  const exclude = new Set(config.exclude_dimensions);
  const keyAttributes = new Set(config.resource_metrics_key_attributes);
  const scopes = new Set(config.include_instrumentation_scope);
  const limit = config.aggregation_cardinality_limit;
  const maxExemplars = config.exemplars.max_per_data_point;
  const ns = config.namespace;
  const metricName = (n: string) => (ns === '' ? n : `${ns}.${n}`);
  let overflowed = 0;
  const resources = new LRUCache<string, ResourceState>({ max: config.resource_metrics_cache_size });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let flushing: Promise<void> = Promise.resolve();

  settings.telemetry.observe(
    'stitch_connector_spanmetrics_overflow_spans',
    'Spans a spanmetrics connector folded into its otel.metric.overflow series (aggregation_cardinality_limit reached).',
    () => overflowed,
  );

  /** Dimension values: builtins (minus excluded), then configured ones. Returns [key, attributes]. */
  const dimensionsOf = (
    serviceName: string,
    span: Span,
    resource: Resource | null | undefined,
    extra: readonly (readonly Dimension[])[],
    scopeName: string | undefined,
  ): [string, KeyValue[]] => {
    const attrs: KeyValue[] = [];
    let key = '';
    const put = (k: string, v: string) => {
      attrs.push({ key: k, value: { stringValue: v } });
      key += `${k}\u0001${v}\u0000`;
    };
    if (!exclude.has('service.name')) put('service.name', serviceName);
    if (!exclude.has('span.name')) put('span.name', span.name);
    if (!exclude.has('span.kind')) put('span.kind', KIND_NAMES[span.kind] ?? 'SPAN_KIND_UNSPECIFIED');
    if (!exclude.has('status.code')) put('status.code', STATUS_NAMES[span.status?.code ?? 0] ?? 'STATUS_CODE_UNSET');
    for (const list of extra) {
      for (const d of list) {
        const kv = findAttribute(span.attributes, d.name) ?? findAttribute(resource?.attributes, d.name);
        if (kv) put(d.name, anyValueToString(kv.value));
        else if (d.default !== undefined) put(d.name, String(d.default));
      }
    }
    if (scopeName !== undefined && scopes.has(scopeName)) put('span.instrumentation.scope.name', scopeName);
    return [key, attrs];
  };

  const seriesIn = (map: Map<string, Series>, key: string, attrs: KeyValue[], now: Int64, nowMs: number): Series => {
    let s = map.get(key);
    if (s === undefined) {
      if (limit > 0 && map.size >= limit) {
        overflowed++;
        key = 'otel.metric.overflow';
        s = map.get(key);
        attrs = [{ key: 'otel.metric.overflow', value: { boolValue: true } }];
      }
      if (s === undefined) {
        s = { attributes: attrs, start: now, calls: 0, explicit: undefined, expo: undefined, exemplars: [], lastSeenMs: nowMs };
        map.set(key, s);
      }
    }
    s.lastSeenMs = nowMs;
    return s;
  };

  const addExemplar = (s: Series, span: Span, value: number, time: Int64) => {
    if (!config.exemplars.enabled || !span.traceId || span.traceId.length === 0) return;
    const e: Exemplar = {
      traceId: span.traceId,
      spanId: span.spanId,
      timeUnixNano: time,
      asDouble: value,
      filteredAttributes: exemplarIdAttributes(span.attributes),
    };
    // Keep the newest max_per_data_point exemplars of the interval.
    if (s.exemplars.length >= maxExemplars) s.exemplars.shift();
    s.exemplars.push(e);
  };

  const aggregate = (data: TracesData) => {
    const now = nowNanos();
    const nowMs = Date.now();
    for (const rs of data.resourceSpans) {
      const service = findAttribute(rs.resource?.attributes, 'service.name');
      if (!service) continue; // contrib skips resources without service.name
      const serviceName = anyValueToString(service.value);
      const rAttrs = (rs.resource?.attributes ?? []).filter((kv) => keyAttributes.size === 0 || keyAttributes.has(kv.key));
      let rKey = '';
      for (const kv of rAttrs) rKey += `${kv.key}\u0001${anyValueToString(kv.value)}\u0000`;
      let r = resources.get(rKey);
      if (!r) {
        r = {
          attributes: rAttrs.map((kv) => ({ key: kv.key, value: kv.value })),
          calls: new Map(),
          durations: new Map(),
          events: new Map(),
          lastSeenMs: nowMs,
        };
        resources.set(rKey, r);
      }
      r.lastSeenMs = nowMs;
      for (const ss of rs.scopeSpans) {
        const scopeName = ss.scope?.name;
        for (const span of ss.spans) {
          const value = durationNanos(span) / unitNanos;
          const time = span.endTimeUnixNano;
          const [ck, ca] = dimensionsOf(serviceName, span, rs.resource, [config.dimensions, config.calls_dimensions], scopeName);
          const calls = seriesIn(r.calls, ck, ca, now, nowMs);
          calls.calls++;
          addExemplar(calls, span, value, time);
          if (!config.histogram.disable) {
            const [dk, da] = dimensionsOf(
              serviceName,
              span,
              rs.resource,
              [config.dimensions, config.histogram.dimensions],
              scopeName,
            );
            const h = seriesIn(r.durations, dk, da, now, nowMs);
            if (exponential !== undefined) (h.expo ??= new ExponentialHistogram(exponential)).record(value);
            else {
              const x = (h.explicit ??= {
                counts: new Array(bounds.length + 1).fill(0),
                sum: 0,
                count: 0,
                min: Infinity,
                max: -Infinity,
              });
              let i = 0;
              while (i < bounds.length && value > (bounds[i] as number)) i++;
              x.counts[i]++;
              x.sum += value;
              x.count++;
              if (value < x.min) x.min = value;
              if (value > x.max) x.max = value;
            }
            addExemplar(h, span, value, time);
          }
          if (config.events.enabled) {
            for (const event of span.events ?? []) {
              const merged = { ...span, attributes: [...event.attributes, ...span.attributes] };
              const [ek, ea] = dimensionsOf(
                serviceName,
                merged,
                rs.resource,
                [config.dimensions, config.events.dimensions],
                scopeName,
              );
              const e = seriesIn(r.events, ek, ea, now, nowMs);
              e.calls++;
              addExemplar(e, span, value, time);
            }
          }
        }
      }
    }
  };

  const build = (): MetricsData => {
    const now = nowNanos();
    const nowMs = Date.now();
    const temporality = delta ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
    const out: ResourceMetrics[] = [];
    for (const [rKey, r] of resources.entries()) {
      if (config.metrics_expiration > 0 && nowMs - r.lastSeenMs >= config.metrics_expiration) {
        resources.delete(rKey);
        continue;
      }
      const metrics: Metric[] = [];
      const sum = (name: string, map: Map<string, Series>) => {
        if (map.size === 0) return;
        metrics.push({
          name: metricName(name),
          unit: '',
          sum: {
            isMonotonic: true,
            aggregationTemporality: temporality,
            dataPoints: [...map.values()].map((s) => ({
              attributes: s.attributes,
              startTimeUnixNano: s.start,
              timeUnixNano: now,
              asInt: s.calls,
              ...(s.exemplars.length > 0 ? { exemplars: s.exemplars } : {}),
            })),
          },
        });
      };
      sum('calls', r.calls);
      if (!config.histogram.disable && r.durations.size > 0) {
        const series = [...r.durations.values()];
        if (exponential !== undefined) {
          metrics.push({
            name: metricName('duration'),
            unit: config.histogram.unit,
            exponentialHistogram: {
              aggregationTemporality: temporality,
              dataPoints: series.map((s) => {
                const h = s.expo as ExponentialHistogram;
                return {
                  attributes: s.attributes,
                  startTimeUnixNano: s.start,
                  timeUnixNano: now,
                  count: h.count,
                  sum: h.sum,
                  scale: h.scale,
                  zeroCount: h.zeroCount,
                  positive: h.positive(),
                  negative: { offset: 0, bucketCounts: [] },
                  min: h.min,
                  max: h.max,
                  ...(s.exemplars.length > 0 ? { exemplars: s.exemplars } : {}),
                };
              }),
            },
          });
        } else {
          metrics.push({
            name: metricName('duration'),
            unit: config.histogram.unit,
            histogram: {
              aggregationTemporality: temporality,
              dataPoints: series.map((s) => {
                const x = s.explicit!;
                return {
                  attributes: s.attributes,
                  startTimeUnixNano: s.start,
                  timeUnixNano: now,
                  count: x.count,
                  sum: x.sum,
                  bucketCounts: [...x.counts],
                  explicitBounds: bounds,
                  min: x.min,
                  max: x.max,
                  ...(s.exemplars.length > 0 ? { exemplars: s.exemplars } : {}),
                };
              }),
            },
          });
        }
      }
      if (config.events.enabled) sum('events', r.events);
      if (metrics.length > 0)
        out.push({ resource: { attributes: r.attributes }, scopeMetrics: [{ scope: { name: SPANMETRICS_SCOPE }, metrics }] });
      // Reset: delta forgets everything; cumulative keeps counts, starts new exemplar lists.
      if (delta) {
        r.calls.clear();
        r.durations.clear();
        r.events.clear();
      } else {
        for (const m of [r.calls, r.durations, r.events]) for (const s of m.values()) s.exemplars = [];
      }
    }
    return { resourceMetrics: out };
  };

  const flush = (): Promise<void> => {
    // Serialised: a slow downstream delays the next flush instead of overlapping it.
    flushing = flushing.then(async () => {
      const md = build();
      if (md.resourceMetrics.length === 0) return;
      try {
        await next.consume(md);
      } catch (err) {
        // The data is gone from this interval (contrib logs and drops too); cumulative counts survive.
        settings.telemetry.dropped('metrics', countDataPoints(md), 'downstream_error');
        settings.logger.warn({ err }, 'spanmetrics: the metrics pipeline refused a flush');
      }
    });
    return flushing;
  };

  return {
    capabilities: { mutatesData: false },
    flush,
    async start() {
      if (stopped || timer) return;
      timer = setInterval(() => void flush(), config.metrics_flush_interval);
      timer.unref();
    },
    async shutdown() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      await flush(); // what was aggregated since the last tick goes downstream before shutdown
    },
    async consume(batch: TracesData): Promise<void> {
      if (stopped) throw errors.STITCH_ERR_SHUTDOWN([settings.id]);
      aggregate(batch);
    },
  };
}
