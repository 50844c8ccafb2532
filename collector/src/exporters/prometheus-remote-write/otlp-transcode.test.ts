/**
 * The OTLP → remote-write fast path against the full path: the same random OTLP requests go to
 * two exporters, once as a lazy batch (scanned bytes, transcoded) and once materialised
 * (decode → translate → encode). With one sender lane the request bodies the backend receives
 * must be byte-identical, in the same order; with several lanes every series must get the same
 * samples. The generator covers what the translator cares about (gauges, sums of every
 * temporality, histograms with and without sum, staleness, int / double / absent values, NaN,
 * attribute names that collide once sanitised, job / instance, repeats and old samples) and what
 * must fall back (exemplars, summaries, exponential histograms). The same series twice in a
 * batch (random repeats, merged batches) is written once with all its samples, as the full path does.
 */
import http from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import Long from 'long';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from '../../component/component.js';
import { metricsSource } from '../../model/lazy-metrics.js';
import { decodeRequest, encodeRequest } from '../../model/otlp-codec.js';
import { scanMetricsRequest } from '../../model/otlp-metrics/scan.js';
import { decodeMetricsProtobuf, otlpMetricsSource } from '../../model/otlp-metrics/source.js';
import { decodeWriteRequest } from '../../model/remote-write/decode.js';
import { decompressBody } from '../../model/remote-write/snappy.js';
import { isStaleNaN, type TimeSeries } from '../../model/remote-write/types.js';
import type { KeyValue, Metric, MetricsData, NumberDataPoint } from '../../model/types.js';
import { batchConfigSchema } from '../../processors/batch/config.js';
import { createBatchProcessor } from '../../processors/batch/processor.js';
import { testHost, testSettings } from '../../testing/index.js';
import { seededPicker as rng } from '../../testing/random.js';
import { SENDER_HOMES, senderHome } from '../../testing/sender-threads.js';
import { prometheusRemoteWriteConfigSchema } from './config.js';
import { createPrometheusRemoteWriteExporter, seriesHash } from './exporter.js';
import { createOtlpTranscoder } from './otlp-transcode.js';
import { createTranslator, type TranslateOptions, translateOptionsOf } from './translate.js';

const T = 1_700_000_000_000;

type Rng = ReturnType<typeof rng>;

const METRIC_NAMES = ['http.server.requests', 'queue.depth', 'process.cpu.time', 'jobs_total', 'reconcile.duration', 'x'];
const UNITS = ['', 's', 'ms', 'By', '1', '{requests}', '%'];
const ATTR_KEYS = ['http.method', 'http_method', 'route', 'job', 'instance', 'le', 'a.b', 'a-b', '9lives', 'code', 'quantile'];
const STRINGS = ['', 'GET', 'shop', '/api/v1/items/:id', 'ÄÖÜ€', '日本語', '😀', 'a;b', '0.5', '+Inf'];

function value(r: Rng): KeyValue['value'] {
  const k = r.next();
  if (k < 0.7) return { stringValue: r.pick(STRINGS) };
  if (k < 0.8) return { intValue: r.int(-3, 500) };
  if (k < 0.9) return { boolValue: r.next() < 0.5 };
  return { doubleValue: r.int(-10, 10) / 4 };
}

function attributes(r: Rng, max: number): KeyValue[] {
  const out: KeyValue[] = [];
  const n = r.int(0, max);
  for (let i = 0; i < n; i++) out.push({ key: r.pick(ATTR_KEYS), value: value(r) });
  return out;
}

const nanos = (ms: number) => Long.fromNumber(ms, true).mul(1_000_000).add(Long.fromNumber(123_456, true));

/** A random request; `fallback` adds what only the full path handles. */
function randomRequest(r: Rng, round: number, fallback: boolean): MetricsData {
  const resources = [];
  const nRes = r.int(1, 3);
  for (let i = 0; i < nRes; i++) {
    const attrs: KeyValue[] = [
      { key: 'service.name', value: { stringValue: r.pick(['checkout', 'cart', '']) } },
      { key: 'service.instance.id', value: { stringValue: `pod-${i}` } },
    ];
    if (r.next() < 0.5) attrs.push({ key: 'service.namespace', value: { stringValue: 'shop' } });
    attrs.push(...attributes(r, 3));
    const metrics: Metric[] = [];
    const used = new Set<string>();
    const nMetrics = r.int(1, 4);
    for (let m = 0; m < nMetrics; m++) {
      const name = r.pick(METRIC_NAMES);
      // Distinct names per resource, so the same series does not come twice unless asked to.
      if (used.has(name)) continue;
      used.add(name);
      metrics.push(randomMetric(r, name, round, fallback));
    }
    resources.push({ resource: { attributes: attrs }, scopeMetrics: [{ scope: { name: 'test', version: '1' }, metrics }] });
  }
  return { resourceMetrics: resources };
}

