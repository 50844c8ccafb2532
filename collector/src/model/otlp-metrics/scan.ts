/**
 * A one-pass scanner of OTLP `ExportMetricsServiceRequest` protobuf bytes into flat typed arrays:
 * no object per resource, metric, attribute, data point or 64-bit integer. It is the receive half
 * of the OTLP → remote-write fast path (../README.md "Lazy metrics"): the receiver scans, the
 * pipeline carries the bytes plus these arrays, and the prometheusremotewrite exporter writes
 * samples from them (exporters/prometheus-remote-write/otlp-transcode.ts).
 *
 * Why by hand: protobufjs builds an object per message and a Long per fixed64; no maintained
 * library scans protobuf into offsets.
 *
 * The scanner accepts only the shape it checks completely and answers `undefined` for anything
 * else, so the caller takes the full decoder, which handles it or rejects it with the precise
 * reason. Everything it accepts, protobufjs decodes without error to the data it describes
 * (scan.test.ts checks that on random and mutated requests). It answers undefined for: exemplars,
 * summaries, exponential histograms, metric metadata, array / kvlist attribute values, resource
 * entity refs, a singular field or oneof member given twice, attribute fields not contiguous,
 * unpacked or odd-sized histogram arrays, bucket counts not one more than the bounds, wire types
 * a field does not have, groups, and any malformed protobuf.
 */
import { isUtf8 } from 'node:buffer';

/** Metric data kinds the scan accepts (`ScannedMetricsRequest.metricKind`). */
export enum MetricKind {
  /** A Metric with no data: nothing to translate. */
  None = 0,
  Gauge = 1,
  Sum = 2,
  Histogram = 3,
}

/** A scanned request: the bytes plus where each resource, metric and point is. */
export interface ScannedMetricsRequest {
  /** The request (owned by the scan result: do not modify). */
  readonly bytes: Buffer;
  /** Data points in the request (what countDataPoints reports). */
  readonly points: number;
  readonly resourceCount: number;
  /** Per resource: content range of its Resource message (start === end when empty or absent). */
  readonly resStart: Int32Array;
  readonly resEnd: Int32Array;
  /** Per resource: its metrics are [resMetricEnd[r - 1] (0 for r = 0), resMetricEnd[r]). */
  readonly resMetricEnd: Int32Array;
  readonly metricCount: number;
  /** Per metric: MetricKind. */
  readonly metricKind: Uint8Array;
  /** Per metric: aggregation temporality (0 for gauges) and is_monotonic (sums). */
  readonly metricTemporality: Int32Array;
  readonly metricMonotonic: Uint8Array;
  /** Per metric: name and unit content ranges. */
  readonly nameStart: Int32Array;
  readonly nameEnd: Int32Array;
  readonly unitStart: Int32Array;
  readonly unitEnd: Int32Array;
  /** Per metric: its points are [metricPointEnd[m - 1] (0 for m = 0), metricPointEnd[m]). */
  readonly metricPointEnd: Int32Array;
  /** Per point: range of its attribute fields (tags included; start === end when none). */
  readonly attrStart: Int32Array;
  readonly attrEnd: Int32Array;
  /** Per point: time_unix_nano in whole milliseconds (model/time.ts nanosToMillis). */
  readonly ms: Float64Array;
  /** Per point: 1 when the no-recorded-value flag is set. */
  readonly stale: Uint8Array;
  /** Per number point: offset of the as_double bytes, or -1 (then `intValue` holds as_int, or 0). */
  readonly valueAt: Int32Array;
  /** Per point: as_int as a number (number points), or `count` (histogram points). */
  readonly intValue: Float64Array;
  /** Per histogram point: offset of the `sum` double, or -1 when absent. */
  readonly sumAt: Int32Array;
  /** Per histogram point: offset of the packed bucket_counts data (bounds + 1 fixed64 values). */
  readonly bucketsAt: Int32Array;
  /** Per histogram point: number of bucket counts (bounds + 1). */
  readonly bucketCount: Int32Array;
  /** Per histogram point: range of its explicit_bounds field (tag included; start === end when none). */
  readonly boundsStart: Int32Array;
  readonly boundsEnd: Int32Array;
}

