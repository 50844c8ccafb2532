/**
 * OTLP metrics → remote-write series, per the OpenTelemetry specification "Prometheus and
 * OpenMetrics compatibility":
 * - gauges and non-monotonic cumulative sums → gauges; monotonic cumulative sums → `_total` counters;
 * - histograms → `_bucket{le}` (cumulative, `+Inf` last), `_sum`, `_count`;
 * - exponential histograms → native histograms (schema = scale, downscaled past 8), or classic
 *   buckets with `exponential_histograms: classic`;
 * - summaries → `{quantile}` series, `_sum`, `_count`;
 * - delta temporality → dropped and counted (`unsupported_data`): converting needs per-series
 *   state across batches and restarts, which a stateless exporter cannot keep safely;
 * - the no-recorded-value flag → the staleness NaN;
 * - `job` = service.namespace/service.name, `instance` = service.instance.id, other resource
 *   attributes on one `target_info` series per resource (or on every series with
 *   `resource_to_telemetry_conversion`).
 * Series are grouped by label set; each comes out with sorted, unique labels and its samples in
 * time order.
 */
import type { CorrelationIdKey } from '@stitch/correlation';
import {
  type Label,
  METRIC_NAME_LABEL,
  type MetricMetadata,
  MetricType,
  type NativeHistogram,
  ResetHint,
  STALE_NAN,
  type TimeSeries,
} from '../../model/remote-write/types.js';
import { isZeroTime, nanosToMillis } from '../../model/time.js';
import {
  AggregationTemporality,
  DATA_POINT_FLAG_NO_RECORDED_VALUE,
  type Exemplar,
  type ExponentialHistogramDataPoint,
  type HistogramDataPoint,
  type Int64,
  type KeyValue,
  type Metric,
  type MetricsData,
  type NumberDataPoint,
  type SummaryDataPoint,
} from '../../model/types.js';
import { anyValueToString, int64ToNumber, isSet, pointValue } from '../../model/values.js';
import type { PrometheusRemoteWriteConfig } from './config.js';
import { toRemoteWriteExemplar } from './exemplars.js';
import { createNamer, formatFloat, type NameKind, type Namer, unitWords } from './naming.js';

/** The options translation depends on (from the exporter config). */
export interface TranslateOptions {
  namespace: string;
  addMetricSuffixes: boolean;
  externalLabels: Readonly<Record<string, string>>;
  resourceToTelemetry: boolean;
  excludeServiceAttributes: boolean;
  targetInfo: boolean;
  exportCreatedMetric: boolean;
  sendMetadata: boolean;
  exponentialHistograms: 'native' | 'classic';
}

/** The translation options of an exporter config (defaults included: parse `{ endpoint }`). */
export function translateOptionsOf(config: PrometheusRemoteWriteConfig): TranslateOptions {
  return {
    namespace: config.namespace,
    addMetricSuffixes: config.add_metric_suffixes,
    externalLabels: config.external_labels,
    resourceToTelemetry: config.resource_to_telemetry_conversion.enabled,
    excludeServiceAttributes: config.resource_to_telemetry_conversion.exclude_service_attributes,
    targetInfo: config.target_info.enabled,
    exportCreatedMetric: config.export_created_metric.enabled,
    sendMetadata: config.send_metadata,
    exponentialHistograms: config.exponential_histograms,
  };
}

/** One batch, translated. */
export interface Translation {
  /** Series with sorted labels and time-ordered samples. */
  series: TimeSeries[];
  /** The identity of each series (its label set as a string), parallel to `series`. */
  keys: string[];
  metadata: MetricMetadata[];
  /** Data points dropped because Prometheus cannot represent them (delta temporality, …). */
  unsupportedPoints: number;
  /** Data points dropped because they are malformed (unspecified temporality, …). */
  invalidPoints: number;
  /** Exemplar labels dropped to fit the 128-rune budget, by key. */
  exemplarLabelsDropped: Partial<Record<CorrelationIdKey, number>>;
}

