import { describe, expect, it } from 'vitest';
import { EncodeArena } from '../../internal/encode-arena.js';
import { seededPicker as rng } from '../../testing/random.js';
import { decodeWriteRequest, WRITE_REQUEST_TYPE } from './decode.js';
import { encodedSeriesSize, encodeWriteRequest, encodeWriteRequests } from './encode.js';
import { compressBodySync, decompressBody, decompressBodySync, snappyDeclaredLength } from './snappy.js';
import {
  isStaleNaN,
  type Label,
  MetricType,
  type NativeHistogram,
  ResetHint,
  STALE_NAN,
  type TimeSeries,
  type WriteRequest,
} from './types.js';

const ALPHABETS = ['abcdefghijklmnopqrstuvwxyz_', 'ÄÖÜßé€', '日本語', '😀🚀', 'x'];

function randomString(r: ReturnType<typeof rng>, max: number): string {
  const alphabet = Array.from(r.pick(ALPHABETS));
  const n = r.int(0, max);
  let s = '';
  for (let i = 0; i < n; i++) s += r.pick(alphabet);
  return s;
}

function randomLabels(r: ReturnType<typeof rng>, n: number): Label[] {
  const out: Label[] = [];
  for (let i = 0; i < n; i++) out.push({ name: randomString(r, 12), value: randomString(r, 200) });
  return out;
}

const SPECIAL = [0, -0, 1, -1.5, Number.MAX_VALUE, Number.MIN_VALUE, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
const TIMESTAMPS = [0, 1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 1_700_000_000_000, Number.MAX_SAFE_INTEGER, -1, -1_000];

function randomValue(r: ReturnType<typeof rng>): number {
  return r.next() < 0.3 ? r.pick(SPECIAL) : (r.next() - 0.5) * 10 ** r.int(-5, 12);
}

function randomTimestamp(r: ReturnType<typeof rng>): number {
  return r.next() < 0.3 ? r.pick(TIMESTAMPS) : r.int(0, 2 ** 45);
}

function randomHistogram(r: ReturnType<typeof rng>): NativeHistogram {
  const isFloat = r.next() < 0.3;
  const spans = () => Array.from({ length: r.int(0, 3) }, () => ({ offset: r.int(-300, 300), length: r.int(0, 20) }));
  const deltas = () => Array.from({ length: isFloat ? 0 : r.int(0, 30) }, () => r.int(-(2 ** 40), 2 ** 40));
  const counts = () => Array.from({ length: isFloat ? r.int(0, 30) : 0 }, () => r.next() * 1000);
  return {
    isFloat,
    count: isFloat ? r.next() * 1e6 : r.int(0, 2 ** 50),
    zeroCount: isFloat ? r.next() * 10 : r.int(0, 1000),
    sum: randomValue(r),
    schema: r.int(-4, 8),
    zeroThreshold: r.pick([0, 1e-128, 0.001]),
    negativeSpans: spans(),
    negativeDeltas: deltas(),
    negativeCounts: counts(),
    positiveSpans: spans(),
    positiveDeltas: deltas(),
    positiveCounts: counts(),
    resetHint: r.pick([ResetHint.UNKNOWN, ResetHint.YES, ResetHint.NO, ResetHint.GAUGE]),
    timestamp: randomTimestamp(r),
  };
}

function randomRequest(seed: number): WriteRequest {
  const r = rng(seed);
  const timeseries: TimeSeries[] = [];
  for (let i = r.int(0, 20); i > 0; i--) {
    timeseries.push({
      labels: randomLabels(r, r.int(0, 8)),
      samples: Array.from({ length: r.int(0, 10) }, () => ({ value: randomValue(r), timestamp: randomTimestamp(r) })),
      exemplars: Array.from({ length: r.int(0, 3) }, () => ({
        labels: randomLabels(r, r.int(0, 3)),
        value: randomValue(r),
        timestamp: randomTimestamp(r),
      })),
      histograms: Array.from({ length: r.int(0, 2) }, () => randomHistogram(r)),
    });
  }
  const metadata = Array.from({ length: r.int(0, 3) }, () => ({
    type: r.pick([MetricType.UNKNOWN, MetricType.COUNTER, MetricType.HISTOGRAM, MetricType.STATESET]),
    metricFamilyName: randomString(r, 20),
    help: randomString(r, 300),
    unit: randomString(r, 5),
  }));
  return { timeseries, metadata };
}

/** Our NativeHistogram folds the proto oneofs into `count`/`zeroCount` + `isFloat`; unfold them. */
function toProtobufjsShape(request: WriteRequest): object {
  return {
    ...request,
    timeseries: request.timeseries.map((ts) => ({
      ...ts,
      histograms: ts.histograms.map(({ isFloat, count, zeroCount, ...h }) =>
        isFloat ? { ...h, countFloat: count, zeroCountFloat: zeroCount } : { ...h, countInt: count, zeroCountInt: zeroCount },
      ),
    })),
  };
}

describe('remote-write encoder', () => {
  it('round-trips random requests through the protobufjs decoder of the same schema', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const request = randomRequest(seed);
      const bytes = encodeWriteRequest(request);
      expect(WRITE_REQUEST_TYPE.verify(WRITE_REQUEST_TYPE.decode(bytes)), `seed ${seed}`).toBeNull();
      expect(decodeWriteRequest(bytes), `seed ${seed}`).toEqual(request);
    }
  });

  it('decodes to the same message protobufjs itself encodes', () => {
    for (let seed = 1000; seed < 1050; seed++) {
      const request = randomRequest(seed);
      const viaProtobufjs = WRITE_REQUEST_TYPE.encode(WRITE_REQUEST_TYPE.fromObject(toProtobufjsShape(request))).finish();
      expect(decodeWriteRequest(encodeWriteRequest(request)), `seed ${seed}`).toEqual(decodeWriteRequest(viaProtobufjs));
    }
  });

  it('keeps the staleness marker bit-exact and writes other NaNs as Prometheus NormalNaN', () => {
    const bytes = encodeWriteRequest({
      timeseries: [
        {
          labels: [{ name: '__name__', value: 'up' }],
          samples: [
            { value: STALE_NAN, timestamp: 1 },
            { value: Number.NaN, timestamp: 2 },
          ],
          exemplars: [],
          histograms: [],
        },
      ],
      metadata: [],
    });
    const hex = Buffer.from(bytes).toString('hex');
    expect(hex).toContain('020000000000f07f'); // 0x7ff0000000000002 little-endian
    expect(hex).toContain('010000000000f87f'); // 0x7ff8000000000001
    const [stale, normal] = decodeWriteRequest(bytes).timeseries[0]!.samples;
    expect(isStaleNaN(stale!.value)).toBe(true);
    expect(Number.isNaN(normal!.value) && !isStaleNaN(normal!.value)).toBe(true);
  });

  it('splits series across requests by encoded size, in order, never splitting a series', () => {
    const request = randomRequest(7);
    while (request.timeseries.length < 15) request.timeseries.push(...randomRequest(request.timeseries.length + 50).timeseries);
    const sizes = request.timeseries.map(encodedSeriesSize);
    const max = Math.max(...sizes) + 10;
    const requests = encodeWriteRequests(request.timeseries, request.metadata, max);
    const bodies = requests.map((r) => r.body);
    const decoded = bodies.map(decodeWriteRequest);
    for (const [i, r] of requests.entries()) expect(decoded[i]!.timeseries).toEqual(request.timeseries.slice(r.from, r.to));
    expect(decoded.flatMap((d) => d.timeseries)).toEqual(request.timeseries);
    for (let i = 0; i < bodies.length - (request.metadata.length > 0 ? 1 : 0); i++) {
      expect(bodies[i]!.length <= max || decoded[i]!.timeseries.length === 1).toBe(true);
    }
    if (request.metadata.length > 0) expect(decoded.at(-1)!.metadata).toEqual(request.metadata);
    expect(bodies.length).toBeGreaterThan(1);
  });

  it('writes the same bodies into a reused arena, valid until the next encode', () => {
    const arena = new EncodeArena(64 * 1024);
    const a = randomRequest(11);
    const b = randomRequest(12);
    const own = encodeWriteRequests(a.timeseries, a.metadata, 2000).map((r) => Buffer.from(r.body));
    const inArena = encodeWriteRequests(a.timeseries, a.metadata, 2000, arena.start());
    expect(inArena.map((r) => Buffer.from(r.body))).toEqual(own);
    // The next encode reuses the memory: the caller must have consumed (compressed) the bodies.
    const first = inArena[0]!.body;
    const before = Buffer.from(first);
    encodeWriteRequests(b.timeseries, b.metadata, 2000, arena.start());
    expect(first.buffer).toBe(inArena[0]!.body.buffer);
    expect(Buffer.compare(first, before) !== 0 || a.timeseries.length === 0).toBe(true);
    // A body above the arena's bound gets memory of its own: a later encode leaves it intact.
    const small = new EncodeArena(16);
    const big = encodeWriteRequests(a.timeseries, [], 1 << 30, small.start())[0]!.body;
    const kept = Buffer.from(big);
    encodeWriteRequests(b.timeseries, [], 1 << 30, small.start());
    expect(Buffer.from(big)).toEqual(kept);
    expect(kept).toEqual(encodeWriteRequests(a.timeseries, [], 1 << 30)[0]!.body);
  });
});