/** Growable scratch, reused across scans (the scan copies out exactly-sized arrays). */
const s = {
  resStart: new Int32Array(16),
  resEnd: new Int32Array(16),
  resMetricEnd: new Int32Array(16),
  metricKind: new Uint8Array(64),
  metricTemporality: new Int32Array(64),
  metricMonotonic: new Uint8Array(64),
  nameStart: new Int32Array(64),
  nameEnd: new Int32Array(64),
  unitStart: new Int32Array(64),
  unitEnd: new Int32Array(64),
  metricPointEnd: new Int32Array(64),
  attrStart: new Int32Array(1024),
  attrEnd: new Int32Array(1024),
  ms: new Float64Array(1024),
  stale: new Uint8Array(1024),
  valueAt: new Int32Array(1024),
  intValue: new Float64Array(1024),
  sumAt: new Int32Array(1024),
  bucketsAt: new Int32Array(1024),
  bucketCount: new Int32Array(1024),
  boundsStart: new Int32Array(1024),
  boundsEnd: new Int32Array(1024),
};

type Arr = Int32Array | Float64Array | Uint8Array;
function grow<T extends Arr>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Thrown inside the scan to bail out to the full decoder (caught once, at the top). */
const BAIL = new Error('otlp scan: not the fast shape');

/** Cursor: the scan is synchronous and not reentrant. */
let pos = 0;
let buf: Buffer = Buffer.alloc(0);

/** A varint of at most 5 bytes as uint32 (tags, lengths); bails when longer or truncated. */
function uvarint32(end: number): number {
  const b = buf;
  let p = pos;
  if (p >= end) throw BAIL;
  let x = b[p++] as number;
  if (x < 0x80) {
    pos = p;
    return x;
  }
  let result = x & 0x7f;
  let mul = 128;
  for (let i = 1; i < 5; i++) {
    if (p >= end) throw BAIL;
    x = b[p++] as number;
    result += (x & 0x7f) * mul;
    if (x < 0x80) {
      if (result > 0x7fffffff) throw BAIL; // lengths past 2 GiB and odd tags: the full decoder decides
      pos = p;
      return result;
    }
    mul *= 128;
  }
  throw BAIL;
}

/** Skips a varint of up to 10 bytes (what protobufjs accepts); returns its first byte. */
function skipVarint(end: number): number {
  const first = buf[pos] as number;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw BAIL;
    if ((buf[pos++] as number) < 0x80) return first;
  }
  throw BAIL;
}

/** A length prefix whose content fits before `end`; returns the content end. */
function lenEnd(end: number): number {
  const n = uvarint32(end);
  const e = pos + n;
  if (e > end) throw BAIL;
  return e;
}

/**
 * A string field's content [pos, …) checked as UTF-8 (protobufjs rejects invalid UTF-8 in
 * proto3 strings); returns the content end. ASCII, the common case, never leaves JS.
 */
function str(end: number): number {
  const e = lenEnd(end);
  const b = buf;
  for (let i = pos; i < e; i++) {
    if ((b[i] as number) >= 0x80) {
      if (!isUtf8(b.subarray(pos, e))) throw BAIL;
      break;
    }
  }
  return e;
}

/** Skips an unknown field's value of wire type `wt` (as protobufjs does); groups bail. */
function skipField(wt: number, end: number): void {
  if (wt === 0) skipVarint(end);
  else if (wt === 1) pos += 8;
  else if (wt === 5) pos += 4;
  else if (wt === 2) pos = lenEnd(end);
  else throw BAIL;
  if (pos > end) throw BAIL;
}

/** A fixed64 at `at` as the number protobufjs' Long#toNumber gives for an unsigned value. */
function u64(at: number): number {
  return (buf.readUInt32LE(at + 4) as number) * 4294967296 + (buf.readUInt32LE(at) as number);
}

