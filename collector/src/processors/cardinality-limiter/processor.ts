/**
 * The cardinality_limiter processor (Stitch-only): protects metric backends from a deploy that
 * suddenly puts a user ID into a label. Each metric name has a budget of series and, optionally,
 * of distinct values per label. A point that would create a series over budget is dropped
 * (`action: drop`) or folded (`action: overflow`): offending labels are removed and
 * `otel.metric.overflow="true"` is added, or, over the series budget, its attributes are replaced
 * by that marker alone, as the OpenTelemetry SDKs do. Folded points of one metric that land in the
 * same series within a batch are merged (sums and histograms added, gauges keep the latest), so
 * backends never see duplicates. Existing series are never affected.
 */
import type { Counter, Registry } from 'prom-client';
import type { Component, ConsumeContext, Consumer, CreateSettings } from '../../component/component.js';
import { errors } from '../../errors.js';
import type {
  HistogramDataPoint,
  KeyValue,
  Metric,
  MetricsData,
  NumberDataPoint,
  Resource,
  Signal,
  SignalData,
} from '../../model/types.js';
import { anyValueToString, int64ToNumber, isSet, pointValue } from '../../model/values.js';
import { sharedCounter } from '../../telemetry/self-metrics.js';
import { dataPointsOf, setDataPoints } from '../internal/data-points.js';
import type { CardinalityLimiterConfig } from './config.js';
import { SeriesBudget } from './limiter.js';

/** The attribute the OpenTelemetry SDKs put on their overflow series. */
export const OVERFLOW_KEY = 'otel.metric.overflow';

/** At most this many offending metrics are remembered between two log lines. */
const MAX_LOGGED_METRICS = 50;

/** A running cardinality limiter. */
export type CardinalityLimiterProcessor<S extends Signal> = Component & Consumer<SignalData[S]>;

function foldedCounter(registry: Registry): Counter<string> {
  const name = 'stitch_processor_cardinality_folded_items_total';
  return sharedCounter(registry, name, 'Data points the cardinality limiter folded into an otel.metric.overflow series.', [
    'component_id',
  ]);
}

type LabelPairs = readonly (readonly [string, string])[];

function resourceKey(r: Resource | null | undefined): string {
  return r ? labelKey(labelPairs(r.attributes)) : '';
}

/** The attributes as (name, value) strings: each value is stringified once per point. */
function labelPairs(attrs: readonly KeyValue[]): [string, string][] {
  return attrs.map((kv) => [kv.key, anyValueToString(kv.value)]);
}

/** An order-independent series key from label pairs. */
function labelKey(pairs: LabelPairs): string {
  if (pairs.length === 0) return '';
  const parts = pairs.map(([k, v]) => `${k}\u0001${v}`);
  parts.sort();
  return parts.join('\u0002');
}

const overflowAttr = (): KeyValue => ({ key: OVERFLOW_KEY, value: { boolValue: true } });

