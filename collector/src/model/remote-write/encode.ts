/**
 * A hand-written protobuf encoder for `prometheus.WriteRequest`.
 *
 * Why by hand: remote-write bodies are millions of tiny messages (labels, samples) and protobufjs'
 * reflection encoder allocates a Writer op per field and forks for every nested message. This
 * encoder makes two passes: the first computes every nested message's size (pushed, in pre-order,
 * on a reused stack), the second writes into one exactly-sized buffer, popping the sizes in the
 * same order. bench/remote-write-encode.mjs measures it against protobufjs' encoder of the same
 * schema, and encode.test.ts checks it round-trips through protobufjs' decoder.
 *
 * Wire rules followed: proto3, fields in number order, packed repeated scalars, oneof members
 * written even when zero. Not reentrant (module-level scratch state); encoding is synchronous.
 */
import type { BodyAllocator } from '../../internal/encode-arena.js';
import { utf8Length, varint32Len, varint64Len, writeVarint32, writeVarint64 } from '../../internal/proto-wire.js';
import type { ScannedWriteRequest } from './scan.js';
import type { BucketSpan, Exemplar, Label, MetricMetadata, NativeHistogram, Sample, TimeSeries, WriteRequest } from './types.js';

// Field tags: (field number << 3) | wire type.
const TAG_LEN = (field: number) => (field << 3) | 2;
const T_REQ_SERIES = TAG_LEN(1);
const T_REQ_METADATA = TAG_LEN(3);
const T_SERIES_LABELS = TAG_LEN(1);
const T_SERIES_SAMPLES = TAG_LEN(2);
const T_SERIES_EXEMPLARS = TAG_LEN(3);
const T_SERIES_HISTOGRAMS = TAG_LEN(4);
const T_LABEL_NAME = TAG_LEN(1);
const T_LABEL_VALUE = TAG_LEN(2);
const T_SAMPLE_VALUE = (1 << 3) | 1;
const T_SAMPLE_TS = 2 << 3;
const T_EXEMPLAR_LABELS = TAG_LEN(1);
const T_EXEMPLAR_VALUE = (2 << 3) | 1;
const T_EXEMPLAR_TS = 3 << 3;
const T_H_COUNT_INT = 1 << 3;
const T_H_COUNT_FLOAT = (2 << 3) | 1;
const T_H_SUM = (3 << 3) | 1;
const T_H_SCHEMA = 4 << 3;
const T_H_ZERO_THRESHOLD = (5 << 3) | 1;
const T_H_ZERO_COUNT_INT = 6 << 3;
const T_H_ZERO_COUNT_FLOAT = (7 << 3) | 1;
const T_H_NEG_SPANS = TAG_LEN(8);
const T_H_NEG_DELTAS = TAG_LEN(9);
const T_H_NEG_COUNTS = TAG_LEN(10);
const T_H_POS_SPANS = TAG_LEN(11);
const T_H_POS_DELTAS = TAG_LEN(12);
const T_H_POS_COUNTS = TAG_LEN(13);
const T_H_RESET_HINT = 14 << 3;
const T_H_TS = 15 << 3;
const T_SPAN_OFFSET = 1 << 3;
const T_SPAN_LENGTH = 2 << 3;
const T_MD_TYPE = 1 << 3;
const T_MD_NAME = TAG_LEN(2);
const T_MD_HELP = TAG_LEN(4);
const T_MD_UNIT = TAG_LEN(5);

/**
 * Encoder state. One object rather than module-level `let`s: V8 optimises property access on a
 * monomorphic object better than module-scope bindings (measured ~2x in bench/remote-write-encode.mjs).
 */
interface EncoderState {
  /** Sizes computed by the first pass, consumed in the same order by the second. */
  sizes: number[];
  sizeRead: number;
  buf: Buffer;
  pos: number;
}
const st: EncoderState = { sizes: [], sizeRead: 0, buf: Buffer.alloc(0), pos: 0 };

// ---- st.sizes ----