/** An sfixed64 at `at` as Long#toNumber (signed). */
function s64(at: number): number {
  return buf.readInt32LE(at + 4) * 4294967296 + buf.readUInt32LE(at);
}

/** time_unix_nano at `at` → ms, exactly as model/time.ts nanosToMillis. */
function nanosAtToMillis(at: number): number {
  const hi = buf.readUInt32LE(at + 4);
  return hi * 4294 + Math.floor((hi * 967296 + buf.readUInt32LE(at)) / 1e6);
}

/** Checks an AnyValue of the scalar kinds; array and kvlist values bail. */
function checkAnyValue(end: number): void {
  let seen = false;
  while (pos < end) {
    const tag = uvarint32(end);
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field >= 1 && field <= 7) {
      // A oneof given twice leaves two members set in protobufjs; let the full path decide.
      if (seen) throw BAIL;
      seen = true;
      if (field === 1 || field === 7) {
        if (wt !== 2) throw BAIL;
        pos = field === 1 ? str(end) : lenEnd(end);
      } else if (field === 2 || field === 3) {
        if (wt !== 0) throw BAIL;
        skipVarint(end);
      } else if (field === 4) {
        if (wt !== 1) throw BAIL;
        pos += 8;
        if (pos > end) throw BAIL;
      } else throw BAIL; // array_value, kvlist_value
    } else if (field === 0) throw BAIL;
    else skipField(wt, end);
  }
  if (pos !== end) throw BAIL;
}

/** Checks one KeyValue's content [pos, end). */
function checkKeyValue(end: number): void {
  let key = false;
  let value = false;
  while (pos < end) {
    const tag = uvarint32(end);
    if (tag === 0x0a) {
      if (key) throw BAIL;
      key = true;
      pos = str(end);
    } else if (tag === 0x12) {
      if (value) throw BAIL;
      value = true;
      const e = lenEnd(end);
      checkAnyValue(e);
    } else if (tag >>> 3 === 1 || tag >>> 3 === 2 || tag >>> 3 === 0) throw BAIL;
    else skipField(tag & 7, end);
  }
  if (pos !== end) throw BAIL;
}

/** Checks an InstrumentationScope's content. */
function checkScope(end: number): void {
  while (pos < end) {
    const tag = uvarint32(end);
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1 || field === 2) {
      if (wt !== 2) throw BAIL;
      pos = str(end);
    } else if (field === 3) {
      if (wt !== 2) throw BAIL;
      checkKeyValue(lenEnd(end));
    } else if (field === 4) {
      if (wt !== 0) throw BAIL;
      skipVarint(end);
    } else if (field === 0) throw BAIL;
    else skipField(wt, end);
  }
}

/** Checks a Resource's content: attributes and dropped count (entity refs bail). */
function checkResource(end: number): void {
  while (pos < end) {
    const tag = uvarint32(end);
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      if (wt !== 2) throw BAIL;
      checkKeyValue(lenEnd(end));
    } else if (field === 2) {
      if (wt !== 0) throw BAIL;
      skipVarint(end);
    } else if (field === 0 || field === 3) throw BAIL;
    else skipField(wt, end);
  }
}

let points = 0;

/** Room for one more point in the scratch arrays. */
function pointSlot(): number {
  const i = points;
  if (i >= s.attrStart.length) {
    const n = i + 1;
    s.attrStart = grow(s.attrStart, n);
    s.attrEnd = grow(s.attrEnd, n);
    s.ms = grow(s.ms, n);
    s.stale = grow(s.stale, n);
    s.valueAt = grow(s.valueAt, n);
    s.intValue = grow(s.intValue, n);
    s.sumAt = grow(s.sumAt, n);
    s.bucketsAt = grow(s.bucketsAt, n);
    s.bucketCount = grow(s.bucketCount, n);
    s.boundsStart = grow(s.boundsStart, n);
    s.boundsEnd = grow(s.boundsEnd, n);
  }
  return i;
}

