/**
 * A one-pass scanner of `prometheus.WriteRequest` bytes into flat typed arrays: no object per
 * series, label or sample. It is the receive half of the remote-write relay fast path (see
 * ../README.md "Lazy metrics"): the receiver scans, the pipeline carries the bytes plus these
 * arrays, and the exporter re-encodes series from them without ever building OTLP objects.
 *
 * The scanner only accepts the plain shape Prometheus and vmagent send for float samples and
 * answers `undefined` for anything else, so the caller takes the full decoder, which either
 * handles it or rejects it with the precise reason. It answers undefined for: metadata, exemplars,
 * native histograms, a series without a non-empty `__name__`, a `target_info` series (those
 * become resource attributes), label fields not contiguous, a timestamp outside ±2^53 ms or
 * negative, label text that is not valid UTF-8 (or whose length takes more than one varint byte,
 * which the check cannot tell apart), and any malformed protobuf.
 */
import { isUtf8 } from 'node:buffer';

/** A scanned WriteRequest: the bytes plus where each series' labels and samples are. */
export interface ScannedWriteRequest {
  /** The uncompressed request (owned by the scan result: do not modify). */
  readonly bytes: Buffer;
  /** Number of series with at least one sample. */
  readonly seriesCount: number;
  /** Per series: offset of its first label field (tag byte) in `bytes`. */
  readonly labelsStart: Int32Array;
  /** Per series: offset just past its last label field. */
  readonly labelsEnd: Int32Array;
  /** Per series: index of its first sample in the sample arrays; series i has samples [sampleStart[i], sampleStart[i + 1]). */
  readonly sampleStart: Int32Array;
  /** Per sample: timestamp in milliseconds. */
  readonly sampleTs: Float64Array;
  /** Per sample: offset of the 8 little-endian value bytes in `bytes`, or -1 for an absent value (0). */
  readonly sampleValue: Int32Array;
  /** Total samples. */
  readonly samples: number;
}

/** `__name__` as bytes. */
const NAME = Buffer.from('__name__');
const TARGET_INFO = Buffer.from('target_info');

/** Reusable growable scratch (the scan copies out exactly-sized arrays at the end). */
const scratch = {
  labelsStart: new Int32Array(1024),
  labelsEnd: new Int32Array(1024),
  sampleStart: new Int32Array(1025),
  sampleTs: new Float64Array(1024),
  sampleValue: new Int32Array(1024),
};

function grow<T extends Int32Array | Float64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Cursor over `bytes`; `pos` < 0 after a malformed read. */
const cur = { pos: 0 };

/** A varint of at most 5 bytes (tags, lengths) at cur.pos; sets cur.pos to -1 when malformed. */
function varint32(b: Buffer, end: number): number {
  let p = cur.pos;
  if (p < end && (b[p] as number) < 0x80) {
    cur.pos = p + 1;
    return b[p] as number;
  }
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 5 && p < end; i++) {
    const x = b[p++] as number;
    result += (x & 0x7f) * mul;
    if (x < 0x80) {
      cur.pos = p;
      return result;
    }
    mul *= 128;
  }
  cur.pos = -1;
  return 0;
}

/** An int64 varint as a number when it is in [0, 2^53); NaN otherwise (negative, too large, malformed). */
function varintMs(b: Buffer, end: number): number {
  let result = 0;
  let mul = 1;
  let p = cur.pos;
  for (let i = 0; i < 8 && p < end; i++) {
    const x = b[p++] as number;
    result += (x & 0x7f) * mul;
    if (x < 0x80) {
      cur.pos = p;
      return result <= Number.MAX_SAFE_INTEGER ? result : Number.NaN;
    }
    mul *= 128;
  }
  cur.pos = -1;
  return Number.NaN;
}

