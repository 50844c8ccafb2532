/**
 * The prometheusremotewrite exporter against the strict remote-write receiver: everything it
 * sends must pass the checks a conforming backend makes, and its answers to 5xx / 429 / 4xx must
 * follow the exporterhelper contract.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Long from 'long';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { prometheusRemoteWriteConfigSchema } from '../../collector/src/exporters/prometheus-remote-write/config.js';
import {
  createPrometheusRemoteWriteExporter,
  type PrometheusRemoteWriteExporter,
} from '../../collector/src/exporters/prometheus-remote-write/exporter.js';
import { AggregationTemporality, type KeyValue, type MetricsData } from '../../collector/src/model/types.js';
import { testHost, testSettings } from '../../collector/src/testing/index.js';
import { SENDER_HOMES, senderHome } from '../../collector/src/testing/sender-threads.js';
import { type StrictRemoteWrite, startStrictRemoteWrite } from '../helpers/strict-remote-write.js';

const T0 = Date.now() - 60_000;
/** Nanoseconds as OTLP carries them (fixed64: a number this large would lose its last digits). */
const ns = (ms: number) => Long.fromNumber(ms, true).mul(1_000_000);
const attrs = (o: Record<string, string>): KeyValue[] =>
  Object.entries(o).map(([key, v]) => ({ key, value: { stringValue: v } }));