/** zigzag of a safe integer (sint64), as a non-negative number. */
function zigzag64(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function lenField(size: number): number {
  return 1 + varint32Len(size) + size;
}

function stringField(s: string): number {
  const n = utf8Length(s);
  st.sizes.push(n);
  return 1 + varint32Len(n) + n;
}

function labelSize(l: Label): number {
  const i = st.sizes.length;
  st.sizes.push(0);
  const size = stringField(l.name) + stringField(l.value);
  st.sizes[i] = size;
  return size;
}

function sampleSize(s: Sample): number {
  return 10 + varint64Len(s.timestamp);
}

function exemplarSize(e: Exemplar): number {
  const i = st.sizes.length;
  st.sizes.push(0);
  let size = 9 + 1 + varint64Len(e.timestamp);
  for (let j = 0; j < e.labels.length; j++) size += lenField(labelSize(e.labels[j]));
  st.sizes[i] = size;
  return size;
}

function spanSize(s: BucketSpan): number {
  return 2 + varint32Len(zigzag32(s.offset)) + varint32Len(s.length);
}

function zigzag32(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

function packedSint64Size(values: number[]): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) n += varint64Len(zigzag64(values[i]));
  st.sizes.push(n);
  return n === 0 ? 0 : lenField(n);
}

function histogramSize(h: NativeHistogram): number {
  const i = st.sizes.length;
  st.sizes.push(0);
  let size = h.isFloat ? 9 : 1 + varint64Len(h.count);
  size += 9; // sum
  size += 1 + varint32Len(zigzag32(h.schema));
  size += 9; // zero_threshold
  size += h.isFloat ? 9 : 1 + varint64Len(h.zeroCount);
  for (let j = 0; j < h.negativeSpans.length; j++) size += lenField(spanSize(h.negativeSpans[j]));
  size += packedSint64Size(h.negativeDeltas);
  if (h.negativeCounts.length > 0) size += lenField(8 * h.negativeCounts.length);
  for (let j = 0; j < h.positiveSpans.length; j++) size += lenField(spanSize(h.positiveSpans[j]));
  size += packedSint64Size(h.positiveDeltas);
  if (h.positiveCounts.length > 0) size += lenField(8 * h.positiveCounts.length);
  if (h.resetHint !== 0) size += 1 + varint32Len(h.resetHint);
  size += 1 + varint64Len(h.timestamp);
  st.sizes[i] = size;
  return size;
}

function seriesSize(ts: TimeSeries): number {
  const i = st.sizes.length;
  st.sizes.push(0);
  let size = 0;
  const { labels, samples, exemplars, histograms } = ts;
  for (let j = 0; j < labels.length; j++) size += lenField(labelSize(labels[j]));
  for (let j = 0; j < samples.length; j++) size += lenField(sampleSize(samples[j]));
  for (let j = 0; j < exemplars.length; j++) size += lenField(exemplarSize(exemplars[j]));
  for (let j = 0; j < histograms.length; j++) size += lenField(histogramSize(histograms[j]));
  st.sizes[i] = size;
  return size;
}

function metadataSize(m: MetricMetadata): number {
  const i = st.sizes.length;
  st.sizes.push(0);
  let size = m.type !== 0 ? 1 + varint32Len(m.type) : 0;
  if (m.metricFamilyName !== '') size += stringField(m.metricFamilyName);
  if (m.help !== '') size += stringField(m.help);
  if (m.unit !== '') size += stringField(m.unit);
  st.sizes[i] = size;
  return size;
}

// ---- writing ----

const STALE_BYTES = Buffer.alloc(8);
STALE_BYTES.writeUInt32LE(0x00000002, 0);
STALE_BYTES.writeUInt32LE(0x7ff00000, 4);
/** Prometheus' "normal" NaN (value.NormalNaN), used for every NaN that is not the marker. */
const NORMAL_NAN_BYTES = Buffer.alloc(8);
NORMAL_NAN_BYTES.writeUInt32LE(0x00000001, 0);
NORMAL_NAN_BYTES.writeUInt32LE(0x7ff80000, 4);
const nanCheck = new Float64Array(1);
const nanBytes = new Uint8Array(nanCheck.buffer);

function writeDouble(v: number): void {
  if (Number.isNaN(v)) {
    const src = pickNaN(v);
    for (let i = 0; i < 8; i++) st.buf[st.pos + i] = src[i];
    st.pos += 8;
    return;
  }
  st.buf.writeDoubleLE(v, st.pos);
  st.pos += 8;
}

/** The staleness marker keeps its bit pattern; any other NaN becomes Prometheus' NormalNaN. */
function pickNaN(v: number): Buffer {
  nanCheck[0] = v;
  for (let i = 0; i < 8; i++) if (nanBytes[i] !== STALE_BYTES[i]) return NORMAL_NAN_BYTES;
  return STALE_BYTES;
}

/** Node's native UTF-8 write (what Buffer#write calls), without the encoding dispatch. */
type Utf8Writable = Buffer & { utf8Write(s: string, offset: number, length: number): number };