/** Scans a NumberDataPoint's content. */
function numberPoint(end: number): void {
  const i = pointSlot();
  let aStart = -1;
  let aEnd = -1;
  let closed = false;
  let time = -1;
  let start = false;
  let dbl = -1;
  let int = -1;
  let flags = -1;
  while (pos < end) {
    const at = pos;
    const tag = uvarint32(end);
    if (tag === 0x3a) {
      if (closed) throw BAIL;
      checkKeyValue(lenEnd(end));
      if (aStart < 0) aStart = at;
      aEnd = pos;
      continue;
    }
    if (aStart >= 0) closed = true;
    if (tag === 0x19) {
      if (time >= 0) throw BAIL;
      time = pos;
      pos += 8;
    } else if (tag === 0x11) {
      if (start) throw BAIL;
      start = true;
      pos += 8;
    } else if (tag === 0x21) {
      if (dbl >= 0 || int >= 0) throw BAIL;
      dbl = pos;
      pos += 8;
    } else if (tag === 0x31) {
      if (dbl >= 0 || int >= 0) throw BAIL;
      int = pos;
      pos += 8;
    } else if (tag === 0x40) {
      if (flags >= 0) throw BAIL;
      flags = skipVarint(end) & 1;
    } else {
      const field = tag >>> 3;
      if (field <= 8) throw BAIL; // exemplars (5), wrong wire types, field 0
      skipField(tag & 7, end);
    }
    if (pos > end) throw BAIL;
  }
  s.attrStart[i] = Math.max(aStart, 0);
  s.attrEnd[i] = aStart < 0 ? 0 : aEnd;
  s.ms[i] = time < 0 ? 0 : nanosAtToMillis(time);
  s.stale[i] = flags === 1 ? 1 : 0;
  s.valueAt[i] = dbl;
  s.intValue[i] = int >= 0 ? s64(int) : 0;
  points = i + 1;
}

/** Scans a HistogramDataPoint's content. */
function histogramPoint(end: number): void {
  const i = pointSlot();
  let aStart = -1;
  let aEnd = -1;
  let closed = false;
  let time = -1;
  let start = false;
  let count = -1;
  let sum = -1;
  let buckets = -1;
  let bucketsLen = 0;
  let bStart = -1;
  let bEnd = -1;
  let bounds = 0;
  let flags = -1;
  let min = false;
  let max = false;
  while (pos < end) {
    const at = pos;
    const tag = uvarint32(end);
    if (tag === 0x4a) {
      if (closed) throw BAIL;
      checkKeyValue(lenEnd(end));
      if (aStart < 0) aStart = at;
      aEnd = pos;
      continue;
    }
    if (aStart >= 0) closed = true;
    switch (tag) {
      case 0x11:
        if (start) throw BAIL;
        start = true;
        pos += 8;
        break;
      case 0x19:
        if (time >= 0) throw BAIL;
        time = pos;
        pos += 8;
        break;
      case 0x21:
        if (count >= 0) throw BAIL;
        count = pos;
        pos += 8;
        break;
      case 0x29:
        if (sum >= 0) throw BAIL;
        sum = pos;
        pos += 8;
        break;
      case 0x32: {
        if (buckets >= 0) throw BAIL;
        const e = lenEnd(end);
        buckets = pos;
        bucketsLen = e - pos;
        if (bucketsLen % 8 !== 0) throw BAIL;
        pos = e;
        break;
      }
      case 0x3a: {
        if (bStart >= 0) throw BAIL;
        bStart = at;
        const e = lenEnd(end);
        if ((e - pos) % 8 !== 0) throw BAIL;
        bounds = (e - pos) / 8;
        pos = e;
        bEnd = e;
        break;
      }
      case 0x50:
        if (flags >= 0) throw BAIL;
        flags = skipVarint(end) & 1;
        break;
      case 0x59:
        if (min) throw BAIL;
        min = true;
        pos += 8;
        break;
      case 0x61:
        if (max) throw BAIL;
        max = true;
        pos += 8;
        break;
      default:
        if (tag >>> 3 <= 12) throw BAIL; // exemplars (8), unpacked arrays, wrong wire types
        skipField(tag & 7, end);
    }
    if (pos > end) throw BAIL;
  }
  if (bucketsLen / 8 !== bounds + 1) throw BAIL;
  s.attrStart[i] = Math.max(aStart, 0);
  s.attrEnd[i] = aStart < 0 ? 0 : aEnd;
  s.ms[i] = time < 0 ? 0 : nanosAtToMillis(time);
  s.stale[i] = flags === 1 ? 1 : 0;
  s.intValue[i] = count < 0 ? 0 : u64(count);
  s.sumAt[i] = sum;
  s.bucketsAt[i] = buckets;
  s.bucketCount[i] = bucketsLen / 8;
  s.boundsStart[i] = Math.max(bStart, 0);
  s.boundsEnd[i] = bStart < 0 ? 0 : bEnd;
  points = i + 1;
}

