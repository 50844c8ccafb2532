/**
 * Merging scanned remote-write requests without scanning again. A WriteRequest's series are a
 * repeated field (`timeseries = 1`), and the scan takes only requests of series, so the
 * concatenation of the encoded requests is the encoded merged request: the bytes are concatenated
 * and the scans' offsets shifted. Written by hand: the scan format is ours (./scan.ts).
 */
import type { MetricsData } from '../types.js';
import type { ScannedWriteRequest } from './scan.js';
import { REMOTE_WRITE_SOURCE_KIND, type RemoteWriteSource } from './source.js';

/** The scan of the concatenated requests, in order (one scan is returned as is). */
export function concatWriteScans(scans: readonly ScannedWriteRequest[]): ScannedWriteRequest {
  if (scans.length === 1) return scans[0] as ScannedWriteRequest;
  let S = 0;
  let N = 0;
  for (const x of scans) {
    S += x.seriesCount;
    N += x.samples;
  }
  const labelsStart = new Int32Array(S);
  const labelsEnd = new Int32Array(S);
  const sampleStart = new Int32Array(S + 1);
  const sampleTs = new Float64Array(N);
  const sampleValue = new Int32Array(N);
  let b = 0;
  let s = 0;
  let n = 0;
  for (const x of scans) {
    for (let i = 0; i < x.seriesCount; i++) {
      labelsStart[s + i] = (x.labelsStart[i] as number) + b;
      labelsEnd[s + i] = (x.labelsEnd[i] as number) + b;
      sampleStart[s + i] = (x.sampleStart[i] as number) + n;
    }
    sampleTs.set(x.sampleTs, n);
    for (let k = 0; k < x.samples; k++) {
      const v = x.sampleValue[k] as number;
      sampleValue[n + k] = v >= 0 ? v + b : v;
    }
    b += x.bytes.length;
    s += x.seriesCount;
    n += x.samples;
  }
  sampleStart[S] = N;
  return {
    bytes: Buffer.concat(scans.map((x) => x.bytes)),
    seriesCount: S,
    labelsStart,
    labelsEnd,
    sampleStart,
    sampleTs,
    sampleValue,
    samples: N,
  };
}

/**
 * One remote-write source over several, in order: its scan is the concatenation, its OTLP form
 * the parts' OTLP forms one after the other (what merging the materialised batches gives), and a
 * series' shape is asked of the part it came from. The parts are rebased onto views of the
 * concatenated bytes, so a merged batch holds its bytes once (it held every part's copy too:
 * ~2× the memory of a queue of merged batches behind `batch`).
 */
export function concatRemoteWriteSources(parts: readonly RemoteWriteSource[]): RemoteWriteSource {
  if (parts.length === 1) return parts[0] as RemoteWriteSource;
  const scan = concatWriteScans(parts.map((p) => p.scan));
  return mergedSource(rebase(parts, scan.bytes), scan);
}

/** `parts` over consecutive views of `bytes` (their concatenation's content). */
function rebase(parts: readonly RemoteWriteSource[], bytes: Buffer): RemoteWriteSource[] {
  let at = 0;
  return parts.map((p) => {
    const n = p.scan.bytes.length;
    const view = bytes.subarray(at, at + n);
    at += n;
    return p.withBytes(view);
  });
}

/** The merged source of `parts` (already over views of `scan.bytes`) with their merged `scan`. */
function mergedSource(parts: readonly RemoteWriteSource[], scan: ScannedWriteRequest): RemoteWriteSource {
  const firstSeries = new Int32Array(parts.length);
  let points = 0;
  let s = 0;
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j] as RemoteWriteSource;
    firstSeries[j] = s;
    s += part.scan.seriesCount;
    points += part.points;
  }
  const source: RemoteWriteSource = {
    kind: REMOTE_WRITE_SOURCE_KIND,
    points,
    scan,
    materialise(): MetricsData {
      return { resourceMetrics: parts.flatMap((p) => p.materialise().resourceMetrics) };
    },
    seriesShape(i: number): MetricsData {
      let j = parts.length - 1;
      while (j > 0 && (firstSeries[j] as number) > i) j--;
      return (parts[j] as RemoteWriteSource).seriesShape(i - (firstSeries[j] as number));
    },
    withBytes(other: Buffer): RemoteWriteSource {
      return mergedSource(rebase(parts, other), { ...scan, bytes: other });
    },
  };
  return source;
}