function writeString(s: string, n: number): void {
  writeVarint32(st, n);
  const b = st.buf;
  const p = st.pos;
  if (n === s.length && n < 24) {
    for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
  } else {
    (b as Utf8Writable).utf8Write(s, p, n);
  }
  st.pos = p + n;
}

function writeLabel(l: Label): void {
  st.buf[st.pos++] = T_LABEL_NAME;
  writeString(l.name, st.sizes[st.sizeRead++]);
  st.buf[st.pos++] = T_LABEL_VALUE;
  writeString(l.value, st.sizes[st.sizeRead++]);
}

function writeLabels(tag: number, labels: Label[]): void {
  for (let j = 0; j < labels.length; j++) {
    st.buf[st.pos++] = tag;
    writeVarint32(st, st.sizes[st.sizeRead++]);
    writeLabel(labels[j]);
  }
}

function writeSample(s: Sample): void {
  st.buf[st.pos++] = T_SERIES_SAMPLES;
  st.buf[st.pos++] = 10 + varint64Len(s.timestamp); // always < 128
  st.buf[st.pos++] = T_SAMPLE_VALUE;
  writeDouble(s.value);
  st.buf[st.pos++] = T_SAMPLE_TS;
  writeVarint64(st, s.timestamp);
}

function writeExemplar(e: Exemplar): void {
  st.buf[st.pos++] = T_SERIES_EXEMPLARS;
  writeVarint32(st, st.sizes[st.sizeRead++]);
  writeLabels(T_EXEMPLAR_LABELS, e.labels);
  st.buf[st.pos++] = T_EXEMPLAR_VALUE;
  writeDouble(e.value);
  st.buf[st.pos++] = T_EXEMPLAR_TS;
  writeVarint64(st, e.timestamp);
}

function writeSpans(tag: number, spans: BucketSpan[]): void {
  for (let j = 0; j < spans.length; j++) {
    const s = spans[j];
    st.buf[st.pos++] = tag;
    writeVarint32(st, spanSize(s));
    st.buf[st.pos++] = T_SPAN_OFFSET;
    writeVarint32(st, zigzag32(s.offset));
    st.buf[st.pos++] = T_SPAN_LENGTH;
    writeVarint32(st, s.length);
  }
}

function writePackedSint64(tag: number, values: number[]): void {
  const n = st.sizes[st.sizeRead++];
  if (n === 0) return;
  st.buf[st.pos++] = tag;
  writeVarint32(st, n);
  for (let i = 0; i < values.length; i++) writeVarint64(st, zigzag64(values[i]));
}

function writePackedDouble(tag: number, values: number[]): void {
  if (values.length === 0) return;
  st.buf[st.pos++] = tag;
  writeVarint32(st, 8 * values.length);
  for (let i = 0; i < values.length; i++) writeDouble(values[i]);
}

function writeHistogram(h: NativeHistogram): void {
  st.buf[st.pos++] = T_SERIES_HISTOGRAMS;
  writeVarint32(st, st.sizes[st.sizeRead++]);
  if (h.isFloat) {
    st.buf[st.pos++] = T_H_COUNT_FLOAT;
    writeDouble(h.count);
  } else {
    st.buf[st.pos++] = T_H_COUNT_INT;
    writeVarint64(st, h.count);
  }
  st.buf[st.pos++] = T_H_SUM;
  writeDouble(h.sum);
  st.buf[st.pos++] = T_H_SCHEMA;
  writeVarint32(st, zigzag32(h.schema));
  st.buf[st.pos++] = T_H_ZERO_THRESHOLD;
  writeDouble(h.zeroThreshold);
  if (h.isFloat) {
    st.buf[st.pos++] = T_H_ZERO_COUNT_FLOAT;
    writeDouble(h.zeroCount);
  } else {
    st.buf[st.pos++] = T_H_ZERO_COUNT_INT;
    writeVarint64(st, h.zeroCount);
  }
  writeSpans(T_H_NEG_SPANS, h.negativeSpans);
  writePackedSint64(T_H_NEG_DELTAS, h.negativeDeltas);
  writePackedDouble(T_H_NEG_COUNTS, h.negativeCounts);
  writeSpans(T_H_POS_SPANS, h.positiveSpans);
  writePackedSint64(T_H_POS_DELTAS, h.positiveDeltas);
  writePackedDouble(T_H_POS_COUNTS, h.positiveCounts);
  if (h.resetHint !== 0) {
    st.buf[st.pos++] = T_H_RESET_HINT;
    writeVarint32(st, h.resetHint);
  }
  st.buf[st.pos++] = T_H_TS;
  writeVarint64(st, h.timestamp);
}

