/**
 * The lazy-batch source the otlp receiver hands the pipeline for OTLP protobuf metrics
 * (../lazy-metrics.ts): the scanned request bytes, plus the OTLP form of one point alone, for
 * consumers that cache per point identity what it becomes. The prometheusremotewrite exporter
 * transcodes from it without materialising (exporters/prometheus-remote-write/otlp-transcode.ts).
 */
import { createLazyMetrics, type MetricsSource, metricsSource } from '../lazy-metrics.js';
import { decodeRequest } from '../otlp-codec.js';
import type { MetricsData } from '../types.js';
import { MetricKind, type ScannedMetricsRequest, scanMetricsRequest } from './scan.js';

/** `MetricsSource.kind` of OTLP protobuf metrics batches. */
export const OTLP_METRICS_SOURCE_KIND = 'otlp-metrics';

/** An OTLP metrics request carried unmaterialised. */
export interface OtlpMetricsSource extends MetricsSource {
  readonly kind: typeof OTLP_METRICS_SOURCE_KIND;
  readonly scan: ScannedMetricsRequest;
}

/** The OTLP metrics source of a batch nobody has materialised yet, else undefined. */
export function otlpMetricsSource(data: MetricsData): OtlpMetricsSource | undefined {
  const source = metricsSource(data);
  return source?.kind === OTLP_METRICS_SOURCE_KIND ? (source as OtlpMetricsSource) : undefined;
}

/** A lazy batch over a scanned request. */
export function lazyOtlpMetrics(scan: ScannedMetricsRequest): MetricsData {
  const source: OtlpMetricsSource = {
    kind: OTLP_METRICS_SOURCE_KIND,
    points: scan.points,
    scan,
    materialise: () => decodeRequest('metrics', scan.bytes, 'protobuf'),
  };
  return createLazyMetrics(source);
}

/**
 * Decodes an OTLP/protobuf ExportMetricsServiceRequest: a lazy batch when the scan takes it
 * (./scan.ts), else the full decode (which throws STITCH_ERR_DECODE for malformed input).
 */
export function decodeMetricsProtobuf(body: Uint8Array): MetricsData {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const scan = scanMetricsRequest(bytes);
  if (scan) return lazyOtlpMetrics(scan);
  return decodeRequest('metrics', bytes, 'protobuf');
}

// ---- shapes: one point alone, rebuilt as protobuf bytes and decoded by the ordinary codec ----

/** Bytes of a uint32 varint. */
function varintLen(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function putVarint(b: Buffer, p: number, n: number): number {
  while (n > 0x7f) {
    b[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[p++] = n;
  return p;
}

/** A length-delimited field `tag` holding `parts` (Buffers) in order. */
function field(tag: number, ...parts: Buffer[]): Buffer {
  let n = 0;
  for (const x of parts) n += x.length;
  const out = Buffer.allocUnsafe(1 + varintLen(n) + n);
  out[0] = tag;
  let p = putVarint(out, 1, n);
  for (const x of parts) {
    x.copy(out, p);
    p += x.length;
  }
  return out;
}

/** A fixed64 / double field (wire type 1) of 8 given bytes. */
function fixed64(tag: number, bytes: Buffer): Buffer {
  const out = Buffer.alloc(9);
  out[0] = tag;
  bytes.copy(out, 1);
  return out;
}

/** time_unix_nano of every shape: 1 ms, so the point counts as touched (target_info) with ms 1. */
const ONE_MS = Buffer.from([0x40, 0x42, 0x0f, 0, 0, 0, 0, 0]);
const ZERO8 = Buffer.alloc(8);

/**
 * The request holding resource `r` alone with point `p` of metric `m` alone: same resource,
 * metric name, unit, kind, temporality and monotonicity, same attribute bytes (and for
 * histograms the same bounds, bucket count and sum presence), at 1 ms with zero values and no
 * flags. What a translator makes of it is what it makes of that point's labels in any batch.
 */
export function pointShape(scan: ScannedMetricsRequest, r: number, m: number, p: number): MetricsData {
  const b = scan.bytes;
  const kind = scan.metricKind[m] as MetricKind;
  const attrs = b.subarray(scan.attrStart[p] as number, scan.attrEnd[p] as number);
  let point: Buffer;
  if (kind === MetricKind.Histogram) {
    const bounds = b.subarray(scan.boundsStart[p] as number, scan.boundsEnd[p] as number);
    const nBuckets = scan.bucketCount[p] as number;
    const parts = [attrs, fixed64(0x19, ONE_MS), fixed64(0x21, ZERO8)];
    if ((scan.sumAt[p] as number) >= 0) parts.push(fixed64(0x29, ZERO8));
    parts.push(field(0x32, Buffer.alloc(8 * nBuckets)), bounds);
    point = field(0x0a, ...parts);
  } else {
    point = field(0x0a, attrs, fixed64(0x19, ONE_MS), fixed64(0x21, ZERO8));
  }
  return shape(scan, r, m, point);
}

/** The request holding resource `r` alone with one gauge point (no attributes) at 1 ms: its target_info. */
export function resourceShape(scan: ScannedMetricsRequest, r: number): MetricsData {
  const point = field(0x0a, fixed64(0x19, ONE_MS), fixed64(0x21, ZERO8));
  const metric = field(0x12, field(0x0a, Buffer.from('stitch_probe')), field(0x2a, point));
  return decode(scan, r, metric);
}

function shape(scan: ScannedMetricsRequest, r: number, m: number, point: Buffer): MetricsData {
  const b = scan.bytes;
  const kind = scan.metricKind[m] as MetricKind;
  const dataParts = [point];
  if (kind !== MetricKind.Gauge) {
    dataParts.push(Buffer.from([0x10]), encodeVarint(scan.metricTemporality[m] as number));
    if (kind === MetricKind.Sum && scan.metricMonotonic[m] === 1) dataParts.push(Buffer.from([0x18, 1]));
  }
  const dataTag = kind === MetricKind.Gauge ? 0x2a : kind === MetricKind.Sum ? 0x3a : 0x4a;
  const metric = field(
    0x12,
    field(0x0a, b.subarray(scan.nameStart[m] as number, scan.nameEnd[m] as number)),
    field(0x1a, b.subarray(scan.unitStart[m] as number, scan.unitEnd[m] as number)),
    field(dataTag, ...dataParts),
  );
  return decode(scan, r, metric);
}

function encodeVarint(n: number): Buffer {
  const out = Buffer.alloc(varintLen(n));
  putVarint(out, 0, n);
  return out;
}

function decode(scan: ScannedMetricsRequest, r: number, metric: Buffer): MetricsData {
  const resource = field(0x0a, scan.bytes.subarray(scan.resStart[r] as number, scan.resEnd[r] as number));
  const request = field(0x0a, resource, field(0x12, metric));
  return decodeRequest('metrics', request, 'protobuf');
}