/** Translates batches; holds the name caches, so make one per exporter. */
export interface Translator {
  translate(data: MetricsData): Translation;
}

const SERVICE_NAME = 'service.name';
const SERVICE_NAMESPACE = 'service.namespace';
const SERVICE_INSTANCE_ID = 'service.instance.id';
const KEY_SEP = '\u00ff';

/** Inserts a label into a sorted array, returning a new array; replaces a label of the same name. */
function withLabel(sorted: readonly Label[], name: string, value: string): Label[] {
  const out: Label[] = [];
  let placed = false;
  for (let i = 0; i < sorted.length; i++) {
    const l = sorted[i];
    if (!placed && l.name >= name) {
      out.push({ name, value });
      placed = true;
      if (l.name === name) continue;
    }
    out.push(l);
  }
  if (!placed) out.push({ name, value });
  return out;
}

function seriesKey(labels: readonly Label[]): string {
  let key = '';
  for (let i = 0; i < labels.length; i++) key += labels[i].name + KEY_SEP + labels[i].value + KEY_SEP;
  return key;
}

/** Sets a label from an attribute; colliding sanitized names join their values with `;`. */
function addAttribute(map: Map<string, string>, name: string, value: string): void {
  if (value === '') return; // an empty value is the same as no label in Prometheus
  const prev = map.get(name);
  map.set(name, prev === undefined ? value : `${prev};${value}`);
}