function writeSeries(ts: TimeSeries): void {
  st.buf[st.pos++] = T_REQ_SERIES;
  writeVarint32(st, st.sizes[st.sizeRead++]);
  writeLabels(T_SERIES_LABELS, ts.labels);
  const { samples, exemplars, histograms } = ts;
  for (let j = 0; j < samples.length; j++) writeSample(samples[j]);
  for (let j = 0; j < exemplars.length; j++) writeExemplar(exemplars[j]);
  for (let j = 0; j < histograms.length; j++) writeHistogram(histograms[j]);
}

function writeMetadata(m: MetricMetadata): void {
  st.buf[st.pos++] = T_REQ_METADATA;
  writeVarint32(st, st.sizes[st.sizeRead++]);
  if (m.type !== 0) {
    st.buf[st.pos++] = T_MD_TYPE;
    writeVarint32(st, m.type);
  }
  if (m.metricFamilyName !== '') {
    st.buf[st.pos++] = T_MD_NAME;
    writeString(m.metricFamilyName, st.sizes[st.sizeRead++]);
  }
  if (m.help !== '') {
    st.buf[st.pos++] = T_MD_HELP;
    writeString(m.help, st.sizes[st.sizeRead++]);
  }
  if (m.unit !== '') {
    st.buf[st.pos++] = T_MD_UNIT;
    writeString(m.unit, st.sizes[st.sizeRead++]);
  }
}

function reset(): void {
  if (st.sizes.length > 1 << 20) st.sizes = []; // don't pin a huge array after one giant request
  st.sizes.length = 0;
  st.sizeRead = 0;
}

function writeRange(
  series: readonly TimeSeries[],
  from: number,
  to: number,
  metadata: readonly MetricMetadata[],
  total: number,
  alloc: BodyAllocator = Buffer.allocUnsafe,
) {
  st.buf = alloc(total);
  st.pos = 0;
  for (let i = from; i < to; i++) writeSeries(series[i]);
  for (let i = 0; i < metadata.length; i++) writeMetadata(metadata[i]);
  if (st.pos !== total) throw new Error(`remote-write encoder wrote ${st.pos} bytes, expected ${total}`);
  const out = st.buf;
  st.buf = Buffer.alloc(0);
  return out;
}

/** Encodes one WriteRequest (uncompressed protobuf). */
export function encodeWriteRequest(request: WriteRequest): Buffer {
  reset();
  let total = 0;
  for (let i = 0; i < request.timeseries.length; i++) total += lenField(seriesSize(request.timeseries[i]));
  for (let i = 0; i < request.metadata.length; i++) total += lenField(metadataSize(request.metadata[i]));
  return writeRange(request.timeseries, 0, request.timeseries.length, request.metadata, total);
}

/** One request body of a split batch and the range of series it holds (`series.slice(from, to)`). */
export interface EncodedRequest {
  body: Buffer;
  from: number;
  to: number;
}

/**
 * Encodes series into as many WriteRequests as needed so that each stays within `maxBytes`
 * (uncompressed, as the Collector's `max_batch_size_bytes` counts). Series keep their order and
 * are never split, so a series larger than `maxBytes` goes alone in its own request.
 * `metadata`, if any, goes in a final request of its own (with an empty series range).
 */
export function encodeWriteRequests(
  series: readonly TimeSeries[],
  metadata: readonly MetricMetadata[],
  maxBytes: number,
  alloc: BodyAllocator = Buffer.allocUnsafe,
): EncodedRequest[] {
  reset();
  const seriesBytes = new Array<number>(series.length);
  for (let i = 0; i < series.length; i++) seriesBytes[i] = lenField(seriesSize(series[i]));
  const out: EncodedRequest[] = [];
  let from = 0;
  while (from < series.length) {
    let to = from;
    let total = 0;
    while (to < series.length && (to === from || total + seriesBytes[to] <= maxBytes)) total += seriesBytes[to++];
    out.push({ body: writeRange(series, from, to, [], total, alloc), from, to });
    from = to;
  }
  if (metadata.length > 0) {
    let total = 0;
    for (let i = 0; i < metadata.length; i++) total += lenField(metadataSize(metadata[i]));
    out.push({ body: writeRange(series, 0, 0, metadata, total, alloc), from: series.length, to: series.length });
  }
  return out;
}