let metrics = 0;

/** Scans a Gauge / Sum / Histogram message's content. */
function metricData(kind: MetricKind, end: number, m: number): void {
  let temporality = -1;
  let monotonic = -1;
  while (pos < end) {
    const tag = uvarint32(end);
    if (tag === 0x0a) {
      const e = lenEnd(end);
      if (kind === MetricKind.Histogram) histogramPoint(e);
      else numberPoint(e);
      pos = e;
    } else if (tag === 0x10 && kind !== MetricKind.Gauge) {
      if (temporality >= 0) throw BAIL;
      // An enum is an int32: take the low bits protobufjs keeps; odd encodings bail.
      const v = uvarint32(end);
      temporality = v;
    } else if (tag === 0x18 && kind === MetricKind.Sum) {
      if (monotonic >= 0) throw BAIL;
      monotonic = skipVarint(end);
      if (monotonic > 1) throw BAIL; // a bool as anything but 0 / 1: the full decoder decides
    } else {
      const field = tag >>> 3;
      if (field <= 3) throw BAIL;
      skipField(tag & 7, end);
    }
  }
  s.metricTemporality[m] = Math.max(temporality, 0);
  s.metricMonotonic[m] = monotonic === 1 ? 1 : 0;
}

/** Scans a Metric's content. */
function metric(end: number): void {
  const m = metrics;
  if (m >= s.metricKind.length) {
    const n = m + 1;
    s.metricKind = grow(s.metricKind, n);
    s.metricTemporality = grow(s.metricTemporality, n);
    s.metricMonotonic = grow(s.metricMonotonic, n);
    s.nameStart = grow(s.nameStart, n);
    s.nameEnd = grow(s.nameEnd, n);
    s.unitStart = grow(s.unitStart, n);
    s.unitEnd = grow(s.unitEnd, n);
    s.metricPointEnd = grow(s.metricPointEnd, n);
  }
  let name = false;
  let unit = false;
  let description = false;
  let kind = MetricKind.None;
  s.nameStart[m] = 0;
  s.nameEnd[m] = 0;
  s.unitStart[m] = 0;
  s.unitEnd[m] = 0;
  s.metricTemporality[m] = 0;
  s.metricMonotonic[m] = 0;
  while (pos < end) {
    const tag = uvarint32(end);
    switch (tag) {
      case 0x0a:
        if (name) throw BAIL;
        name = true;
        s.nameEnd[m] = str(end);
        s.nameStart[m] = pos;
        pos = s.nameEnd[m] as number;
        break;
      case 0x12:
        if (description) throw BAIL;
        description = true;
        pos = str(end);
        break;
      case 0x1a:
        if (unit) throw BAIL;
        unit = true;
        s.unitEnd[m] = str(end);
        s.unitStart[m] = pos;
        pos = s.unitEnd[m] as number;
        break;
      case 0x2a:
      case 0x3a:
      case 0x4a: {
        if (kind !== MetricKind.None) throw BAIL;
        kind = tag === 0x2a ? MetricKind.Gauge : tag === 0x3a ? MetricKind.Sum : MetricKind.Histogram;
        const e = lenEnd(end);
        metricData(kind, e, m);
        pos = e;
        break;
      }
      default:
        // exponential histograms (10), summaries (11), metadata (12), wrong wire types
        if (tag >>> 3 <= 12) throw BAIL;
        skipField(tag & 7, end);
    }
  }
  s.metricKind[m] = kind;
  s.metricPointEnd[m] = points;
  metrics = m + 1;
}