describe('remote-write snappy bodies', () => {
  it('compresses and inflates, rejecting a body that declares more than the limit', async () => {
    const body = encodeWriteRequest(randomRequest(3));
    const compressed = compressBodySync(body);
    expect(snappyDeclaredLength(compressed)).toBe(body.length);
    expect(Buffer.compare(await decompressBody(compressed, body.length), body)).toBe(0);
    await expect(decompressBody(compressed, body.length - 1)).rejects.toMatchObject({ code: 'STITCH_ERR_BODY_TOO_LARGE' });
    await expect(decompressBody(Buffer.from('not snappy at all'), 1 << 20)).rejects.toMatchObject({
      code: 'STITCH_ERR_DECODE',
    });
  });

  it('inflates synchronously with the same limits and errors', () => {
    const body = encodeWriteRequest(randomRequest(4));
    const compressed = compressBodySync(body);
    expect(Buffer.compare(decompressBodySync(compressed, body.length), body)).toBe(0);
    expect(() => decompressBodySync(compressed, body.length - 1)).toThrow(
      expect.objectContaining({ code: 'STITCH_ERR_BODY_TOO_LARGE' }),
    );
    expect(() => decompressBodySync(Buffer.from('not snappy at all'), 1 << 20)).toThrow(
      expect.objectContaining({ code: 'STITCH_ERR_DECODE' }),
    );
  });
});
