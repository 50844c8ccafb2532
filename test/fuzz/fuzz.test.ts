/**
 * Bounded, seeded fuzzing of the wire decoders and of the running receivers. Valid OTLP
 * (traces, metrics, logs; protobuf and JSON) and remote-write payloads are mutated with bit
 * flips, truncation, length-field corruption, byte insertion/deletion and slice duplication, a
 * fixed number of times from a fixed seed (so a failure reproduces). Properties:
 * - a decoder either returns data or throws the catalogue's STITCH_ERR_DECODE: never another
 *   exception type (a TypeError or RangeError escaping would be a crash in a receiver);
 * - what decodes can be counted and encoded again; a remote-write request the fast scanner
 *   accepts also decodes in full and translates (the receiver relies on that later);
 * - each decode takes < 1 s (no hang; typical < 5 ms) and the heap after all iterations is within 64 MiB of
 *   where it started (no unbounded allocation);
 * - a few hundred mutated requests to a running collector (OTLP/HTTP, OTLP/gRPC, remote-write)
 *   each get an answer, only 2xx/4xx (never 5xx, never a reset), and the collector stays up.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StitchError } from '../../collector/src/errors.js';
import { countItems } from '../../collector/src/model/count.js';
import { decodeRequest, encodeRequest, type OtlpEncoding } from '../../collector/src/model/otlp-codec.js';
import { decodeWriteRequest } from '../../collector/src/model/remote-write/decode.js';
import { encodeWriteRequest } from '../../collector/src/model/remote-write/encode.js';
import { scannedLabels, scanWriteRequest } from '../../collector/src/model/remote-write/scan.js';
import { compressBodySync, decompressBody } from '../../collector/src/model/remote-write/snappy.js';
import type { Signal } from '../../collector/src/model/types.js';
import { OTLP_GRPC_PATHS, rawUnaryMethod } from '../../collector/src/receivers/otlp/grpc.js';
import { createRemoteWriteToOtlp } from '../../collector/src/receivers/prometheus-remote-write/translate.js';
import { freePort } from '../../collector/src/testing/index.js';
import { post, type RunningCollector, seededRandom, startCollector, toProtobuf } from '../reliability/harness.js';

const SEED = 0x5717c4;
const ITERATIONS_PER_SEED = 3000;
const DECODE_BUDGET_MS = 1000;
const HEAP_BUDGET_BYTES = 64 * 1024 * 1024;

// ------------------------------------------------------------------ valid seeds

const attrs = [
  { key: 'http.route', value: { stringValue: '/cart/:id' } },
  { key: 'retry', value: { intValue: '3' } },
  { key: 'ok', value: { boolValue: true } },
  { key: 'ratio', value: { doubleValue: 0.5 } },
  { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }] } } },
  { key: 'nested', value: { kvlistValue: { values: [{ key: 'k', value: { bytesValue: 'AQID' } }] } } },
];
const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz' } }, ...attrs] };
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const T = '1700000000000000000';

const JSON_SEEDS: Record<Signal, string> = {
  traces: JSON.stringify({
    resourceSpans: [
      {
        resource,
        scopeSpans: [
          {
            scope: { name: 'fuzz', version: '1' },
            spans: [
              {
                traceId: TRACE,
                spanId: SPAN,
                parentSpanId: SPAN,
                name: 'GET /cart/:id',
                kind: 2,
                startTimeUnixNano: T,
                endTimeUnixNano: T,
                attributes: attrs,
                events: [{ timeUnixNano: T, name: 'exception', attributes: attrs }],
                links: [{ traceId: TRACE, spanId: SPAN }],
                status: { code: 2, message: 'boom' },
              },
            ],
          },
        ],
      },
    ],
  }),
  metrics: JSON.stringify({
    resourceMetrics: [
      {
        resource,
        scopeMetrics: [
          {
            scope: { name: 'fuzz' },
            metrics: [
              { name: 'g', unit: 's', gauge: { dataPoints: [{ timeUnixNano: T, asDouble: 1.5, attributes: attrs }] } },
              {
                name: 'c',
                sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ timeUnixNano: T, asInt: '7' }] },
              },
              {
                name: 'h',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      timeUnixNano: T,
                      count: '3',
                      sum: 2,
                      bucketCounts: ['1', '1', '1'],
                      explicitBounds: [0.1, 1],
                      exemplars: [{ timeUnixNano: T, asDouble: 0.2, traceId: TRACE, spanId: SPAN }],
                    },
                  ],
                },
              },
              {
                name: 'e',
                exponentialHistogram: {
                  aggregationTemporality: 2,
                  dataPoints: [{ timeUnixNano: T, count: '2', scale: 3, positive: { offset: -1, bucketCounts: ['1', '1'] } }],
                },
              },
            ],
          },
        ],
      },
    ],
  }),
  logs: JSON.stringify({
    resourceLogs: [
      {
        resource,
        scopeLogs: [
          {
            scope: { name: 'fuzz' },
            logRecords: [
              {
                timeUnixNano: T,
                severityNumber: 17,
                severityText: 'ERROR',
                body: { kvlistValue: { values: [{ key: 'msg', value: { stringValue: 'payment failed' } }] } },
                attributes: attrs,
                traceId: TRACE,
                spanId: SPAN,
              },
            ],
          },
        ],
      },
    ],
  }),
};
const SIGNALS: Signal[] = ['traces', 'metrics', 'logs'];
const PB_SEEDS = Object.fromEntries(SIGNALS.map((s) => [s, Buffer.from(toProtobuf(s, JSON_SEEDS[s]))])) as Record<Signal, Buffer>;

const RW_SEED = encodeWriteRequest({
  timeseries: [
    {
      labels: [
        { name: '__name__', value: 'http_requests_total' },
        { name: 'job', value: 'shop/checkout' },
        { name: 'route', value: '/cart/:id' },
      ],
      samples: [
        { value: 1, timestamp: 1_700_000_000_000 },
        { value: 2, timestamp: 1_700_000_001_000 },
      ],
      exemplars: [],
      histograms: [],
    },
    {
      labels: [
        { name: '__name__', value: 'latency_seconds' },
        { name: 'job', value: 'x' },
      ],
      samples: [{ value: 0.25, timestamp: 1_700_000_000_000 }],
      exemplars: [{ labels: [{ name: 'trace_id', value: TRACE }], value: 0.25, timestamp: 1_700_000_000_000 }],
      histograms: [],
    },
  ],
  metadata: [],
});

// ------------------------------------------------------------------ mutators

type Mutator = (b: Buffer, rnd: () => number) => Buffer;
const pick = (rnd: () => number, n: number) => Math.floor(rnd() * n);

const MUTATORS: Record<string, Mutator> = {
  bitflip: (b, rnd) => {
    const out = Buffer.from(b);
    for (let i = 1 + pick(rnd, 8); i > 0 && out.length > 0; i--) {
      const at = pick(rnd, out.length);
      out[at] = (out[at] as number) ^ (1 << pick(rnd, 8));
    }
    return out;
  },
  truncate: (b, rnd) => b.subarray(0, pick(rnd, b.length)),
  // Overwrite a byte with a varint that claims a huge or off-by-some length.
  length: (b, rnd) => {
    if (b.length === 0) return b;
    const at = pick(rnd, b.length);
    const choices = [[0xff, 0xff, 0xff, 0xff, 0x0f], [0x7f], [0x80, 0x01], [0x00], [(b[at] as number) + 1]];
    const v = choices[pick(rnd, choices.length)] as number[];
    return Buffer.concat([b.subarray(0, at), Buffer.from(v.map((x) => x & 0xff)), b.subarray(at + 1)]);
  },
  insert: (b, rnd) => {
    const at = pick(rnd, b.length + 1);
    const junk = Buffer.from(Array.from({ length: 1 + pick(rnd, 6) }, () => pick(rnd, 256)));
    return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
  },
  remove: (b, rnd) => {
    const at = pick(rnd, b.length);
    return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + pick(rnd, 4))]);
  },
  duplicate: (b, rnd) => {
    const from = pick(rnd, b.length);
    const to = from + pick(rnd, Math.min(64, b.length - from) + 1);
    const at = pick(rnd, b.length + 1);
    return Buffer.concat([b.subarray(0, at), b.subarray(from, to), b.subarray(at)]);
  },
};
const MUTATOR_NAMES = Object.keys(MUTATORS);

/** `count` mutants of `seed` (mostly one mutation, a fifth 2–3 stacked), reproducible from `prngSeed`. */
function* mutants(seed: Buffer, count: number, prngSeed: number): Generator<{ bytes: Buffer; how: string }> {
  const rnd = seededRandom(prngSeed);
  for (let i = 0; i < count; i++) {
    let bytes = seed;
    const how: string[] = [];
    for (let n = rnd() < 0.8 ? 1 : 2 + pick(rnd, 2); n > 0; n--) {
      const name = MUTATOR_NAMES[pick(rnd, MUTATOR_NAMES.length)] as string;
      bytes = (MUTATORS[name] as Mutator)(bytes, rnd);
      how.push(name);
    }
    yield { bytes, how: `#${i} ${how.join('+')}` };
  }
}

