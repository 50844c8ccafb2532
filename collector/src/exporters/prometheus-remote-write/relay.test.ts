/**
 * The relay fast path against the full path, end to end on loopback: the same remote-write
 * requests go through two receiver → exporter chains, one where nothing reads the batch (the
 * exporter relays the scanned bytes) and one where a consumer in between reads
 * `resourceMetrics` (materialise → translate → encode). Every series the backend receives must
 * be the same, sample for sample, NaN payloads included.
 */
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from '../../component/component.js';
import { metricsSource } from '../../model/lazy-metrics.js';
import { decodeWriteRequest } from '../../model/remote-write/decode.js';
import { encodeWriteRequest } from '../../model/remote-write/encode.js';
import { compressBodySync } from '../../model/remote-write/snappy.js';
import { isStaleNaN, type Label, STALE_NAN, type TimeSeries, type WriteRequest } from '../../model/remote-write/types.js';
import type { MetricsData } from '../../model/types.js';
import { batchConfigSchema } from '../../processors/batch/config.js';
import { createBatchProcessor } from '../../processors/batch/processor.js';
import { prometheusRemoteWriteReceiverConfigSchema } from '../../receivers/prometheus-remote-write/config.js';
import { createPrometheusRemoteWriteReceiver } from '../../receivers/prometheus-remote-write/receiver.js';
import { testHost, testSettings } from '../../testing/index.js';
import { seededPicker as rng } from '../../testing/random.js';
import { SENDER_HOMES, senderHome } from '../../testing/sender-threads.js';
import { prometheusRemoteWriteConfigSchema } from './config.js';
import { createPrometheusRemoteWriteExporter } from './exporter.js';

const T = 1_700_000_000_000;

const NAMES = ['http_requests_total', 'up', 'foo__bar', '_leading', 'mem_bytes', 'x:y', 'latency_seconds_bucket'];
const LABEL_NAMES = ['job', 'instance', 'method', 'route', 'a.b', 'a_b', '__meta_x', '9lives', 'le', 'service_name', 'code'];
const VALUES = ['', 'GET', 'shop/checkout', 'pod-1', '/api/v1/items/:id', 'ÄÖÜ€', '日本語', '😀', 'a;b', '0.5', '+Inf'];

interface Capture {
  server: http.Server;
  url: string;
  /** Every series received, in arrival order. */
  series: TimeSeries[];
  close(): Promise<void>;
}