/** Creates the limiter for `signal` (metrics only; other signals pass through) in front of `next`. */
export function createCardinalityLimiterProcessor<S extends Signal>(
  settings: CreateSettings,
  config: CardinalityLimiterConfig,
  signal: S,
  next: Consumer<SignalData[S]>,
  clock: () => number = Date.now,
): CardinalityLimiterProcessor<S> {
  const budget = new SeriesBudget(config);
  const folded = foldedCounter(settings.telemetry.registry).labels({ component_id: settings.id });
  const offenders = new Map<string, Set<string>>();
  let droppedSinceLog = 0;
  let foldedSinceLog = 0;
  let timers: NodeJS.Timeout[] = [];
  let stopped = false;

  settings.telemetry.observe(
    'stitch_processor_cardinality_series',
    'Series the cardinality limiter currently tracks (bounded by max_metrics × max_series_per_metric).',
    () => budget.seriesCount,
  );

  const note = (metric: string, labels: readonly string[]) => {
    let set = offenders.get(metric);
    if (!set) {
      if (offenders.size >= MAX_LOGGED_METRICS) return;
      offenders.set(metric, (set = new Set()));
    }
    for (const l of labels) if (set.size < 20) set.add(l);
  };

  const flushLog = () => {
    if (offenders.size === 0) return;
    const metrics = Object.fromEntries(
      [...offenders].map(([m, labels]) => [m, labels.size > 0 ? [...labels] : ['(series budget)']]),
    );
    settings.logger.warn(
      { metrics, dropped: droppedSinceLog, folded: foldedSinceLog, action: config.action },
      'cardinality limit reached: new series were ' + (config.action === 'drop' ? 'dropped' : `folded into ${OVERFLOW_KEY}`),
    );
    offenders.clear();
    droppedSinceLog = 0;
    foldedSinceLog = 0;
  };

  /** Applies the budgets to one metric's points; returns [kept points, dropped count, folded count]. */
  const limitMetric = (m: Metric, resKey: string, now: number): [{ attributes: KeyValue[] }[], number, number] => {
    const points = dataPointsOf(m);
    let kept: { attributes: KeyValue[] }[] | undefined;
    let dropped = 0;
    let foldedN = 0;
    let overflow: Map<string, { attributes: KeyValue[] }> | undefined;
    for (let i = 0; i < points.length; i++) {
      const p = points[i] as { attributes: KeyValue[] };
      const labels = labelPairs(p.attributes);
      const verdict = budget.check(m.name, `${resKey}\u0003${labelKey(labels)}`, labels, now);
      if (verdict.kind === 'admit') {
        kept?.push(p);
        continue;
      }
      kept ??= points.slice(0, i);
      if (verdict.kind === 'drop') {
        dropped++;
        note(m.name, verdict.labels.length > 0 ? verdict.labels : config.action === 'drop' ? [] : ['(max_metrics)']);
        continue;
      }
      foldedN++;
      if (verdict.kind === 'fold_labels') {
        note(m.name, verdict.labels);
        const drop = new Set(verdict.labels);
        const attrs = p.attributes.filter((kv) => !drop.has(kv.key) && kv.key !== OVERFLOW_KEY);
        attrs.push(overflowAttr());
        const pairs = labelPairs(attrs);
        const key = `${resKey}\u0003${labelKey(pairs)}`;
        p.attributes = budget.admitFolded(m.name, key, pairs, now) ? attrs : [overflowAttr()];
      } else {
        note(m.name, []);
        p.attributes = [overflowAttr()];
      }
      // Points folded into the same series within this batch are merged into the first one.
      overflow ??= new Map();
      const k = labelKey(labelPairs(p.attributes));
      const first = overflow.get(k);
      if (!first) {
        overflow.set(k, p);
        kept.push(p);
      } else if (!mergeInto(m, first, p)) dropped++;
    }
    return [kept ?? points, dropped, foldedN];
  };

  // Sweeping rides on the data path (at most once per period) rather than a timer, so an idle
  // limiter does no work and tests can drive expiry through the clock.
  const sweepEveryMs = Math.max(1000, Math.min(config.series_ttl / 2, 60_000));
  let lastSweep = clock();

  const limit = (data: MetricsData): { dropped: number; folded: number } => {
    const now = clock();
    if (now - lastSweep >= sweepEveryMs) {
      budget.sweep(now);
      lastSweep = now;
    }
    let dropped = 0;
    let foldedN = 0;
    data.resourceMetrics = data.resourceMetrics.filter((rm) => {
      const resKey = resourceKey(rm.resource);
      rm.scopeMetrics = rm.scopeMetrics.filter((sm) => {
        sm.metrics = sm.metrics.filter((m) => {
          const before = dataPointsOf(m);
          const [kept, d, f] = limitMetric(m, resKey, now);
          dropped += d;
          foldedN += f;
          if (kept !== before) setDataPoints(m, kept);
          return kept.length > 0 || before.length === 0;
        });
        return sm.metrics.length > 0;
      });
      return rm.scopeMetrics.length > 0;
    });
    return { dropped, folded: foldedN };
  };

  return {
    capabilities: { mutatesData: signal === 'metrics' },
    async start() {
      if (stopped || timers.length > 0 || signal !== 'metrics') return;
      timers = [setInterval(flushLog, config.log_interval)];
      for (const t of timers) t.unref();
    },
    async shutdown() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      timers = [];
      flushLog();
    },
    consume(batch: SignalData[S], context?: ConsumeContext) {
      if (stopped) return Promise.reject(errors.STITCH_ERR_SHUTDOWN([settings.id]));
      if (signal !== 'metrics') return next.consume(batch, context);
      const data = batch as MetricsData;
      const { dropped, folded: f } = limit(data);
      if (dropped > 0) {
        settings.telemetry.dropped('metrics', dropped, 'cardinality_limit');
        droppedSinceLog += dropped;
      }
      if (f > 0) {
        folded.inc(f);
        foldedSinceLog += f;
      }
      if (data.resourceMetrics.length === 0) return Promise.resolve();
      return next.consume(batch, context);
    },
  };
}

/**
 * Merges `p` into `into` (same metric, same overflow series). Sums and histograms with the same
 * bounds add up; gauges keep the later point. Returns false when the type cannot merge (the point
 * is then dropped and counted).
 */
function mergeInto(m: Metric, into: { attributes: KeyValue[] }, p: { attributes: KeyValue[] }): boolean {
  if (m.gauge) {
    const a = into as NumberDataPoint;
    const b = p as NumberDataPoint;
    if (int64ToNumber(b.timeUnixNano) >= int64ToNumber(a.timeUnixNano)) Object.assign(a, { ...b, attributes: a.attributes });
    return true;
  }
  if (m.sum) {
    const a = into as NumberDataPoint;
    const b = p as NumberDataPoint;
    const sum = pointValue(a) + pointValue(b);
    if (isSet(a, 'asInt') && isSet(b, 'asInt') && Number.isSafeInteger(sum)) a.asInt = sum;
    else {
      a.asInt = null;
      a.asDouble = sum;
    }
    if (int64ToNumber(b.timeUnixNano) > int64ToNumber(a.timeUnixNano)) a.timeUnixNano = b.timeUnixNano;
    return true;
  }
  if (m.histogram) {
    const a = into as HistogramDataPoint;
    const b = p as HistogramDataPoint;
    if (a.explicitBounds.length !== b.explicitBounds.length || a.explicitBounds.some((x, i) => x !== b.explicitBounds[i]))
      return false;
    a.count = int64ToNumber(a.count) + int64ToNumber(b.count);
    a.bucketCounts = a.bucketCounts.map((c, i) => int64ToNumber(c) + int64ToNumber(b.bucketCounts[i]));
    if (isSet(a, 'sum') || isSet(b, 'sum')) a.sum = (a.sum ?? 0) + (b.sum ?? 0);
    if (isSet(b, 'min')) a.min = isSet(a, 'min') ? Math.min(a.min as number, b.min as number) : b.min;
    if (isSet(b, 'max')) a.max = isSet(a, 'max') ? Math.max(a.max as number, b.max as number) : b.max;
    return true;
  }
  return false;
}