/**
 * Scans an ExportMetricsServiceRequest. Returns undefined when the request holds anything the
 * scan does not check completely (see the module comment); the caller then decodes it in full.
 */
export function scanMetricsRequest(bytes: Buffer): ScannedMetricsRequest | undefined {
  buf = bytes;
  pos = 0;
  points = 0;
  metrics = 0;
  let resources = 0;
  const end = bytes.length;
  try {
    while (pos < end) {
      const tag = uvarint32(end);
      if (tag !== 0x0a) {
        if (tag >>> 3 <= 1) throw BAIL;
        skipField(tag & 7, end);
        continue;
      }
      const rmEnd = lenEnd(end);
      const r = resources;
      if (r >= s.resStart.length) {
        s.resStart = grow(s.resStart, r + 1);
        s.resEnd = grow(s.resEnd, r + 1);
        s.resMetricEnd = grow(s.resMetricEnd, r + 1);
      }
      let resource = false;
      let schema = false;
      s.resStart[r] = 0;
      s.resEnd[r] = 0;
      while (pos < rmEnd) {
        const t = uvarint32(rmEnd);
        if (t === 0x0a) {
          if (resource) throw BAIL;
          resource = true;
          const e = lenEnd(rmEnd);
          s.resStart[r] = pos;
          s.resEnd[r] = e;
          checkResource(e);
        } else if (t === 0x12) {
          const smEnd = lenEnd(rmEnd);
          let scope = false;
          let smSchema = false;
          while (pos < smEnd) {
            const u = uvarint32(smEnd);
            if (u === 0x0a) {
              if (scope) throw BAIL;
              scope = true;
              checkScope(lenEnd(smEnd));
            } else if (u === 0x12) {
              const e = lenEnd(smEnd);
              metric(e);
              pos = e;
            } else if (u === 0x1a) {
              if (smSchema) throw BAIL;
              smSchema = true;
              pos = str(smEnd);
            } else {
              if (u >>> 3 <= 3) throw BAIL;
              skipField(u & 7, smEnd);
            }
          }
        } else if (t === 0x1a) {
          if (schema) throw BAIL;
          schema = true;
          pos = str(rmEnd);
        } else {
          if (t >>> 3 <= 3) throw BAIL;
          skipField(t & 7, rmEnd);
        }
      }
      s.resMetricEnd[r] = metrics;
      resources = r + 1;
    }
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  } finally {
    buf = Buffer.alloc(0);
  }
  const n = points;
  const m = metrics;
  return {
    bytes,
    points: n,
    resourceCount: resources,
    resStart: s.resStart.slice(0, resources),
    resEnd: s.resEnd.slice(0, resources),
    resMetricEnd: s.resMetricEnd.slice(0, resources),
    metricCount: m,
    metricKind: s.metricKind.slice(0, m),
    metricTemporality: s.metricTemporality.slice(0, m),
    metricMonotonic: s.metricMonotonic.slice(0, m),
    nameStart: s.nameStart.slice(0, m),
    nameEnd: s.nameEnd.slice(0, m),
    unitStart: s.unitStart.slice(0, m),
    unitEnd: s.unitEnd.slice(0, m),
    metricPointEnd: s.metricPointEnd.slice(0, m),
    attrStart: s.attrStart.slice(0, n),
    attrEnd: s.attrEnd.slice(0, n),
    ms: s.ms.slice(0, n),
    stale: s.stale.slice(0, n),
    valueAt: s.valueAt.slice(0, n),
    intValue: s.intValue.slice(0, n),
    sumAt: s.sumAt.slice(0, n),
    bucketsAt: s.bucketsAt.slice(0, n),
    bucketCount: s.bucketCount.slice(0, n),
    boundsStart: s.boundsStart.slice(0, n),
    boundsEnd: s.boundsEnd.slice(0, n),
  };
}