async function capture(): Promise<Capture> {
  const series: TimeSeries[] = [];
  const { decompressBody } = await import('../../model/remote-write/snappy.js');
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void decompressBody(Buffer.concat(chunks), 1 << 26).then((raw) => {
        series.push(...decodeWriteRequest(raw).timeseries);
        res.writeHead(204).end();
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    server,
    url: `http://127.0.0.1:${port}/api/v1/write`,
    series,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Receiver → (optional reader) → exporter → capture. */
async function chain(exporterConfig: Record<string, unknown>, materialise: boolean, batch?: Record<string, unknown>) {
  const backend = await capture();
  const exporter = createPrometheusRemoteWriteExporter(
    testSettings('prometheusremotewrite', 'exporter'),
    prometheusRemoteWriteConfigSchema.parse({
      endpoint: backend.url,
      remote_write_queue: { enabled: false },
      ...exporterConfig,
    }),
    ['metrics'],
  );
  await exporter.start(testHost());
  const exporterIn = exporter.consumers.metrics as Consumer<MetricsData>;
  let lazyBatches = 0;
  let lazyAtExporter = 0;
  let largestRelayed = 0;
  const counted: Consumer<MetricsData> = {
    capabilities: { mutatesData: false },
    async consume(data, context) {
      const source = metricsSource(data);
      if (source) lazyAtExporter++;
      await exporterIn.consume(data, context);
      // Still unmaterialised after the export: the exporter relayed the bytes.
      if (source && metricsSource(data)) largestRelayed = Math.max(largestRelayed, source.points);
    },
  };
  // Optionally a batch processor between the reader and the exporter.
  const batcher = batch
    ? createBatchProcessor(testSettings('batch', 'processor'), batchConfigSchema.parse(batch), 'metrics', counted)
    : undefined;
  const next = batcher ?? counted;
  const middle: Consumer<MetricsData> = {
    capabilities: { mutatesData: false },
    consume(data, context) {
      if (metricsSource(data)) lazyBatches++;
      if (materialise) void data.resourceMetrics.length;
      return next.consume(data, context);
    },
  };
  const receiver = createPrometheusRemoteWriteReceiver(
    testSettings('prometheusremotewrite', 'receiver'),
    prometheusRemoteWriteReceiverConfigSchema.parse({ endpoint: '127.0.0.1:0' }),
    { metrics: middle },
  );
  await receiver.start(testHost());
  return {
    backend,
    get lazyBatches() {
      return lazyBatches;
    },
    /** Batches the exporter got unmaterialised. */
    get lazyAtExporter() {
      return lazyAtExporter;
    },
    /** Points of the largest batch the exporter relayed without materialising it. */
    get largestRelayed() {
      return largestRelayed;
    },
    async post(request: WriteRequest) {
      const res = await fetch(`http://127.0.0.1:${receiver.port}/api/v1/write`, {
        method: 'POST',
        headers: {
          'Content-Encoding': 'snappy',
          'Content-Type': 'application/x-protobuf',
          'X-Prometheus-Remote-Write-Version': '0.1.0',
        },
        body: compressBodySync(encodeWriteRequest(request)),
      });
      await res.arrayBuffer();
      return res.status;
    },
    async close() {
      await receiver.shutdown();
      await batcher?.shutdown();
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

/** Series by label set, with every sample in arrival order: what the backend ended up with. */
function received(series: readonly TimeSeries[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of series) {
    const key = s.labels.map((l) => `${l.name}=${l.value}`).join(',');
    out[key] ??= [];
    for (const x of s.samples) out[key].push(`${x.timestamp}:${valueText(x.value)}`);
  }
  return out;
}

function randomRequest(r: ReturnType<typeof rng>, round: number, seriesCount: number): WriteRequest {
  const timeseries: TimeSeries[] = [];
  for (let i = 0; i < seriesCount; i++) {
    const labels: Label[] = [{ name: '__name__', value: r.pick(NAMES) }];
    const n = r.int(0, 4);
    for (let k = 0; k < n; k++) labels.push({ name: r.pick(LABEL_NAMES), value: r.pick(VALUES) });
    if (r.next() < 0.7) labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const samples = [];
    const count = r.int(1, 3);
    // Mostly new samples; sometimes a repeat of the previous round or an older one.
    const base = T + round * 10_000 + (r.next() < 0.1 ? -15_000 : 0);
    for (let k = 0; k < count; k++) {
      const pickValue = r.next();
      const value = pickValue < 0.05 ? STALE_NAN : pickValue < 0.08 ? Number.NaN : pickValue < 0.1 ? -0 : r.int(-5, 1e6) / 8;
      samples.push({ value, timestamp: base + k * 1000 });
    }
    timeseries.push({ labels, samples, exemplars: [], histograms: [] });
  }
  return { timeseries, metadata: [] };
}

describe.each(SENDER_HOMES)('relay fast path, %s', (_home, value) => {
  const home = senderHome(value);
  beforeAll(home.set);
  afterAll(home.restore);

  const configs: [string, Record<string, unknown>][] = [
    ['defaults', {}],
    ['external labels and a namespace', { external_labels: { cluster: 'eu-1', job: 'ignored' }, namespace: 'relay' }],
    ['resource_to_telemetry_conversion', { resource_to_telemetry_conversion: { enabled: true } }],
    ['send_metadata (full path only)', { send_metadata: true }],
  ];
  for (const [name, config] of configs) {
    it(`sends what the full path sends: ${name}`, async () => {
      const fast = await chain(config, false);
      const full = await chain(config, true);
      open.push(fast, full);
      const r = rng(name.length * 7919);
      for (let round = 0; round < 12; round++) {
        const request = randomRequest(r, round, r.int(1, 40));
        const [a, b] = [await fast.post(request), await full.post(request)];
        expect(a).toBe(b);
      }
      expect(fast.lazyBatches).toBe(12);
      expect(Object.keys(received(fast.backend.series)).length).toBeGreaterThan(20);
      expect(received(fast.backend.series)).toEqual(received(full.backend.series));
    });
  }

  for (const [name, batch] of [
    ['merging', { send_batch_size: 100_000, timeout: '10ms' }],
    ['merging and splitting', { send_batch_size: 30, send_batch_max_size: 40, timeout: '10ms' }],
  ] as const) {
    it(`sends what the full path sends through the batch processor (${name}), and keeps the fast path`, async () => {
      const fast = await chain({}, false, batch);
      const full = await chain({}, true, batch);
      open.push(fast, full);
      const r = rng(name.length * 31);
      for (let round = 0; round < 12; round++) {
        // Requests that arrive together are merged into one batch.
        // Each request's series carry its own `member` label, so no series is in two of them and
        // the order the merged batches deliver in does not change what each series gets.
        const requests = [0, 1, 2].map((k) => {
          const q = randomRequest(r, round, r.int(1, 30));
          for (const ts of q.timeseries) ts.labels.push({ name: 'member', value: String(k) });
          return q;
        });
        const a = await Promise.all(requests.map((q) => fast.post(q)));
        const b = await Promise.all(requests.map((q) => full.post(q)));
        expect(a).toEqual(b);
      }
      expect(fast.lazyBatches).toBe(36);
      expect(full.lazyAtExporter).toBe(0);
      expect(fast.lazyAtExporter).toBeGreaterThanOrEqual(12); // merged batches reach the exporter lazy
      expect(Object.keys(received(fast.backend.series)).length).toBeGreaterThan(20);
      expect(received(fast.backend.series)).toEqual(received(full.backend.series));
    });
  }

  it('keeps the fast path when merged batches repeat a series later in time, and sends what the full path sends', async () => {
    const fast = await chain({}, false, { send_batch_size: 100_000, timeout: '10ms' });
    const full = await chain({}, true, { send_batch_size: 100_000, timeout: '10ms' });
    open.push(fast, full);
    const s = (route: string, ts: number, value: number): TimeSeries => ({
      labels: [
        { name: '__name__', value: 'http_requests_total' },
        { name: 'route', value: route },
      ],
      samples: [{ value, timestamp: ts }],
      exemplars: [],
      histograms: [],
    });
    for (let round = 0; round < 6; round++) {
      // Three requests from one sender arrive together: the same series, each later in time;
      // every other round the last one is earlier than the others (the full path sorts it).
      const base = T + round * 10_000;
      const times = round % 2 === 0 ? [0, 1000, 2000] : [1000, 2000, 500];
      const requests = times.map((dt, k) => ({
        timeseries: [s('/a', base + dt, round * 10 + k), s('/b', base + dt, round * 10 + k + 0.5)],
        metadata: [],
      }));
      const a = await Promise.all(requests.map((q) => fast.post(q)));
      const b = await Promise.all(requests.map((q) => full.post(q)));
      expect(a).toEqual(b);
    }
    expect(received(fast.backend.series)).toEqual(received(full.backend.series));
    expect(received(fast.backend.series)['__name__=http_requests_total,route=/a']?.length).toBeGreaterThanOrEqual(12);
    // A merged batch holding both series more than once went out without materialising.
    expect(fast.largestRelayed).toBeGreaterThan(2);
  });

  it('relays the bytes of plain series without materialising, and merges duplicates like the full path', async () => {
    const fast = await chain({}, false);
    const full = await chain({}, true);
    open.push(fast, full);
    const s = (route: string, ts: number, value: number): TimeSeries => ({
      labels: [
        { name: '__name__', value: 'http_requests_total' },
        { name: 'instance', value: 'pod-1' },
        { name: 'job', value: 'shop/checkout' },
        { name: 'route', value: route },
      ],
      samples: [{ value, timestamp: ts }],
      exemplars: [],
      histograms: [],
    });
    const requests: WriteRequest[] = [
      { timeseries: [s('/a', T, 1), s('/b', T, 2)], metadata: [] },
      // The same series twice in one request, out of time order: the full path merges and sorts.
      { timeseries: [s('/a', T + 2000, 4), s('/a', T + 1000, 3)], metadata: [] },
      // A retry of what was delivered, then newer samples.
      { timeseries: [s('/a', T + 2000, 4), s('/b', T + 3000, 5)], metadata: [] },
    ];
    for (const request of requests) {
      expect(await fast.post(request)).toBe(204);
      expect(await full.post(request)).toBe(204);
    }
    expect(received(fast.backend.series)).toEqual(received(full.backend.series));
    expect(received(fast.backend.series)).toEqual({
      '__name__=http_requests_total,instance=pod-1,job=shop/checkout,route=/a': [`${T}:1`, `${T + 1000}:3`, `${T + 2000}:4`],
      '__name__=http_requests_total,instance=pod-1,job=shop/checkout,route=/b': [`${T}:2`, `${T + 3000}:5`],
    });
  });
});
