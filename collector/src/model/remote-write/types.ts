/**
 * Prometheus remote-write 1.0 (`prometheus.WriteRequest`) as plain objects: what the exporter
 * builds, what the receiver decodes to, and what the strict test receiver checks. Timestamps are
 * milliseconds since the epoch as numbers (exact up to year 287396), not Longs.
 */

/** One label; `__name__` carries the metric name. */
export interface Label {
  name: string;
  value: string;
}

/**
 * One float sample. Keep samples as objects: V8 canonicalises NaN payloads stored in double
 * arrays, which would turn the staleness marker (STALE_NAN) into an ordinary NaN.
 */
export interface Sample {
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/** An exemplar: labels (trace_id, span_id, …), the observed value and its time. */
export interface Exemplar {
  labels: Label[];
  value: number;
  timestamp: number;
}

/** A run of consecutive native-histogram buckets. */
export interface BucketSpan {
  /** Gap to the previous span (the first span: the index of its first bucket). */
  offset: number;
  length: number;
}

/** Native histogram `reset_hint`. */
export enum ResetHint {
  UNKNOWN = 0,
  YES = 1,
  NO = 2,
  GAUGE = 3,
}

/**
 * A native (sparse) histogram sample. Integer histograms carry bucket counts as deltas
 * (`positiveDeltas`), float histograms as absolute counts (`positiveCounts`); `isFloat` picks the
 * `count_float`/`zero_count_float` members of the proto oneofs.
 */
export interface NativeHistogram {
  isFloat: boolean;
  count: number;
  zeroCount: number;
  sum: number;
  /** Resolution: bucket boundaries are powers of 2^(2^-schema). */
  schema: number;
  zeroThreshold: number;
  negativeSpans: BucketSpan[];
  negativeDeltas: number[];
  negativeCounts: number[];
  positiveSpans: BucketSpan[];
  positiveDeltas: number[];
  positiveCounts: number[];
  resetHint: ResetHint;
  timestamp: number;
}

/** A series: its label set (sorted by name, unique) and its samples in time order. */
export interface TimeSeries {
  labels: Label[];
  samples: Sample[];
  exemplars: Exemplar[];
  histograms: NativeHistogram[];
}

/** `MetricMetadata.type`. */
export enum MetricType {
  UNKNOWN = 0,
  COUNTER = 1,
  GAUGE = 2,
  HISTOGRAM = 3,
  GAUGEHISTOGRAM = 4,
  SUMMARY = 5,
  INFO = 6,
  STATESET = 7,
}

/** Metadata of a metric family (sent when the exporter's `send_metadata` is on). */
export interface MetricMetadata {
  type: MetricType;
  metricFamilyName: string;
  help: string;
  unit: string;
}

/** The body of a remote-write request, before snappy. */
export interface WriteRequest {
  timeseries: TimeSeries[];
  metadata: MetricMetadata[];
}

/** The remote-write 1.0 protocol version header value. */
export const REMOTE_WRITE_VERSION = '0.1.0';

/** The content type of a remote-write 1.0 body. */
export const REMOTE_WRITE_CONTENT_TYPE = 'application/x-protobuf';

/** The label that carries the metric name. */
export const METRIC_NAME_LABEL = '__name__';

const staleBits = new DataView(new ArrayBuffer(8));
staleBits.setUint32(0, 0x7ff00000);
staleBits.setUint32(4, 0x00000002);

/**
 * Prometheus' staleness marker: the NaN with bit pattern 0x7ff0000000000002. It marks a series
 * as ended (OTLP's "no recorded value" flag). Only `isStaleNaN` can tell it from other NaNs.
 */
export const STALE_NAN: number = staleBits.getFloat64(0);

const scratchF64 = new Float64Array(1);
const scratchU32 = new Uint32Array(scratchF64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/** True when `v` is exactly the staleness marker (not any other NaN). */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  scratchF64[0] = v;
  return scratchU32[HI] === 0x7ff00000 && scratchU32[LO] === 0x00000002;
}