/** The encoded size of one series inside a WriteRequest (tag and length prefix included). */
export function encodedSeriesSize(ts: TimeSeries): number {
  reset();
  return lenField(seriesSize(ts));
}

/**
 * The label fields of a TimeSeries (`labels` repeated, tags included), ready to be copied into
 * requests: the relay caches this per series instead of re-encoding the strings every time.
 */
export function encodeLabelFields(labels: readonly Label[]): Buffer {
  reset();
  let size = 0;
  for (let j = 0; j < labels.length; j++) size += lenField(labelSize(labels[j] as Label));
  st.buf = Buffer.allocUnsafe(size);
  st.pos = 0;
  writeLabels(T_SERIES_LABELS, labels as Label[]);
  const out = st.buf;
  st.buf = Buffer.alloc(0);
  return out;
}

/**
 * Series to re-encode from a scanned request (./scan.ts): each with its label fields already
 * encoded, and the samples of the scan it carries, listed by index.
 */
export interface ScannedSeriesBatch {
  readonly scan: ScannedWriteRequest;
  /** Number of series. */
  readonly count: number;
  /** Encoded label fields of series j (`encodeLabelFields`). */
  readonly labels: readonly Uint8Array[];
  /** Series j carries the scan samples `sampleIdx[sampleFrom[j]]` … `sampleIdx[sampleFrom[j + 1] - 1]`, in order. */
  readonly sampleFrom: Int32Array;
  readonly sampleIdx: Int32Array;
}

/** 8 zero bytes: an absent sample value (proto3 default 0). */
const ZERO_BYTES = Buffer.alloc(8);

/** Copies a sample value's 8 bytes, writing every NaN but the staleness marker as NormalNaN (as writeDouble does). */
function copyValue(src: Buffer, at: number): void {
  const b = st.buf;
  const p = st.pos;
  const absent = at < 0;
  const from = absent ? ZERO_BYTES : src;
  const o = absent ? 0 : at;
  const hi = from.readUInt32LE(o + 4);
  if ((hi & 0x7ff00000) === 0x7ff00000) {
    const lo = from.readUInt32LE(o);
    if (((hi & 0xfffff) | lo) !== 0 && !(hi === 0x7ff00000 && lo === 2)) {
      NORMAL_NAN_BYTES.copy(b, p);
      st.pos = p + 8;
      return;
    }
  }
  for (let i = 0; i < 8; i++) b[p + i] = from[o + i] as number;
  st.pos = p + 8;
}

/**
 * Encodes scanned series into WriteRequests of at most `maxBytes` each (uncompressed; a series
 * is never split, so a larger one goes alone), the same bytes `encodeWriteRequests` writes for
 * the same series, without building a Sample or Label object.
 */
export function encodeScannedSeries(
  batch: ScannedSeriesBatch,
  maxBytes: number,
  alloc: BodyAllocator = Buffer.allocUnsafe,
): EncodedRequest[] {
  const { scan, count, labels, sampleFrom, sampleIdx } = batch;
  const ts = scan.sampleTs;
  const seriesBytes = new Array<number>(count);
  const bodySize = new Array<number>(count);
  for (let j = 0; j < count; j++) {
    let size = (labels[j] as Uint8Array).length;
    for (let k = sampleFrom[j] as number; k < (sampleFrom[j + 1] as number); k++) {
      size += 12 + varint64Len(ts[sampleIdx[k] as number] as number);
    }
    bodySize[j] = size;
    seriesBytes[j] = lenField(size);
  }
  const out: EncodedRequest[] = [];
  let from = 0;
  while (from < count) {
    let to = from;
    let total = 0;
    while (to < count && (to === from || total + (seriesBytes[to] as number) <= maxBytes)) total += seriesBytes[to++] as number;
    st.buf = alloc(total);
    st.pos = 0;
    for (let j = from; j < to; j++) {
      st.buf[st.pos++] = T_REQ_SERIES;
      writeVarint32(st, bodySize[j] as number);
      const l = labels[j] as Uint8Array;
      st.buf.set(l, st.pos);
      st.pos += l.length;
      for (let k = sampleFrom[j] as number; k < (sampleFrom[j + 1] as number); k++) {
        const i = sampleIdx[k] as number;
        const t = ts[i] as number;
        st.buf[st.pos++] = T_SERIES_SAMPLES;
        st.buf[st.pos++] = 10 + varint64Len(t);
        st.buf[st.pos++] = T_SAMPLE_VALUE;
        copyValue(scan.bytes, scan.sampleValue[i] as number);
        st.buf[st.pos++] = T_SAMPLE_TS;
        writeVarint64(st, t);
      }
    }
    if (st.pos !== total) throw new Error(`remote-write encoder wrote ${st.pos} bytes, expected ${total}`);
    out.push({ body: st.buf, from, to });
    st.buf = Buffer.alloc(0);
    from = to;
  }
  return out;
}