/** Skips a field of wire type `wt` at cur.pos; false when malformed or of an unsupported type. */
function skip(b: Buffer, wt: number, end: number): boolean {
  if (wt === 0) {
    let p = cur.pos;
    while (p < end && (b[p] as number) >= 0x80) p++;
    if (p >= end) return false;
    cur.pos = p + 1;
    return true;
  }
  if (wt === 1 || wt === 5) {
    cur.pos += wt === 1 ? 8 : 4;
    return cur.pos <= end;
  }
  if (wt === 2) {
    const len = varint32(b, end);
    if (cur.pos < 0 || cur.pos + len > end) return false;
    cur.pos += len;
    return true;
  }
  return false; // groups (3, 4) and invalid types: let the full decoder decide
}

function equalBytes(b: Buffer, start: number, len: number, what: Buffer): boolean {
  if (len !== what.length) return false;
  for (let i = 0; i < len; i++) if (b[start + i] !== what[i]) return false;
  return true;
}

/**
 * Checks one Label message at [start, end) (name = 1, value = 2, nothing else) and, when it is
 * `__name__`, reports its value's bounds in `nameOut`. Returns false when malformed or when the
 * label carries unknown fields (their bytes could hide invalid UTF-8 from the run check).
 */
const nameOut = { start: -1, len: 0 };
function scanLabel(b: Buffer, start: number, end: number): boolean {
  cur.pos = start;
  let nameStart = -1;
  let nameLen = 0;
  let valueStart = -1;
  let valueLen = 0;
  while (cur.pos < end) {
    const tag = varint32(b, end);
    if (cur.pos < 0) return false;
    const field = tag >>> 3;
    const wt = tag & 7;
    if ((field === 1 || field === 2) && wt === 2) {
      const len = varint32(b, end);
      if (cur.pos < 0 || cur.pos + len > end) return false;
      if (field === 1) {
        nameStart = cur.pos;
        nameLen = len;
      } else {
        valueStart = cur.pos;
        valueLen = len;
      }
      cur.pos += len;
    } else return false; // unknown fields inside a label: the full decoder decides
  }
  if (nameStart >= 0 && equalBytes(b, nameStart, nameLen, NAME)) {
    nameOut.start = valueStart;
    nameOut.len = valueStart < 0 ? 0 : valueLen;
  }
  return true;
}

/**
 * Scans an uncompressed WriteRequest. Returns undefined when the request holds anything but
 * named float series with well-formed labels (see the module comment); the caller then decodes
 * it in full.
 */
