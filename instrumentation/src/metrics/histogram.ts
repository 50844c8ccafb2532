/**
 * An explicit-bucket histogram that keeps exemplars, for the few histograms on hot paths
 * (`http.server.request.duration`, `controller_runtime_reconcile_time_seconds`).
 *
 * Why not the SDK's Histogram instrument: every `record()` there hashes the attribute set
 * (Object.keys + sort + JSON.stringify, several allocations per call) and the SDK keeps no
 * exemplars (opentelemetry-js PR #6483 is still open). Here the caller resolves a
 * {@link HistogramSeries} once per attribute set (per route and status) and a record is a binary
 * search plus a few increments: no allocation. The data reaches the SDK through a MetricProducer
 * (./producer.ts), so export, resource and temporality stay the SDK's.
 *
 * Exemplars follow the spec's AlignedHistogramBucketExemplarReservoir: one slot per bucket per
 * series, keeping the last measurement that fell in that bucket. Slots are preallocated and
 * overwritten in place; a collection copies the filled ones out and clears them, so each export
 * carries exemplars of its own interval only.
 */
import type { Attributes } from '@opentelemetry/api';

/** One exemplar as exported: a real measurement with its trace and correlation IDs. */
export interface Exemplar {
  /** The measured value (seconds for durations). */
  readonly value: number;
  /** When it was measured, in milliseconds since the epoch (fractional). */
  readonly timeMs: number;
  /** W3C trace ID (hex), when the measurement happened inside a sampled span. */
  readonly traceId: string | undefined;
  /** W3C span ID (hex). */
  readonly spanId: string | undefined;
  /** The correlation attribute (`request_id` or `rid`) → its value; OTLP `filtered_attributes`. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** A mutable, preallocated exemplar slot. `timeMs === 0` means empty. */
interface ExemplarSlot {
  value: number;
  timeMs: number;
  traceId: string | undefined;
  spanId: string | undefined;
  id: string | undefined;
}

/** Index of the bucket `value` falls in: bucket i holds (bounds[i-1], bounds[i]]; the last is (bounds[n-1], +Inf). */
export function bucketIndex(bounds: readonly number[], value: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (value > bounds[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The state of one attribute set. Get it once from {@link ExemplarHistogram.series} and keep it. */
export class HistogramSeries {
  /** Per-bucket counts (length = boundaries + 1). */
  readonly counts: Float64Array;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** Start of the current aggregation interval (ms since epoch). */
  startTimeMs: number;
  private slots: ExemplarSlot[] | undefined;

  constructor(
    readonly attributes: Attributes,
    private readonly bounds: readonly number[],
    private readonly exemplarKey: string | undefined,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
    this.startTimeMs = Date.now();
  }

  /** Records one measurement without an exemplar. */
  record(value: number): void {
    this.add(value);
  }

  /**
   * Records one measurement and keeps it as its bucket's exemplar. `id` is the correlation ID
   * (`request_id` / `rid`); `traceId`/`spanId` may be undefined when tracing is off.
   */
  recordWithExemplar(
    value: number,
    timeMs: number,
    traceId: string | undefined,
    spanId: string | undefined,
    id: string | undefined,
  ) {
    const i = this.add(value);
    if (this.exemplarKey === undefined) return;
    const slots = (this.slots ??= this.allocateSlots());
    const slot = slots[i]!;
    slot.value = value;
    slot.timeMs = timeMs;
    slot.traceId = traceId;
    slot.spanId = spanId;
    slot.id = id;
  }

  /** Copies out and clears the filled exemplar slots (called once per collection). */
  takeExemplars(): Exemplar[] | undefined {
    const slots = this.slots;
    if (slots === undefined) return undefined;
    let out: Exemplar[] | undefined;
    for (const s of slots) {
      if (s.timeMs === 0) continue;
      const attributes: Record<string, string> = {};
      if (s.id !== undefined && this.exemplarKey !== undefined) attributes[this.exemplarKey] = s.id;
      (out ??= []).push({ value: s.value, timeMs: s.timeMs, traceId: s.traceId, spanId: s.spanId, attributes });
      s.timeMs = 0;
      s.traceId = s.spanId = s.id = undefined;
    }
    return out;
  }

  /** Starts a new interval (delta temporality). */
  reset(nowMs: number): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
    this.startTimeMs = nowMs;
  }

  private add(value: number): number {
    const i = bucketIndex(this.bounds, value);
    this.counts[i]!++;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    return i;
  }

  private allocateSlots(): ExemplarSlot[] {
    return Array.from({ length: this.bounds.length + 1 }, () => ({
      value: 0,
      timeMs: 0,
      traceId: undefined,
      spanId: undefined,
      id: undefined,
    }));
  }
}

/** What a histogram is: its OTel metric identity and buckets. */
export interface HistogramDescriptor {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  /** Explicit bucket upper bounds, ascending. */
  readonly boundaries: readonly number[];
  /** The exemplar attribute name (`request_id`, `rid`); undefined = no exemplars. */
  readonly exemplarKey?: string | undefined;
  /** Most attribute sets kept; further ones fold into `otel.metric.overflow=true` as the SDK does. Default 2000. */
  readonly cardinalityLimit?: number;
}

const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/** A histogram instrument with exemplars; series are created on first use of an attribute set. */
export class ExemplarHistogram {
  readonly descriptor: HistogramDescriptor;
  private readonly byKey = new Map<string, HistogramSeries>();
  private readonly limit: number;
  private overflow: HistogramSeries | undefined;

  constructor(descriptor: HistogramDescriptor) {
    const b = descriptor.boundaries;
    for (let i = 1; i < b.length; i++) {
      if (!(b[i]! > b[i - 1]!)) throw new RangeError(`${descriptor.name}: bucket boundaries must be strictly ascending`);
    }
    this.descriptor = { ...descriptor, boundaries: Object.freeze([...b]) };
    this.limit = descriptor.cardinalityLimit ?? 2000;
  }

  /**
   * The series for an attribute set. Hashes the attributes, so call it once per set and keep the
   * result (the HTTP core caches one per route × method × status).
   */
  series(attributes: Attributes): HistogramSeries {
    const key = attributeKey(attributes);
    let s = this.byKey.get(key);
    if (s !== undefined) return s;
    if (this.byKey.size >= this.limit - 1) {
      return (this.overflow ??= new HistogramSeries(
        OVERFLOW_ATTRIBUTES,
        this.descriptor.boundaries,
        this.descriptor.exemplarKey,
      ));
    }
    s = new HistogramSeries(Object.freeze({ ...attributes }), this.descriptor.boundaries, this.descriptor.exemplarKey);
    this.byKey.set(key, s);
    return s;
  }

  /** Every series that has data, overflow last. */
  *allSeries(): Iterable<HistogramSeries> {
    yield* this.byKey.values();
    if (this.overflow !== undefined) yield this.overflow;
  }
}

/** A stable identity for an attribute set (sorted keys); only used off the hot path. */
export function attributeKey(attributes: Attributes): string {
  return JSON.stringify(
    Object.keys(attributes)
      .sort()
      .map((k) => [k, attributes[k]]),
  );
}