function randomPoints(r: Rng, round: number, fallback: boolean) {
  const n = r.int(0, 5);
  const seen = new Set<string>();
  const points = [];
  for (let i = 0; i < n; i++) {
    const attributes: KeyValue[] = [{ key: 'i', value: { intValue: i } }, ...attributesOf(r)];
    const key = JSON.stringify(attributes);
    if (seen.has(key)) continue;
    seen.add(key);
    // Mostly the next round's time; sometimes a repeat or an older one.
    const ms = T + round * 10_000 + (r.next() < 0.1 ? -15_000 : 0) + r.int(0, 3);
    points.push({
      attributes,
      startTimeUnixNano: r.next() < 0.5 ? nanos(T - 60_000) : undefined,
      timeUnixNano: nanos(ms),
      flags: r.next() < 0.05 ? 1 : 0,
      exemplars:
        fallback && r.next() < 0.3
          ? [
              {
                timeUnixNano: nanos(ms),
                asDouble: 1,
                traceId: Buffer.alloc(16, 1),
                spanId: Buffer.alloc(8, 2),
                filteredAttributes: [],
              },
            ]
          : [],
    });
  }
  return points;
}

function attributesOf(r: Rng): KeyValue[] {
  return attributes(r, 3);
}

function randomMetric(r: Rng, name: string, round: number, fallback: boolean): Metric {
  const unit = r.pick(UNITS);
  const kind = r.next();
  const numberPoints = (): NumberDataPoint[] =>
    randomPoints(r, round, fallback).map((p) => {
      const v = r.next();
      const dp: NumberDataPoint = { ...p };
      if (v < 0.45) dp.asDouble = r.int(-5, 1e6) / 8;
      else if (v < 0.5) dp.asDouble = Number.NaN;
      else if (v < 0.55) dp.asDouble = -0;
      else if (v < 0.95) dp.asInt = Long.fromNumber(r.int(-1000, 1e9));
      return dp;
    });
  if (kind < 0.3) return { name, unit, description: 'd', gauge: { dataPoints: numberPoints() } };
  if (kind < 0.65) {
    const t = r.next();
    return {
      name,
      unit,
      sum: { aggregationTemporality: t < 0.8 ? 2 : t < 0.95 ? 1 : 0, isMonotonic: r.next() < 0.7, dataPoints: numberPoints() },
    };
  }
  if (kind < 0.95 || !fallback) {
    const bounds = r.pick([[], [0.5], [0.005, 0.01, 0.1, 1, 2.5, 10], [-1, 0, 1e21]]);
    return {
      name,
      unit,
      histogram: {
        aggregationTemporality: r.next() < 0.95 ? 2 : 1,
        dataPoints: randomPoints(r, round, fallback).map((p) => {
          const counts = bounds.map(() => r.int(0, 100));
          counts.push(r.int(0, 5));
          const dp: Record<string, unknown> = {
            ...p,
            count: counts.reduce((a, b) => a + b, 0),
            bucketCounts: counts,
            explicitBounds: bounds,
          };
          if (r.next() < 0.8) dp.sum = r.int(0, 1e5) / 16;
          if (r.next() < 0.3) dp.min = 0;
          return dp as never;
        }),
      },
    };
  }
  return {
    name,
    unit,
    summary: {
      dataPoints: randomPoints(r, round, false).map((p) => ({
        ...p,
        count: 3,
        sum: 1.5,
        quantileValues: [{ quantile: 0.5, value: 0.25 }],
      })),
    },
  };
}

interface Capture {
  url: string;
  /** Every request body received (uncompressed), in arrival order. */
  bodies: Buffer[];
  close(): Promise<void>;
}