export function scanWriteRequest(bytes: Buffer): ScannedWriteRequest | undefined {
  const end = bytes.length;
  let series = 0;
  let samples = 0;
  cur.pos = 0;
  while (cur.pos < end) {
    const tag = varint32(bytes, end);
    if (cur.pos < 0) return undefined;
    if (tag !== 0x0a) {
      if ((tag & 7) === 2 && tag >>> 3 === 3) return undefined; // metadata: the full path keeps family types
      if (!skip(bytes, tag & 7, end)) return undefined;
      continue;
    }
    const len = varint32(bytes, end);
    if (cur.pos < 0 || cur.pos + len > end) return undefined;
    const sStart = cur.pos;
    const sEnd = sStart + len;
    // One TimeSeries: labels (1), samples (2); exemplars (3) and histograms (4) go the full way.
    let lStart = -1;
    let lEnd = -1;
    let labelsClosed = false;
    let named = false;
    const firstSample = samples;
    let p = sStart;
    while (p < sEnd) {
      cur.pos = p;
      const t = varint32(bytes, sEnd);
      if (cur.pos < 0) return undefined;
      const fieldStart = p;
      if (t === 0x0a) {
        if (labelsClosed) return undefined; // labels interleaved with other fields
        const l = varint32(bytes, sEnd);
        if (cur.pos < 0 || cur.pos + l > sEnd) return undefined;
        const ls = cur.pos;
        nameOut.start = -1;
        if (!scanLabel(bytes, ls, ls + l)) return undefined;
        if (nameOut.start >= 0) {
          if (nameOut.len === 0 || equalBytes(bytes, nameOut.start, nameOut.len, TARGET_INFO)) return undefined;
          named = true;
        }
        if (lStart < 0) lStart = fieldStart;
        lEnd = ls + l;
        p = lEnd;
        continue;
      }
      if (lStart >= 0) labelsClosed = true;
      if (t === 0x12) {
        const l = varint32(bytes, sEnd);
        if (cur.pos < 0 || cur.pos + l > sEnd) return undefined;
        const ss = cur.pos;
        const se = ss + l;
        let ts = 0;
        let valueAt = -1;
        cur.pos = ss;
        while (cur.pos < se) {
          const st = varint32(bytes, se);
          if (cur.pos < 0) return undefined;
          if (st === 0x09) {
            valueAt = cur.pos;
            cur.pos += 8;
            if (cur.pos > se) return undefined;
          } else if (st === 0x10) {
            ts = varintMs(bytes, se);
            if (Number.isNaN(ts)) return undefined;
          } else if (!skip(bytes, st & 7, se)) return undefined;
        }
        if (samples >= scratch.sampleTs.length) {
          scratch.sampleTs = grow(scratch.sampleTs, samples + 1);
          scratch.sampleValue = grow(scratch.sampleValue, samples + 1);
        }
        scratch.sampleTs[samples] = ts;
        scratch.sampleValue[samples] = valueAt;
        samples++;
        p = se;
        continue;
      }
      if (t === 0x1a || t === 0x22) return undefined; // exemplars, native histograms
      cur.pos = p;
      varint32(bytes, sEnd);
      if (!skip(bytes, t & 7, sEnd)) return undefined;
      p = cur.pos;
    }
    cur.pos = sEnd;
    if (!named) return undefined;
    if (samples === firstSample) continue; // no samples: nothing to relay (the full path skips it too)
    // Label text must be valid UTF-8 (proto3 strings). Tags and one-byte lengths are ASCII, so the
    // whole label run is valid exactly when every string in it is.
    if (!isUtf8(bytes.subarray(lStart, lEnd))) return undefined;
    if (series + 1 >= scratch.labelsStart.length) {
      scratch.labelsStart = grow(scratch.labelsStart, series + 2);
      scratch.labelsEnd = grow(scratch.labelsEnd, series + 2);
      scratch.sampleStart = grow(scratch.sampleStart, series + 2);
    }
    scratch.labelsStart[series] = lStart;
    scratch.labelsEnd[series] = lEnd;
    scratch.sampleStart[series] = firstSample;
    series++;
  }
  scratch.sampleStart[series] = samples;
  return {
    bytes,
    seriesCount: series,
    labelsStart: scratch.labelsStart.slice(0, series),
    labelsEnd: scratch.labelsEnd.slice(0, series),
    sampleStart: scratch.sampleStart.slice(0, series + 1),
    sampleTs: scratch.sampleTs.slice(0, samples),
    sampleValue: scratch.sampleValue.slice(0, samples),
    samples,
  };
}

/** The labels of series `i` of a scan, decoded (for the rare cache miss; the hot path copies bytes). */
export function scannedLabels(scan: ScannedWriteRequest, i: number): { name: string; value: string }[] {
  const b = scan.bytes;
  const end = scan.labelsEnd[i] as number;
  const out: { name: string; value: string }[] = [];
  cur.pos = scan.labelsStart[i] as number;
  while (cur.pos < end) {
    varint32(b, end); // tag 0x0a
    const l = varint32(b, end);
    const le = cur.pos + l;
    let name = '';
    let value = '';
    while (cur.pos < le) {
      const t = varint32(b, le);
      if (t === 0x0a || t === 0x12) {
        const n = varint32(b, le);
        const s = b.toString('utf8', cur.pos, cur.pos + n);
        if (t === 0x0a) name = s;
        else value = s;
        cur.pos += n;
      } else skip(b, t & 7, le);
    }
    cur.pos = le;
    out.push({ name, value });
  }
  return out;
}