function sortedLabels(map: Map<string, string>): Label[] {
  const out: Label[] = [];
  for (const [name, value] of map) out.push({ name, value });
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

interface ResourceContext {
  /** Labels every series of the resource starts from (resource attributes when converting). */
  base: Map<string, string>;
  job: string | undefined;
  instance: string | undefined;
  /** Attributes for target_info, already sanitized. */
  info: Map<string, string>;
  latestMs: number;
}

/** Creates a translator for one exporter's options. */
export function createTranslator(options: TranslateOptions): Translator {
  const namer: Namer = createNamer({ namespace: options.namespace, addMetricSuffixes: options.addMetricSuffixes });
  const external = Object.entries(options.externalLabels)
    .filter(([, v]) => v !== '')
    .map(([name, value]) => ({ name, value }));

  return {
    translate(data) {
      return new Batch(options, namer, external).run(data);
    },
  };
}

/** The state of translating one batch. */
class Batch {
  private readonly byKey = new Map<string, TimeSeries>();
  private readonly metadata = new Map<string, MetricMetadata>();
  private unsupported = 0;
  private invalid = 0;
  private readonly exemplarDrops: Partial<Record<CorrelationIdKey, number>> = {};
  private readonly onExemplarDrop = (key: CorrelationIdKey) => {
    this.exemplarDrops[key] = (this.exemplarDrops[key] ?? 0) + 1;
  };
  private resource!: ResourceContext;

  constructor(
    private readonly options: TranslateOptions,
    private readonly namer: Namer,
    private readonly external: readonly Label[],
  ) {}

  run(data: MetricsData): Translation {
    for (const rm of data.resourceMetrics) {
      this.resource = this.resourceContext(rm.resource?.attributes ?? []);
      for (const sm of rm.scopeMetrics) for (const m of sm.metrics) this.metric(m);
      this.targetInfo();
    }
    const series: TimeSeries[] = [];
    const keys: string[] = [];
    for (const [key, ts] of this.byKey) {
      sortByTime(ts);
      series.push(ts);
      keys.push(key);
    }
    return {
      series,
      keys,
      metadata: [...this.metadata.values()],
      unsupportedPoints: this.unsupported,
      invalidPoints: this.invalid,
      exemplarLabelsDropped: this.exemplarDrops,
    };
  }

  private resourceContext(attrs: readonly KeyValue[]): ResourceContext {
    let name: string | undefined;
    let ns: string | undefined;
    let instance: string | undefined;
    const base = new Map<string, string>();
    const info = new Map<string, string>();
    for (const kv of attrs) {
      const value = anyValueToString(kv.value);
      if (kv.key === SERVICE_NAME) name = value;
      else if (kv.key === SERVICE_NAMESPACE) ns = value;
      else if (kv.key === SERVICE_INSTANCE_ID) instance = value;
      const isService = kv.key === SERVICE_NAME || kv.key === SERVICE_NAMESPACE || kv.key === SERVICE_INSTANCE_ID;
      const label = this.namer.labelName(kv.key);
      if (!isService) addAttribute(info, label, value);
      if (this.options.resourceToTelemetry && !(isService && this.options.excludeServiceAttributes)) {
        addAttribute(base, label, value);
      }
    }
    const job = name === undefined || name === '' ? undefined : ns ? `${ns}/${name}` : name;
    return { base, job, instance: instance === '' ? undefined : instance, info, latestMs: 0 };
  }

  /** The sorted labels of a data point, without `__name__`. */
  private pointLabels(attrs: readonly KeyValue[]): Label[] {
    const map = new Map<string, string>();
    for (let i = 0; i < attrs.length; i++) {
      addAttribute(map, this.namer.labelName(attrs[i].key), anyValueToString(attrs[i].value));
    }
    // Resource attributes (resource_to_telemetry_conversion) never override point attributes.
    for (const [name, value] of this.resource.base) if (!map.has(name)) map.set(name, value);
    // job/instance come from the resource and win over point attributes of the same name.
    if (this.resource.job !== undefined) map.set('job', this.resource.job);
    if (this.resource.instance !== undefined) map.set('instance', this.resource.instance);
    for (const l of this.external) if (!map.has(l.name)) map.set(l.name, l.value);
    map.delete(METRIC_NAME_LABEL);
    return sortedLabels(map);
  }

  private series(labels: readonly Label[], name: string, extra?: string, extraValue?: string): TimeSeries {
    let full = withLabel(labels, METRIC_NAME_LABEL, name);
    if (extra !== undefined) full = withLabel(full, extra, extraValue as string);
    const key = seriesKey(full);
    let ts = this.byKey.get(key);
    if (ts === undefined) {
      ts = { labels: full, samples: [], exemplars: [], histograms: [] };
      this.byKey.set(key, ts);
    }
    return ts;
  }

  private sample(ts: TimeSeries, value: number, timestamp: number): void {
    ts.samples.push({ value, timestamp });
  }

  private touch(timestamp: number): void {
    if (timestamp > this.resource.latestMs) this.resource.latestMs = timestamp;
  }

  private meta(name: string, type: MetricType, m: Metric): void {
    if (!this.options.sendMetadata || this.metadata.has(name)) return;
    this.metadata.set(name, {
      type,
      metricFamilyName: name,
      help: m.description ?? '',
      unit: unitWords(m.unit ?? '')[0],
    });
  }

  private exemplars(ts: TimeSeries, exemplars: readonly Exemplar[] | undefined): void {
    if (!exemplars) return;
    for (let i = 0; i < exemplars.length; i++) {
      const e = toRemoteWriteExemplar(exemplars[i], this.onExemplarDrop);
      if (e) ts.exemplars.push(e);
    }
  }

  private created(labels: readonly Label[], name: string, start: NumberDataPoint['startTimeUnixNano'], ms: number): void {
    if (!this.options.exportCreatedMetric || isZeroTime(start)) return;
    const base = name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
    this.sample(this.series(labels, `${base}_created`), nanosToMillis(start) / 1000, ms);
  }

  private metric(m: Metric): void {
    const unit = m.unit ?? '';
    if (m.gauge) {
      this.numbers(m, m.gauge.dataPoints, this.namer.metricName(m.name, unit, 'gauge'), MetricType.GAUGE, false);
    } else if (m.sum) {
      const t = m.sum.aggregationTemporality;
      if (t !== AggregationTemporality.CUMULATIVE) {
        this.reject(t, m.sum.dataPoints.length);
        return;
      }
      const kind: NameKind = m.sum.isMonotonic ? 'counter' : 'gauge';
      const type = m.sum.isMonotonic ? MetricType.COUNTER : MetricType.GAUGE;
      this.numbers(m, m.sum.dataPoints, this.namer.metricName(m.name, unit, kind), type, m.sum.isMonotonic);
    } else if (m.histogram) {
      const t = m.histogram.aggregationTemporality;
      if (t !== AggregationTemporality.CUMULATIVE) {
        this.reject(t, m.histogram.dataPoints.length);
        return;
      }
      const name = this.namer.metricName(m.name, unit, 'histogram');
      this.meta(name, MetricType.HISTOGRAM, m);
      for (const dp of m.histogram.dataPoints) this.histogram(name, dp);
    } else if (m.exponentialHistogram) {
      const t = m.exponentialHistogram.aggregationTemporality;
      if (t !== AggregationTemporality.CUMULATIVE) {
        this.reject(t, m.exponentialHistogram.dataPoints.length);
        return;
      }
      const name = this.namer.metricName(m.name, unit, 'histogram');
      this.meta(name, MetricType.HISTOGRAM, m);
      for (const dp of m.exponentialHistogram.dataPoints) this.exponential(name, dp);
    } else if (m.summary) {
      const name = this.namer.metricName(m.name, unit, 'summary');
      this.meta(name, MetricType.SUMMARY, m);
      for (const dp of m.summary.dataPoints) this.summary(name, dp);
    }
  }

  private reject(temporality: AggregationTemporality, points: number): void {
    if (temporality === AggregationTemporality.DELTA) this.unsupported += points;
    else this.invalid += points;
  }

  private numbers(m: Metric, points: readonly NumberDataPoint[], name: string, type: MetricType, counter: boolean): void {
    this.meta(name, type, m);
    for (const dp of points) {
      const ms = nanosToMillis(dp.timeUnixNano);
      this.touch(ms);
      const labels = this.pointLabels(dp.attributes);
      const ts = this.series(labels, name);
      const stale = ((dp.flags ?? 0) & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0;
      this.sample(ts, stale ? STALE_NAN : pointValue(dp), ms);
      if (!stale) this.exemplars(ts, dp.exemplars);
      if (counter) this.created(labels, name, dp.startTimeUnixNano, ms);
    }
  }

  private histogram(name: string, dp: HistogramDataPoint): void {
    const ms = nanosToMillis(dp.timeUnixNano);
    this.touch(ms);
    const labels = this.pointLabels(dp.attributes);
    const stale = ((dp.flags ?? 0) & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0;
    const bounds = dp.explicitBounds ?? [];
    const counts = dp.bucketCounts ?? [];
    const bucketName = `${name}_bucket`;
    const bucketSeries: TimeSeries[] = [];
    let cumulative = 0;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += int64ToNumber(counts[i]);
      const ts = this.series(labels, bucketName, 'le', formatFloat(bounds[i]));
      this.sample(ts, stale ? STALE_NAN : cumulative, ms);
      bucketSeries.push(ts);
    }
    const count = int64ToNumber(dp.count);
    const inf = this.series(labels, bucketName, 'le', '+Inf');
    this.sample(inf, stale ? STALE_NAN : count, ms);
    bucketSeries.push(inf);
    if (isSet(dp, 'sum')) this.sample(this.series(labels, `${name}_sum`), stale ? STALE_NAN : (dp.sum as number), ms);
    this.sample(this.series(labels, `${name}_count`), stale ? STALE_NAN : count, ms);
    if (!stale && dp.exemplars && dp.exemplars.length > 0) {
      // Each exemplar goes on the bucket its value falls in, as Prometheus client libraries do.
      for (const e of dp.exemplars) {
        const v = pointValue(e);
        let i = 0;
        while (i < bounds.length && v > bounds[i]) i++;
        const rw = toRemoteWriteExemplar(e, this.onExemplarDrop);
        if (rw) bucketSeries[i].exemplars.push(rw);
      }
    }
    this.created(labels, name, dp.startTimeUnixNano, ms);
  }

  private exponential(name: string, dp: ExponentialHistogramDataPoint): void {
    const ms = nanosToMillis(dp.timeUnixNano);
    const stale = ((dp.flags ?? 0) & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0;
    if (this.options.exponentialHistograms === 'classic') {
      this.histogram(name, exponentialToClassic(dp));
      return;
    }
    const native = toNativeHistogram(dp, ms, stale);
    if (native === undefined) {
      this.invalid++;
      return;
    }
    this.touch(ms);
    const labels = this.pointLabels(dp.attributes);
    const ts = this.series(labels, name);
    ts.histograms.push(native);
    if (!stale) this.exemplars(ts, dp.exemplars);
    this.created(labels, name, dp.startTimeUnixNano, ms);
  }

  private summary(name: string, dp: SummaryDataPoint): void {
    const ms = nanosToMillis(dp.timeUnixNano);
    this.touch(ms);
    const labels = this.pointLabels(dp.attributes);
    const stale = ((dp.flags ?? 0) & DATA_POINT_FLAG_NO_RECORDED_VALUE) !== 0;
    for (const q of dp.quantileValues ?? []) {
      this.sample(this.series(labels, name, 'quantile', formatFloat(q.quantile)), stale ? STALE_NAN : q.value, ms);
    }
    this.sample(this.series(labels, `${name}_sum`), stale ? STALE_NAN : dp.sum, ms);
    this.sample(this.series(labels, `${name}_count`), stale ? STALE_NAN : int64ToNumber(dp.count), ms);
    this.created(labels, name, dp.startTimeUnixNano, ms);
  }

  private targetInfo(): void {
    const r = this.resource;
    if (!this.options.targetInfo || r.info.size === 0 || r.latestMs === 0) return;
    if (r.job === undefined && r.instance === undefined) return; // nothing to join it on
    const map = new Map(r.info);
    if (r.job !== undefined) map.set('job', r.job);
    if (r.instance !== undefined) map.set('instance', r.instance);
    for (const l of this.external) if (!map.has(l.name)) map.set(l.name, l.value);
    map.delete(METRIC_NAME_LABEL);
    const name = this.options.namespace === '' ? 'target_info' : this.namer.metricName('target_info', '', 'gauge');
    this.sample(this.series(sortedLabels(map), name), 1, r.latestMs);
  }
}

function byTimestamp(a: { timestamp: number }, b: { timestamp: number }): number {
  return a.timestamp - b.timestamp;
}

function isSorted(xs: readonly { timestamp: number }[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i].timestamp < xs[i - 1].timestamp) return false;
  return true;
}

function sortByTime(ts: TimeSeries): void {
  if (!isSorted(ts.samples)) ts.samples.sort(byTimestamp);
  if (!isSorted(ts.histograms)) ts.histograms.sort(byTimestamp);
  if (!isSorted(ts.exemplars)) ts.exemplars.sort(byTimestamp);
}

/** Native histograms support schemas -4..8; finer OTLP scales are merged down to 8. */
const MAX_SCHEMA = 8;
const MIN_SCHEMA = -4;

/**
 * OTLP buckets (index i covers (base^i, base^(i+1)]) → Prometheus spans and deltas (index j
 * covers (base^(j-1), base^j], so j = i + 1), merging 2^shift neighbours when downscaling.
 */
function bucketsToSpans(
  offset: number,
  counts: readonly Int64[],
  shift: number,
): { spans: { offset: number; length: number }[]; deltas: number[] } {
  // Merge into downscaled indices first.
  const merged: number[] = [];
  let first = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = int64ToNumber(counts[i]);
    const idx = Math.floor((offset + i) / 2 ** shift) + 1;
    if (merged.length === 0) first = idx;
    const k = idx - first;
    while (merged.length <= k) merged.push(0);
    merged[k] += c;
  }
  const spans: { offset: number; length: number }[] = [];
  const deltas: number[] = [];
  let prevCount = 0;
  let prevEnd = 0; // index after the last bucket of the previous span
  let i = 0;
  while (i < merged.length) {
    if (merged[i] === 0) {
      i++;
      continue;
    }
    // A span runs over non-zero buckets and gaps of at most two empty ones (cheaper than a new span).
    let end = i + 1;
    for (;;) {
      let next = end;
      while (next < merged.length && merged[next] === 0) next++;
      if (next < merged.length && next - end <= 2) end = next + 1;
      else break;
    }
    const startIdx = first + i;
    spans.push({ offset: spans.length === 0 ? startIdx : startIdx - prevEnd, length: end - i });
    for (let j = i; j < end; j++) {
      deltas.push(merged[j] - prevCount);
      prevCount = merged[j];
    }
    prevEnd = first + end;
    i = end;
  }
  return { spans, deltas };
}

/** An OTLP exponential histogram point as a native histogram; undefined when the scale is too coarse. */
export function toNativeHistogram(dp: ExponentialHistogramDataPoint, ms: number, stale: boolean): NativeHistogram | undefined {
  if (dp.scale < MIN_SCHEMA) return undefined;
  const shift = dp.scale > MAX_SCHEMA ? dp.scale - MAX_SCHEMA : 0;
  const pos = bucketsToSpans(dp.positive?.offset ?? 0, dp.positive?.bucketCounts ?? [], shift);
  const neg = bucketsToSpans(dp.negative?.offset ?? 0, dp.negative?.bucketCounts ?? [], shift);
  return {
    isFloat: false,
    count: int64ToNumber(dp.count),
    zeroCount: int64ToNumber(dp.zeroCount),
    // A stale native histogram is marked by a StaleNaN sum (Prometheus' convention).
    sum: stale ? STALE_NAN : isSet(dp, 'sum') ? (dp.sum as number) : 0,
    schema: dp.scale - shift,
    zeroThreshold: dp.zeroThreshold ?? 0,
    negativeSpans: neg.spans,
    negativeDeltas: neg.deltas,
    negativeCounts: [],
    positiveSpans: pos.spans,
    positiveDeltas: pos.deltas,
    positiveCounts: [],
    resetHint: ResetHint.UNKNOWN,
    timestamp: ms,
  };
}

/**
 * An exponential histogram point as an explicit-bounds one: negative buckets (most negative
 * first), the zero bucket (upper bound zero_threshold), then positive buckets.
 */
export function exponentialToClassic(dp: ExponentialHistogramDataPoint): HistogramDataPoint {
  const base = 2 ** (2 ** -dp.scale);
  const bounds: number[] = [];
  const counts: number[] = [];
  const neg = dp.negative?.bucketCounts ?? [];
  const negOffset = dp.negative?.offset ?? 0;
  for (let i = neg.length - 1; i >= 0; i--) {
    bounds.push(-(base ** (negOffset + i)));
    counts.push(int64ToNumber(neg[i]));
  }
  bounds.push(dp.zeroThreshold ?? 0);
  counts.push(int64ToNumber(dp.zeroCount));
  const pos = dp.positive?.bucketCounts ?? [];
  const posOffset = dp.positive?.offset ?? 0;
  for (let i = 0; i < pos.length; i++) {
    bounds.push(base ** (posOffset + i + 1));
    counts.push(int64ToNumber(pos[i]));
  }
  counts.push(0); // the +Inf bucket: every observation is in a finite one
  const out: HistogramDataPoint = {
    attributes: dp.attributes,
    timeUnixNano: dp.timeUnixNano,
    count: dp.count,
    bucketCounts: counts,
    explicitBounds: bounds,
    exemplars: dp.exemplars ?? [],
    flags: dp.flags ?? 0,
  };
  if (dp.startTimeUnixNano !== undefined) out.startTimeUnixNano = dp.startTimeUnixNano;
  if (isSet(dp, 'sum')) out.sum = dp.sum as number;
  return out;
}
