/**
 * Merging and cutting scanned OTLP metrics requests without decoding them again.
 *
 * An ExportMetricsServiceRequest is one repeated field (`resource_metrics = 1`), so the
 * concatenation of encoded requests is itself the encoded merged request (protobuf merges repeated
 * fields by appending). `concatMetricsScans` therefore concatenates the bytes and shifts every
 * offset and index of the scans; `splitMetricsScan` cuts at a ResourceMetrics boundary and
 * rescans the two pieces (rare: only configs with send_batch_max_size split). Written by hand: the
 * scan format is ours (./scan.ts).
 */
import { type ScannedMetricsRequest, scanMetricsRequest } from './scan.js';

/** Byte offsets of a scan that are -1 when absent: shifted only when present. */
function shiftPresent(out: Int32Array, at: number, src: Int32Array, by: number): void {
  for (let i = 0; i < src.length; i++) {
    const v = src[i] as number;
    out[at + i] = v >= 0 ? v + by : v;
  }
}

/** A byte range pair (start === end meaning none): shifted only when non-empty, so "none" stays 0..0. */
function shiftRange(outS: Int32Array, outE: Int32Array, at: number, s: Int32Array, e: Int32Array, by: number): void {
  for (let i = 0; i < s.length; i++) {
    const a = s[i] as number;
    const b = e[i] as number;
    if (b > a) {
      outS[at + i] = a + by;
      outE[at + i] = b + by;
    } else {
      outS[at + i] = a;
      outE[at + i] = b;
    }
  }
}

function shiftAll(out: Int32Array, at: number, src: Int32Array, by: number): void {
  for (let i = 0; i < src.length; i++) out[at + i] = (src[i] as number) + by;
}

/**
 * The scan of the concatenation of the scanned requests, in order: what `scanMetricsRequest`
 * gives for `Buffer.concat(scans.map((s) => s.bytes))`, without scanning again. One scan is
 * returned as is.
 */
export function concatMetricsScans(scans: readonly ScannedMetricsRequest[]): ScannedMetricsRequest {
  if (scans.length === 1) return scans[0] as ScannedMetricsRequest;
  let R = 0;
  let M = 0;
  let P = 0;
  for (const x of scans) {
    R += x.resourceCount;
    M += x.metricCount;
    P += x.points;
  }
  const bytes = Buffer.concat(scans.map((x) => x.bytes));
  const out = {
    bytes,
    points: P,
    resourceCount: R,
    resStart: new Int32Array(R),
    resEnd: new Int32Array(R),
    resMetricEnd: new Int32Array(R),
    metricCount: M,
    metricKind: new Uint8Array(M),
    metricTemporality: new Int32Array(M),
    metricMonotonic: new Uint8Array(M),
    nameStart: new Int32Array(M),
    nameEnd: new Int32Array(M),
    unitStart: new Int32Array(M),
    unitEnd: new Int32Array(M),
    metricPointEnd: new Int32Array(M),
    attrStart: new Int32Array(P),
    attrEnd: new Int32Array(P),
    ms: new Float64Array(P),
    stale: new Uint8Array(P),
    valueAt: new Int32Array(P),
    intValue: new Float64Array(P),
    sumAt: new Int32Array(P),
    bucketsAt: new Int32Array(P),
    bucketCount: new Int32Array(P),
    boundsStart: new Int32Array(P),
    boundsEnd: new Int32Array(P),
  } satisfies ScannedMetricsRequest;
  let b = 0;
  let r = 0;
  let m = 0;
  let p = 0;
  for (const x of scans) {
    shiftRange(out.resStart, out.resEnd, r, x.resStart, x.resEnd, b);
    shiftAll(out.resMetricEnd, r, x.resMetricEnd, m);
    out.metricKind.set(x.metricKind, m);
    out.metricTemporality.set(x.metricTemporality, m);
    out.metricMonotonic.set(x.metricMonotonic, m);
    shiftAll(out.nameStart, m, x.nameStart, b);
    shiftAll(out.nameEnd, m, x.nameEnd, b);
    shiftAll(out.unitStart, m, x.unitStart, b);
    shiftAll(out.unitEnd, m, x.unitEnd, b);
    shiftAll(out.metricPointEnd, m, x.metricPointEnd, p);
    shiftRange(out.attrStart, out.attrEnd, p, x.attrStart, x.attrEnd, b);
    out.ms.set(x.ms, p);
    out.stale.set(x.stale, p);
    shiftPresent(out.valueAt, p, x.valueAt, b);
    out.intValue.set(x.intValue, p);
    shiftPresent(out.sumAt, p, x.sumAt, b);
    shiftPresent(out.bucketsAt, p, x.bucketsAt, b);
    out.bucketCount.set(x.bucketCount, p);
    shiftRange(out.boundsStart, out.boundsEnd, p, x.boundsStart, x.boundsEnd, b);
    b += x.bytes.length;
    r += x.resourceCount;
    m += x.metricCount;
    p += x.points;
  }
  return out;
}

/** Points of the first `k` resources of a scan. */
function pointsBefore(scan: ScannedMetricsRequest, k: number): number {
  if (k === 0) return 0;
  const lastMetric = (scan.resMetricEnd[k - 1] as number) - 1;
  return lastMetric < 0 ? 0 : (scan.metricPointEnd[lastMetric] as number);
}

/**
 * Cuts a scanned request after as many whole ResourceMetrics as hold at most `maxPoints` points
 * (at least one resource must fit, and something must be left): [head, rest] scans, or undefined
 * when no resource boundary fits (the caller splits the decoded form instead).
 */
export function splitMetricsScan(
  scan: ScannedMetricsRequest,
  maxPoints: number,
): [ScannedMetricsRequest, ScannedMetricsRequest] | undefined {
  let k = 0;
  while (k < scan.resourceCount && pointsBefore(scan, k + 1) <= maxPoints) k++;
  if (k === 0 || k === scan.resourceCount) return undefined;
  // The byte offset where ResourceMetrics entry k starts: walk the top-level fields (one tag and
  // one length each). The scan accepted the bytes, so every entry is well-formed.
  const b = scan.bytes;
  let pos = 0;
  let entry = 0;
  let cut = -1;
  while (pos < b.length) {
    const tag = b[pos++] as number;
    if (tag >= 0x80) return undefined; // a multi-byte (unknown) tag: leave it to the decoder
    if (tag === 0x0a && entry++ === k) {
      cut = pos - 1;
      break;
    }
    const wt = tag & 7;
    if (wt !== 2) return undefined; // unknown non-length field at the top: leave it to the decoder
    let len = 0;
    let mul = 1;
    for (;;) {
      const x = b[pos++] as number;
      len += (x & 0x7f) * mul;
      if (x < 0x80) break;
      mul *= 128;
    }
    pos += len;
  }
  if (cut < 0) return undefined;
  const head = scanMetricsRequest(b.subarray(0, cut));
  const rest = scanMetricsRequest(b.subarray(cut));
  if (!head || !rest) return undefined;
  return [head, rest];
}
