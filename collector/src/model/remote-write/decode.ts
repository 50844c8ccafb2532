/**
 * Decoding `prometheus.WriteRequest` bodies with protobufjs (the schema in
 * collector/proto/prometheus/remote.proto, loaded by ../proto-root.ts), converted to the plain
 * shapes of ./types.ts (Long timestamps become numbers). The receiver and the strict test
 * receiver both decode through here; the encoder is tested against it.
 */
import type Long from 'long';
import { errors } from '../../errors.js';
import { messageType } from '../proto-root.js';
import type { BucketSpan, Exemplar, Label, MetricMetadata, NativeHistogram, Sample, TimeSeries, WriteRequest } from './types.js';

/** The protobufjs type of the remote-write 1.0 request. */
export const WRITE_REQUEST_TYPE = messageType('prometheus.WriteRequest');

type Int64 = Long | number;

interface RawHistogram {
  countInt?: Int64 | null;
  countFloat?: number | null;
  sum?: number;
  schema?: number;
  zeroThreshold?: number;
  zeroCountInt?: Int64 | null;
  zeroCountFloat?: number | null;
  negativeSpans?: BucketSpan[];
  negativeDeltas?: Int64[];
  negativeCounts?: number[];
  positiveSpans?: BucketSpan[];
  positiveDeltas?: Int64[];
  positiveCounts?: number[];
  resetHint?: number;
  timestamp?: Int64;
}

interface RawSeries {
  labels?: Label[];
  samples?: { value?: number; timestamp?: Int64 }[];
  exemplars?: { labels?: Label[]; value?: number; timestamp?: Int64 }[];
  histograms?: RawHistogram[];
}

interface RawRequest {
  timeseries?: RawSeries[];
  metadata?: { type?: number; metricFamilyName?: string; help?: string; unit?: string }[];
}

function num(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

function labels(raw: Label[] | undefined): Label[] {
  if (!raw) return [];
  const out = new Array<Label>(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = { name: raw[i].name ?? '', value: raw[i].value ?? '' };
  return out;
}

function has(o: object, field: string): boolean {
  return Object.hasOwn(o, field) && (o as Record<string, unknown>)[field] != null;
}

function histogram(h: RawHistogram): NativeHistogram {
  const isFloat = has(h, 'countFloat');
  return {
    isFloat,
    count: isFloat ? (h.countFloat as number) : num(h.countInt),
    zeroCount: has(h, 'zeroCountFloat') ? (h.zeroCountFloat as number) : num(h.zeroCountInt),
    sum: h.sum ?? 0,
    schema: h.schema ?? 0,
    zeroThreshold: h.zeroThreshold ?? 0,
    negativeSpans: (h.negativeSpans ?? []).map((s) => ({ offset: s.offset ?? 0, length: s.length ?? 0 })),
    negativeDeltas: (h.negativeDeltas ?? []).map(num),
    negativeCounts: h.negativeCounts ?? [],
    positiveSpans: (h.positiveSpans ?? []).map((s) => ({ offset: s.offset ?? 0, length: s.length ?? 0 })),
    positiveDeltas: (h.positiveDeltas ?? []).map(num),
    positiveCounts: h.positiveCounts ?? [],
    resetHint: h.resetHint ?? 0,
    timestamp: num(h.timestamp),
  };
}

/**
 * Decodes an uncompressed WriteRequest. Throws STITCH_ERR_DECODE (kind `input`) when the bytes
 * are not a valid message, so receivers answer 400.
 */
export function decodeWriteRequest(body: Uint8Array): WriteRequest {
  let raw: RawRequest;
  try {
    raw = WRITE_REQUEST_TYPE.decode(body) as unknown as RawRequest;
  } catch (err) {
    throw errors.STITCH_ERR_DECODE(['remote-write protobuf WriteRequest', (err as Error).message], { cause: err });
  }
  const rawSeries = raw.timeseries ?? [];
  const timeseries = new Array<TimeSeries>(rawSeries.length);
  for (let i = 0; i < rawSeries.length; i++) {
    const s = rawSeries[i];
    const rs = s.samples ?? [];
    const samples = new Array<Sample>(rs.length);
    for (let j = 0; j < rs.length; j++) samples[j] = { value: rs[j].value ?? 0, timestamp: num(rs[j].timestamp) };
    const re = s.exemplars ?? [];
    const exemplars = new Array<Exemplar>(re.length);
    for (let j = 0; j < re.length; j++) {
      exemplars[j] = { labels: labels(re[j].labels), value: re[j].value ?? 0, timestamp: num(re[j].timestamp) };
    }
    timeseries[i] = { labels: labels(s.labels), samples, exemplars, histograms: (s.histograms ?? []).map(histogram) };
  }
  const metadata: MetricMetadata[] = (raw.metadata ?? []).map((m) => ({
    type: m.type ?? 0,
    metricFamilyName: m.metricFamilyName ?? '',
    help: m.help ?? '',
    unit: m.unit ?? '',
  }));
  return { timeseries, metadata };
}