async function capture(): Promise<Capture> {
  const bodies: Buffer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void decompressBody(Buffer.concat(chunks), 1 << 26).then((raw) => {
        bodies.push(raw);
        res.writeHead(204).end();
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    bodies,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function exporterTo(config: Record<string, unknown>) {
  const backend = await capture();
  const exporter = createPrometheusRemoteWriteExporter(
    testSettings('prometheusremotewrite', 'exporter'),
    prometheusRemoteWriteConfigSchema.parse({ endpoint: backend.url, ...config }),
    ['metrics'],
  );
  await exporter.start(testHost());
  return {
    backend,
    consumer: exporter.consumers.metrics as Consumer<MetricsData>,
    async close() {
      await exporter.shutdown();
      await backend.close();
    },
  };
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

function valueText(v: number): string {
  if (isStaleNaN(v)) return 'stale';
  if (Number.isNaN(v)) return 'nan';
  return Object.is(v, -0) ? '-0' : String(v);
}

/** Series by label set, with every sample in arrival order. */
function received(bodies: readonly Buffer[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const series: TimeSeries[] = bodies.flatMap((b) => decodeWriteRequest(b).timeseries);
  for (const s of series) {
    const key = s.labels.map((l) => `${l.name}=${l.value}`).join(',');
    out[key] ??= [];
    for (const x of s.samples) out[key].push(`${x.timestamp}:${valueText(x.value)}`);
    for (const e of s.exemplars) out[key].push(`exemplar ${e.timestamp}:${e.value}`);
  }
  return out;
}

const CONFIGS: [string, Record<string, unknown>][] = [
  ['defaults', {}],
  ['external labels and a namespace', { external_labels: { cluster: 'eu-1', job: 'ignored' }, namespace: 'app' }],
  ['resource_to_telemetry_conversion', { resource_to_telemetry_conversion: { enabled: true } }],
  ['no suffixes, no target_info', { add_metric_suffixes: false, target_info: { enabled: false } }],
  ['send_metadata (full path only)', { send_metadata: true }],
  ['export_created_metric (full path only)', { export_created_metric: { enabled: true } }],
];

describe.each(SENDER_HOMES)('OTLP → remote-write fast path, %s', (_home, value) => {
  const home = senderHome(value);
  beforeAll(home.set);
  afterAll(home.restore);

  for (const [name, config] of CONFIGS) {
    it(`sends the same request bodies as the full path, one lane: ${name}`, async () => {
      const laneConfig = { ...config, remote_write_queue: { enabled: false, num_consumers: 1 } };
      const fast = await exporterTo(laneConfig);
      const full = await exporterTo(laneConfig);
      open.push(fast, full);
      const r = rng(name.length * 7919 + 1);
      let lazy = 0;
      for (let round = 0; round < 30; round++) {
        const body = Buffer.from(encodeRequest('metrics', randomRequest(r, round, round % 5 === 4), 'protobuf'));
        const a = decodeMetricsProtobuf(body);
        if (otlpMetricsSource(a)) lazy++;
        const b = decodeRequest('metrics', body, 'protobuf');
        const [ra, rb] = await Promise.allSettled([fast.consumer.consume(a), full.consumer.consume(b)]);
        expect(ra.status).toBe(rb.status);
      }
      expect(lazy).toBeGreaterThanOrEqual(20);
      expect(fast.backend.bodies.length).toBeGreaterThan(20);
      expect(fast.backend.bodies.length).toBe(full.backend.bodies.length);
      for (let i = 0; i < fast.backend.bodies.length; i++) {
        expect(fast.backend.bodies[i]?.equals(full.backend.bodies[i] as Buffer), `request ${i}`).toBe(true);
      }
    });
  }

  it("coalesces a queued backlog of one sender's batches into fewer requests, with the samples the full path sends", async () => {
    const fast = await exporterTo({ remote_write_queue: { num_consumers: 1 } });
    const full = await exporterTo({ remote_write_queue: { enabled: false, num_consumers: 1 } });
    open.push(fast, full);
    // The same sender's series (same seed), later each time, queued faster than they are sent.
    const bodies = Array.from({ length: 8 }, (_, k) =>
      Buffer.from(encodeRequest('metrics', randomRequest(rng(7), 10 + k * 10, false), 'protobuf')),
    );
    const batches = bodies.map((b) => decodeMetricsProtobuf(b));
    expect(batches.every((b) => otlpMetricsSource(b) !== undefined)).toBe(true);
    for (const b of batches) await fast.consumer.consume(b);
    for (const b of bodies) await full.consumer.consume(decodeRequest('metrics', b, 'protobuf'));
    const want = received(full.backend.bodies);
    expect(Object.values(want).flat().length).toBeGreaterThan(50);
    for (let t = 0; t < 500 && !isDeepStrictEqual(received(fast.backend.bodies), want); t++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(received(fast.backend.bodies)).toEqual(want);
    expect(full.backend.bodies).toHaveLength(8);
    // The first batch leaves alone; the seven queued behind it leave together.
    expect(fast.backend.bodies.length).toBeLessThan(4);
    for (const b of batches) expect(metricsSource(b)).toBeDefined(); // nothing was materialised
  });

  it('sends every series the same samples as the full path over four lanes', async () => {
    const config = { remote_write_queue: { enabled: false, num_consumers: 4 }, max_batch_size_bytes: 600 };
    const fast = await exporterTo(config);
    const full = await exporterTo(config);
    open.push(fast, full);
    const r = rng(42);
    for (let round = 0; round < 30; round++) {
      const body = Buffer.from(encodeRequest('metrics', randomRequest(r, round, round % 7 === 6), 'protobuf'));
      await fast.consumer.consume(decodeMetricsProtobuf(body));
      await full.consumer.consume(decodeRequest('metrics', body, 'protobuf'));
    }
    expect(Object.keys(received(fast.backend.bodies)).length).toBeGreaterThan(50);
    expect(received(fast.backend.bodies)).toEqual(received(full.backend.bodies));
  });

  const senders = [
    ['distinct instances', false],
    ['the same senders, one interval apart', true],
  ] as const;
  for (const [name, config] of CONFIGS.slice(0, 3)) {
    for (const [shape, sameSenders] of senders) {
      it(`sends the same request bodies as the full path through the batch processor, one lane, ${shape}: ${name}`, async () => {
        const laneConfig = { ...config, remote_write_queue: { enabled: false, num_consumers: 1 } };
        const fast = await exporterTo(laneConfig);
        const full = await exporterTo(laneConfig);
        open.push(fast, full);
        let lazyBatches = 0;
        const seen: Consumer<MetricsData> = {
          capabilities: { mutatesData: false },
          consume(batch, context) {
            if (otlpMetricsSource(batch)) lazyBatches++;
            return fast.consumer.consume(batch, context);
          },
        };
        const batchConfig = batchConfigSchema.parse({ send_batch_size: 100_000, timeout: '10ms' });
        const fastBatch = createBatchProcessor(testSettings('batch', 'processor'), batchConfig, 'metrics', seen);
        const fullBatch = createBatchProcessor(testSettings('batch', 'processor'), batchConfig, 'metrics', full.consumer);
        open.push({ close: () => fastBatch.shutdown() }, { close: () => fullBatch.shutdown() });
        const r = rng(name.length * 104_729 + 3);
        let batches = 0;
        for (let round = 0; round < 12; round++) {
          // A group of requests arrives together and is merged into one batch: from distinct
          // instances, or from the same ones at three successive intervals (series met again).
          // Sometimes a later interval arrives first (its samples then come before older ones).
          const ks = sameSenders && round % 3 === 1 ? [0, 2, 1] : [0, 1, 2];
          const bodies = ks.map((k) => {
            // The same senders: one seed per group, so each request repeats the group's series.
            const data = sameSenders ? randomRequest(rng(1000 + round), round * 3 + k, false) : randomRequest(r, round, false);
            if (sameSenders) return Buffer.from(encodeRequest('metrics', data, 'protobuf'));
            for (const rm of data.resourceMetrics) {
              for (const a of rm.resource?.attributes ?? []) {
                if (a.key === 'service.instance.id') a.value = { stringValue: `${a.value?.stringValue}-${k}` };
              }
            }
            return Buffer.from(encodeRequest('metrics', data, 'protobuf'));
          });
          const fastDone = Promise.allSettled(bodies.map((b) => fastBatch.consume(decodeMetricsProtobuf(b))));
          const fullDone = Promise.allSettled(bodies.map((b) => fullBatch.consume(decodeRequest('metrics', b, 'protobuf'))));
          const [ra, rb] = await Promise.all([fastDone, fullDone]);
          expect(ra.map((x) => x.status)).toEqual(rb.map((x) => x.status));
          batches++;
        }
        expect(lazyBatches).toBe(batches); // every merged batch reached the exporter unmaterialised
        expect(fast.backend.bodies.length).toBeGreaterThan(10);
        expect(fast.backend.bodies.length).toBe(full.backend.bodies.length);
        for (let i = 0; i < fast.backend.bodies.length; i++) {
          expect(fast.backend.bodies[i]?.equals(full.backend.bodies[i] as Buffer), `request ${i}`).toBe(true);
        }
        // Merged from the same senders, some series were met more than once in a batch.
        const multi = full.backend.bodies.some((b) => decodeWriteRequest(b).timeseries.some((t) => t.samples.length > 1));
        expect(multi).toBe(sameSenders);
      });
    }
  }

  it('transcodes plain batches without materialising and falls back for the rest', () => {
    const options: TranslateOptions = translateOptionsOf(
      prometheusRemoteWriteConfigSchema.parse({ endpoint: 'http://127.0.0.1:9/api/v1/write' }),
    );
    const transcoder = createOtlpTranscoder({
      translator: createTranslator(options),
      pointTranslator: createTranslator({ ...options, targetInfo: false }),
      fastPath: true,
      lanes: 2,
      laneOf: (key) => seriesHash(key) % 2,
      maxEntries: 1000,
    });
    const point = (route: string, ms: number, v: number) => ({
      attributes: [{ key: 'http.route', value: { stringValue: route } }],
      timeUnixNano: nanos(ms),
      asDouble: v,
    });
    const request = (points: ReturnType<typeof point>[]): MetricsData => ({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
          scopeMetrics: [
            { metrics: [{ name: 'requests', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: points } }] },
          ],
        },
      ],
    });
    const lazy = (data: MetricsData) => decodeMetricsProtobuf(Buffer.from(encodeRequest('metrics', data, 'protobuf')));
    const batch = lazy(request([point('/a', T, 1), point('/b', T, 2)]));
    const source = otlpMetricsSource(batch);
    expect(source?.points).toBe(2);
    const plan = source ? transcoder.plan(source) : undefined;
    expect(plan?.lanes.reduce((n, l) => n + l.series.length, 0)).toBe(2);
    expect(metricsSource(batch)).toBeDefined(); // still lazy: nothing was materialised
    expect(transcoder.size).toBe(2);
    // The same series twice in one batch (the full path merges them into one series): planned,
    // with `repeats` telling the sender to write the series once.
    const twice = otlpMetricsSource(lazy(request([point('/a', T, 1), point('/a', T + 1000, 2)])));
    const repeated = twice ? transcoder.plan(twice) : undefined;
    expect(repeated?.repeats).toBe(true);
    expect(repeated?.lanes.flatMap((l) => l.ts)).toEqual([T, T + 1000]);
    expect(plan?.repeats).toBe(false);
    // Exemplars: not scanned, decoded in full.
    const withExemplar = request([point('/a', T, 1)]);
    (withExemplar.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.sum?.dataPoints[0] as NumberDataPoint).exemplars = [
      { timeUnixNano: nanos(T), asDouble: 1, filteredAttributes: [] },
    ];
    expect(metricsSource(lazy(withExemplar))).toBeUndefined();
  });
});

describe('scanMetricsRequest', () => {
  it('accepts only what protobufjs decodes to the same points (random and mutated requests)', () => {
    const r = rng(7);
    let accepted = 0;
    for (let i = 0; i < 2000; i++) {
      const body = Buffer.from(encodeRequest('metrics', randomRequest(r, i, i % 3 === 0), 'protobuf'));
      // Mutate some: flip, drop or duplicate bytes.
      const mutated = Buffer.from(body);
      const kind = i % 4;
      let input = mutated;
      if (kind === 1 && mutated.length > 0) mutated[r.int(0, mutated.length - 1)] ^= 1 << r.int(0, 7);
      else if (kind === 2 && mutated.length > 2) input = mutated.subarray(0, r.int(1, mutated.length - 1));
      else if (kind === 3) input = Buffer.concat([mutated, mutated.subarray(0, r.int(0, 20))]);
      const scan = scanMetricsRequest(input);
      let decoded: MetricsData | undefined;
      try {
        decoded = decodeRequest('metrics', input, 'protobuf');
      } catch {
        decoded = undefined;
      }
      if (!scan) continue;
      accepted++;
      expect(decoded, `case ${i}: scanned but protobufjs rejects it`).toBeDefined();
      let points = 0;
      for (const rm of decoded?.resourceMetrics ?? []) {
        for (const sm of rm.scopeMetrics) {
          for (const m of sm.metrics) points += (m.gauge ?? m.sum ?? m.histogram)?.dataPoints.length ?? 0;
        }
      }
      expect(scan.points, `case ${i}`).toBe(points);
    }
    expect(accepted).toBeGreaterThan(450);
  });
});