/**
 * Series written from flat arrays: the OTLP → remote-write fast path
 * (exporters/prometheus-remote-write/otlp-transcode.ts) fills these from a scanned request.
 * Series j has one sample, k = j, or with `sampleFrom` the samples k in
 * [sampleFrom[j], sampleFrom[j + 1]) (merged batches that met a series several times).
 */
export interface SampleSeriesBatch {
  /** Number of series. */
  readonly count: number;
  /** Encoded label fields of series j (`encodeLabelFields`). */
  readonly labels: readonly Uint8Array[];
  /** Per series j: where its samples start in the sample arrays (count + 1 entries); absent: k = j. */
  readonly sampleFrom?: ArrayLike<number>;
  /** Timestamp (ms) of sample k. */
  readonly ts: ArrayLike<number>;
  /** Value of sample k: -2 the staleness marker, -1 `value[k]`, else the offset of its 8 bytes in `src`. */
  readonly valueAt: ArrayLike<number>;
  readonly value: ArrayLike<number>;
  readonly src: Buffer;
}

/** `SampleSeriesBatch.valueAt` of a staleness marker. */
export const VALUE_STALE = -2;
/** `SampleSeriesBatch.valueAt` of a value held in `value`. */
export const VALUE_NUMBER = -1;

/**
 * Encodes flat-array series into WriteRequests of at most `maxBytes` each (uncompressed), the
 * same bytes `encodeWriteRequests` writes for the same series, without a Sample or Label object.
 */
export function encodeSampleSeries(
  batch: SampleSeriesBatch,
  maxBytes: number,
  alloc: BodyAllocator = Buffer.allocUnsafe,
): EncodedRequest[] {
  const { count, labels, sampleFrom, ts, valueAt, value, src } = batch;
  const out: EncodedRequest[] = [];
  let from = 0;
  while (from < count) {
    let to = from;
    let total = 0;
    while (to < count) {
      let samplesSize = 0;
      const kEnd = sampleFrom ? (sampleFrom[to + 1] as number) : to + 1;
      for (let k = sampleFrom ? (sampleFrom[to] as number) : to; k < kEnd; k++) samplesSize += 12 + varint64Len(ts[k] as number);
      const size = lenField((labels[to] as Uint8Array).length + samplesSize);
      if (to !== from && total + size > maxBytes) break;
      total += size;
      to++;
    }
    st.buf = alloc(total);
    st.pos = 0;
    for (let j = from; j < to; j++) {
      const l = labels[j] as Uint8Array;
      const kStart = sampleFrom ? (sampleFrom[j] as number) : j;
      const kEnd = sampleFrom ? (sampleFrom[j + 1] as number) : j + 1;
      let samplesSize = 0;
      for (let k = kStart; k < kEnd; k++) samplesSize += 12 + varint64Len(ts[k] as number);
      st.buf[st.pos++] = T_REQ_SERIES;
      writeVarint32(st, l.length + samplesSize);
      st.buf.set(l, st.pos);
      st.pos += l.length;
      for (let k = kStart; k < kEnd; k++) {
        const t = ts[k] as number;
        st.buf[st.pos++] = T_SERIES_SAMPLES;
        st.buf[st.pos++] = 10 + varint64Len(t);
        st.buf[st.pos++] = T_SAMPLE_VALUE;
        const at = valueAt[k] as number;
        if (at === VALUE_STALE) {
          STALE_BYTES.copy(st.buf, st.pos);
          st.pos += 8;
        } else if (at === VALUE_NUMBER) writeDouble(value[k] as number);
        else copyValue(src, at);
        st.buf[st.pos++] = T_SAMPLE_TS;
        writeVarint64(st, t);
      }
    }
    if (st.pos !== total) throw new Error(`remote-write encoder wrote ${st.pos} bytes, expected ${total}`);
    out.push({ body: st.buf, from, to });
    st.buf = Buffer.alloc(0);
    from = to;
  }
  return out;
}