// ------------------------------------------------------------------ helpers

/** A full GC when the runtime allows it (vitest forks run without --expose-gc). */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

interface Tally {
  ok: number;
  rejected: number;
  slowestMs: number;
}

/** Runs `fn`; it must return or throw STITCH_ERR_DECODE, within the time budget. */
function check(t: Tally, what: string, fn: () => void): void {
  const t0 = performance.now();
  try {
    fn();
    t.ok++;
  } catch (err) {
    if (!(err instanceof StitchError) || err.code !== 'STITCH_ERR_DECODE') {
      throw new Error(`${what}: escaped as ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`, { cause: err });
    }
    t.rejected++;
  }
  const ms = performance.now() - t0;
  t.slowestMs = Math.max(t.slowestMs, ms);
  expect(ms, `${what} took ${ms.toFixed(0)} ms`).toBeLessThan(DECODE_BUDGET_MS);
}

// ------------------------------------------------------------------ decoders directly

describe('fuzz: decoders', () => {
  it.each(SIGNALS)('OTLP protobuf %s: decode, count and re-encode mutants', (signal) => {
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const t: Tally = { ok: 0, rejected: 0, slowestMs: 0 };
    for (const { bytes, how } of mutants(PB_SEEDS[signal], ITERATIONS_PER_SEED, SEED + signal.length)) {
      check(t, `${signal} protobuf ${how}`, () => {
        const data = decodeRequest(signal, bytes, 'protobuf');
        countItems(signal, data);
        encodeRequest(signal, data, 'protobuf');
        encodeRequest(signal, data, 'json');
      });
    }
    gc();
    const grew = process.memoryUsage().heapUsed - heap0;
    console.log(
      `fuzz ${signal} protobuf: ${ITERATIONS_PER_SEED} mutants, ${t.ok} decoded, ${t.rejected} rejected, slowest ${t.slowestMs.toFixed(1)} ms, heap ${(grew / 1048576).toFixed(1)} MiB`,
    );
    expect(t.rejected).toBeGreaterThan(0); // the mutators do break things
    expect(grew).toBeLessThan(HEAP_BUDGET_BYTES);
  });

  it.each(SIGNALS)('OTLP JSON %s: decode and re-encode mutants', (signal) => {
    const t: Tally = { ok: 0, rejected: 0, slowestMs: 0 };
    for (const { bytes, how } of mutants(Buffer.from(JSON_SEEDS[signal]), ITERATIONS_PER_SEED, SEED * 3 + signal.length)) {
      check(t, `${signal} JSON ${how}`, () => {
        const data = decodeRequest(signal, bytes, 'json' as OtlpEncoding);
        countItems(signal, data);
        encodeRequest(signal, data, 'protobuf');
      });
    }
    console.log(
      `fuzz ${signal} JSON: ${ITERATIONS_PER_SEED} mutants, ${t.ok} decoded, ${t.rejected} rejected, slowest ${t.slowestMs.toFixed(1)} ms`,
    );
    expect(t.rejected).toBeGreaterThan(0);
  });

  it('remote-write: scan, decode, translate and snappy mutants', async () => {
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const translator = createRemoteWriteToOtlp();
    const t: Tally = { ok: 0, rejected: 0, slowestMs: 0 };
    let scanned = 0;
    for (const { bytes, how } of mutants(RW_SEED, ITERATIONS_PER_SEED * 2, SEED + 7)) {
      check(t, `remote-write ${how}`, () => {
        const scan = scanWriteRequest(bytes);
        if (scan) {
          // The receiver trusts the scanner and decodes later, off the request: it must agree.
          scanned++;
          for (let i = 0; i < scan.seriesCount; i++) scannedLabels(scan, i);
          translator.translate(decodeWriteRequest(scan.bytes));
          return;
        }
        translator.translate(decodeWriteRequest(bytes));
      });
    }
    // Snappy framing: mutated compressed bodies must be refused (or inflate within the limit).
    let snappyRejected = 0;
    for (const { bytes } of mutants(compressBodySync(RW_SEED), ITERATIONS_PER_SEED, SEED + 11)) {
      const t0 = performance.now();
      try {
        const raw = await decompressBody(bytes, 1024 * 1024);
        expect(raw.length).toBeLessThanOrEqual(1024 * 1024);
      } catch (err) {
        expect(err).toBeInstanceOf(StitchError);
        snappyRejected++;
      }
      expect(performance.now() - t0).toBeLessThan(DECODE_BUDGET_MS);
    }
    gc();
    const grew = process.memoryUsage().heapUsed - heap0;
    console.log(
      `fuzz remote-write: ${ITERATIONS_PER_SEED * 2} mutants, ${t.ok} decoded (${scanned} via the scanner), ${t.rejected} rejected; snappy ${snappyRejected}/${ITERATIONS_PER_SEED} rejected; slowest ${t.slowestMs.toFixed(1)} ms, heap ${(grew / 1048576).toFixed(1)} MiB`,
    );
    expect(t.rejected).toBeGreaterThan(0);
    expect(grew).toBeLessThan(HEAP_BUDGET_BYTES);
  });
});