/** `n` counters `requests{route="/r<i>"}` of one service, all at time `ms` with value `value`. */
function counters(ms: number, value: number, n = 1, extra: Record<string, string> = {}): MetricsData {
  return {
    resourceMetrics: [
      {
        resource: { attributes: attrs({ 'service.name': 'api', 'service.instance.id': 'i-1', 'host.name': 'h1' }) },
        scopeMetrics: [
          {
            scope: { name: 'test' },
            metrics: [
              {
                name: 'http.requests',
                unit: '{request}',
                sum: {
                  isMonotonic: true,
                  aggregationTemporality: AggregationTemporality.CUMULATIVE,
                  dataPoints: Array.from({ length: n }, (_, i) => ({
                    attributes: attrs({ route: `/r${i}`, ...extra }),
                    startTimeUnixNano: ns(T0 - 1000),
                    timeUnixNano: ns(ms),
                    asDouble: value,
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

let rw: StrictRemoteWrite;
let exporter: PrometheusRemoteWriteExporter | undefined;
let settings: ReturnType<typeof testSettings>;

async function start(config: Record<string, unknown>): Promise<PrometheusRemoteWriteExporter> {
  settings = testSettings('prometheusremotewrite', 'exporter');
  const cfg = prometheusRemoteWriteConfigSchema.parse({ endpoint: rw.url, ...config });
  exporter = createPrometheusRemoteWriteExporter(settings, cfg, ['metrics']);
  await exporter.start(testHost());
  return exporter;
}

async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await settings.selfTelemetry.registry.getSingleMetric(name)?.get();
  return (m?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((n, v) => n + v.value, 0);
}

const consume = (data: MetricsData) => (exporter as PrometheusRemoteWriteExporter).consumers.metrics!.consume(data);

beforeEach(async () => {
  rw = await startStrictRemoteWrite();
});
afterEach(async () => {
  await exporter?.shutdown(AbortSignal.timeout(5000));
  exporter = undefined;
  await rw.close();
});

describe.each(SENDER_HOMES)('prometheusremotewrite → strict receiver, %s', (_home, value) => {
  const home = senderHome(value);
  beforeAll(home.set);
  afterAll(home.restore);

  it('sends valid remote-write 1.0 with the fixed headers, a User-Agent and the user headers', async () => {
    await start({
      headers: { 'X-Scope-OrgID': 'tenant-a', 'Content-Type': 'text/evil' },
      remote_write_queue: { enabled: false, num_consumers: 1 },
    });
    await consume(counters(T0, 5, 3));
    expect(rw.requests.map((r) => r.status)).toEqual([204]);
    const h = rw.requests[0]!.headers;
    expect(h['content-type']).toBe('application/x-protobuf');
    expect(h['content-encoding']).toBe('snappy');
    expect(h['x-prometheus-remote-write-version']).toBe('0.1.0');
    expect(h['user-agent']).toMatch(/^Stitch\/\d+\.\d+\.\d+/);
    expect(h['x-scope-orgid']).toBe('tenant-a');
    expect(rw.samplesOf('http_requests_total', { route: '/r2', job: 'api', instance: 'i-1' })).toEqual([
      { labels: expect.any(Object), value: 5, timestamp: T0 },
    ]);
    expect(rw.samplesOf('target_info')[0]?.labels).toEqual({
      __name__: 'target_info',
      job: 'api',
      instance: 'i-1',
      host_name: 'h1',
    });
  });

  it('maps scripted 500 and 429 to retryable errors (with Retry-After), 400 to a permanent one, and never retries itself', async () => {
    await start({ remote_write_queue: { enabled: false, num_consumers: 1 }, retry_on_failure: { enabled: false } });
    rw.script([500, { status: 429, retryAfter: 1 }, { status: 400, body: 'out of bounds' }]);
    await expect(consume(counters(T0, 1))).rejects.toMatchObject({ code: 'STITCH_ERR_EXPORT_RETRYABLE', retryable: true });
    await expect(consume(counters(T0, 1))).rejects.toMatchObject({ retryable: true, retryAfterMs: 1000 });
    const permanent = consume(counters(T0, 1));
    await expect(permanent).rejects.toMatchObject({ code: 'STITCH_ERR_EXPORT_PERMANENT', retryable: false });
    await expect(permanent).rejects.toThrow(/HTTP 400: out of bounds/);
    expect(rw.requests).toHaveLength(3); // one request per consume: the exporter does not retry by itself
    await consume(counters(T0, 1));
    expect(rw.samplesOf('http_requests_total')).toHaveLength(1);
    expect(await metricValue('stitch_exporter_send_failed_items_total', { reason: 'permanent_error' })).toBe(1);
  });

  it('delivers exactly once through the helper retries, waiting as long as Retry-After asks', async () => {
    await start({ remote_write_queue: { enabled: false, num_consumers: 1 }, retry_on_failure: { initial_interval: '10ms' } });
    rw.script([503, { status: 429, retryAfter: 1 }]);
    const started = Date.now();
    await consume(counters(T0, 9, 4));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(rw.requests.map((r) => r.status)).toEqual([503, 429, 204]);
    expect(rw.samplesOf('http_requests_total')).toHaveLength(4);
  });

  it('keeps every series in order across concurrent batches and sender lanes', async () => {
    await start({ remote_write_queue: { enabled: false, num_consumers: 4 }, target_info: { enabled: false } });
    const batches = Array.from({ length: 20 }, (_, i) => counters(T0 + i * 1000, i, 50));
    await Promise.all(batches.map(consume));
    expect(rw.requests.filter((r) => r.status !== 204)).toEqual([]);
    expect(rw.samples).toHaveLength(20 * 50);
    for (let i = 0; i < 50; i++) {
      const ts = rw.samplesOf('http_requests_total', { route: `/r${i}` }).map((s) => s.timestamp);
      expect(ts).toEqual(batches.map((_, j) => T0 + j * 1000));
    }
  });

  it('drops and counts samples at or before the last one sent, instead of having the whole request rejected', async () => {
    await start({ remote_write_queue: { enabled: false, num_consumers: 1 }, target_info: { enabled: false } });
    await consume(counters(T0 + 2000, 2, 2));
    await consume(counters(T0 + 1000, 1, 3)); // /r0 and /r1 are late; /r2 is new
    await consume(counters(T0 + 2000, 2, 2)); // an exact re-send: skipped silently
    expect(rw.requests.map((r) => r.status)).toEqual([204, 204]);
    expect(rw.samplesOf('http_requests_total', { route: '/r2' })).toHaveLength(1);
    expect(await metricValue('stitch_exporter_prometheusremotewrite_samples_dropped_total', { reason: 'out_of_order' })).toBe(2);
    // Three series remembered (/r0, /r1, /r2), also when the sender keeps them on its own thread.
    expect(await metricValue('stitch_exporter_prometheusremotewrite_tracked_series')).toBe(3);
  });

  it('splits batches larger than max_batch_size_bytes into several valid requests', async () => {
    await start({ remote_write_queue: { enabled: false }, max_batch_size_bytes: 2000 });
    await consume(counters(T0, 1, 200));
    expect(rw.requests.length).toBeGreaterThan(5);
    expect(rw.requests.every((r) => r.status === 204)).toBe(true);
    expect(rw.samplesOf('http_requests_total')).toHaveLength(200);
  });

  it('keeps exemplars within the 128-rune budget, dropping span_id first and counting it', async () => {
    await start({ remote_write_queue: { enabled: false }, target_info: { enabled: false } });
    const uuid = '3f2b8c1e-9d4a-4e6b-8f0c-2a1b3c4d5e6f';
    const data = counters(T0, 1);
    const dp = data.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.sum!.dataPoints[0]!;
    dp.exemplars = [
      {
        filteredAttributes: attrs({ request_id: uuid, reconcileID: uuid }),
        timeUnixNano: ns(T0 - 10),
        asDouble: 1,
        traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'),
        spanId: Buffer.from('b7ad6b7169203331', 'hex'),
      },
    ];
    await consume(data);
    expect(rw.requests.map((r) => r.status)).toEqual([204]);
    expect(rw.exemplars.map((e) => Object.keys(e.labels))).toEqual([['rid', 'request_id', 'trace_id']]);
    expect(await metricValue('stitch_exporter_prometheusremotewrite_exemplar_labels_dropped_total', { label: 'span_id' })).toBe(
      1,
    );
  });

  it('backs the contrib wal block with the durable queue in wal.directory', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'stitch-wal-')), 'wal');
    try {
      await start({ wal: { directory: dir }, remote_write_queue: { num_consumers: 1 } });
      await consume(counters(T0, 3, 5));
      await rw.waitForSamples(5);
      expect(rw.samplesOf('http_requests_total')).toHaveLength(5);
      expect(readdirSync(dir).length).toBeGreaterThan(0); // the queue lives there
    } finally {
      await exporter?.shutdown(AbortSignal.timeout(5000));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