// ------------------------------------------------------------------ running receivers

describe('fuzz: running receivers', () => {
  let collector: RunningCollector;
  let prwUrl: string;
  beforeAll(async () => {
    const prwPort = await freePort();
    collector = await startCollector(`
receivers:
  otlp:
    protocols:
      http: { endpoint: "{OTLP_HTTP}" }
      grpc: { endpoint: "{OTLP_GRPC}" }
  prometheusremotewrite:
    endpoint: 127.0.0.1:${prwPort}
exporters:
  debug: {}
service:
  telemetry: { metrics: { address: "{METRICS}" } }
  pipelines:
    traces: { receivers: [otlp], exporters: [debug] }
    metrics: { receivers: [otlp, prometheusremotewrite], exporters: [debug] }
    logs: { receivers: [otlp], exporters: [debug] }
`);
    prwUrl = `http://127.0.0.1:${prwPort}/api/v1/write`;
  });
  afterAll(async () => {
    await collector?.process.stop();
  });

  it('answers every mutated request with 2xx/4xx, never a 5xx, a reset or a hang, and stays up', async () => {
    const statuses = new Map<string, number>();
    const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);
    const rssBefore = Number(
      (await (await fetch(collector.metricsUrl)).text()).match(/^stitch_process_resident_memory_bytes (\S+)/m)?.[1],
    );

    // OTLP/HTTP protobuf: 50 per signal.
    for (const signal of SIGNALS) {
      for (const { bytes, how } of mutants(PB_SEEDS[signal], 50, SEED + 100 + signal.length)) {
        const r = await post(`${collector.otlpHttp}/v1/${signal}`, bytes, 'application/x-protobuf', 5000);
        count(`http ${r.status}`);
        expect([200, 400], `${signal} ${how}: ${r.status} ${r.text}`).toContain(r.status);
      }
    }
    // OTLP/gRPC: 50 per signal.
    const client = new grpc.Client(collector.otlpGrpc, grpc.credentials.createInsecure());
    try {
      for (const signal of SIGNALS) {
        const m = rawUnaryMethod(OTLP_GRPC_PATHS[signal]);
        for (const { bytes, how } of mutants(PB_SEEDS[signal], 50, SEED + 200 + signal.length)) {
          const code = await new Promise<number>((resolve) =>
            client.makeUnaryRequest(
              m.path,
              m.requestSerialize,
              m.responseDeserialize,
              bytes,
              new grpc.Metadata(),
              { deadline: Date.now() + 5000 },
              (err) => resolve(err?.code ?? grpc.status.OK),
            ),
          );
          count(`grpc ${grpc.status[code]}`);
          expect([grpc.status.OK, grpc.status.INVALID_ARGUMENT], `${signal} ${how}`).toContain(code);
        }
      }
    } finally {
      client.close();
    }
    // Remote-write: 100 mutated WriteRequests (snappy-compressed after mutation) and 50 mutated snappy bodies.
    const rw = async (body: Buffer, how: string) => {
      const res = await fetch(prwUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
        body,
        signal: AbortSignal.timeout(5000),
      });
      await res.text();
      count(`remote-write ${res.status}`);
      expect([204, 400, 413], `${how}: ${res.status}`).toContain(res.status);
    };
    for (const { bytes, how } of mutants(RW_SEED, 100, SEED + 300)) await rw(compressBodySync(bytes), how);
    for (const { bytes, how } of mutants(compressBodySync(RW_SEED), 50, SEED + 400)) await rw(bytes, `snappy ${how}`);

    const metrics = await (await fetch(collector.metricsUrl)).text();
    const rssAfter = Number(metrics.match(/^stitch_process_resident_memory_bytes (\S+)/m)?.[1]);
    console.log(
      `fuzz receivers: ${[...statuses].map(([k, v]) => `${k}: ${v}`).join(', ')}; RSS ${(rssBefore / 1048576).toFixed(0)} → ${(rssAfter / 1048576).toFixed(0)} MiB`,
    );
    expect(collector.process.child.exitCode).toBeNull();
    expect(rssAfter - rssBefore).toBeLessThan(128 * 1024 * 1024);
    // Still serving valid data.
    expect((await post(`${collector.otlpHttp}/v1/logs`, PB_SEEDS.logs, 'application/x-protobuf')).status).toBe(200);
  });
});
