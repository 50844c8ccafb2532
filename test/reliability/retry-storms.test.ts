/**
 * Fault injection: 500 storms, 429 storms with Retry-After, a backend slower than the exporter's
 * timeout, and a permanent 400. Metrics go to a real Prometheus and logs to the strict Loki
 * receiver, each behind a fault proxy. Everything acknowledged arrives; retries back off (exact
 * intervals: randomization_factor 0); Retry-After is waited for; a 400 is never retried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Signal } from '../../collector/src/model/types.js';
import { type PrometheusHandle, startPrometheus } from '../helpers/prometheus.js';
import { type StrictLoki, startStrictLoki } from '../helpers/strict-loki.js';
import { type Fault, type FaultProxy, startFaultProxy } from './fault-proxy.js';
import {
  createSender,
  figures,
  logsJson,
  lokiIds,
  metricsJson,
  type RunningCollector,
  range,
  remoteWriteIds,
  report,
  type Sender,
  selfMetric,
  startCollector,
  toProtobuf,
} from './harness.js';

const INITIAL_MS = 100;
const MAX_MS = 800;
const TIMEOUT_MS = 300;

interface Lane {
  signal: Signal;
  label: string;
  proxy: FaultProxy;
  sender: (scenario: string) => Sender;
}

/** Times (ms) of the attempts that carried `id`. */
function attemptTimes(proxy: FaultProxy, id: string): number[] {
  return proxy.attempts.filter((a) => a.ids.includes(id)).map((a) => a.at);
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - (times[i] ?? 0));
}

describe('retry storms', () => {
  let prometheus: PrometheusHandle;
  let loki: StrictLoki;
  let collector: RunningCollector;
  let lanes: Lane[];
  let nextId = 0;

  beforeAll(async () => {
    [prometheus, loki] = await Promise.all([startPrometheus(), startStrictLoki()]);
    const promProxy = await startFaultProxy({ upstream: prometheus.url, decode: remoteWriteIds });
    const lokiProxy = await startFaultProxy({ upstream: loki.url.replace(/\/loki\/api\/v1\/push$/, ''), decode: lokiIds });
    const retry = `retry_on_failure: { initial_interval: ${INITIAL_MS}ms, multiplier: 2, randomization_factor: 0, max_interval: ${MAX_MS}ms, max_elapsed_time: 0 }`;
    collector = await startCollector(`
receivers:
  otlp:
    protocols:
      http: { endpoint: "{OTLP_HTTP}" }
exporters:
  prometheusremotewrite:
    endpoint: ${promProxy.url}/api/v1/write
    timeout: ${TIMEOUT_MS}ms
    ${retry}
  loki:
    endpoint: ${lokiProxy.url}/loki/api/v1/push
    timeout: ${TIMEOUT_MS}ms
    ${retry}
service:
  telemetry: { metrics: { address: "{METRICS}" } }
  pipelines:
    metrics: { receivers: [otlp], exporters: [prometheusremotewrite] }
    logs: { receivers: [otlp], exporters: [loki] }
`);
    lanes = [
      {
        signal: 'metrics',
        label: 'metrics → Prometheus',
        proxy: promProxy,
        sender: (s) => createSender(`${collector.otlpHttp}/v1/metrics`, (ids) => toProtobuf('metrics', metricsJson(ids, s))),
      },
      {
        signal: 'logs',
        label: 'logs → Loki',
        proxy: lokiProxy,
        sender: (s) => createSender(`${collector.otlpHttp}/v1/logs`, (ids) => toProtobuf('logs', logsJson(ids, s))),
      },
    ];
  });
  afterAll(async () => {
    await collector?.process.stop();
    await Promise.all([...(lanes ?? []).map((l) => l.proxy.close()), prometheus?.stop(), loki?.close()]);
  });

  /** Sends 10 requests of 10 items on every lane while `fault` lasts `stormMs`, then heals. */
  async function storm(name: string, fault: Fault, stormMs: number) {
    return Promise.all(
      lanes.map(async (lane) => {
        const t0 = Date.now();
        const sender = lane.sender(name.replaceAll(' ', '-'));
        const first = nextId;
        lane.proxy.always(fault);
        for (let r = 0; r < 10; r++) {
          expect(await sender.send(range(nextId, 10))).toBe(200);
          nextId += 10;
        }
        await new Promise((r) => setTimeout(r, stormMs));
        lane.proxy.always(undefined);
        await lane.proxy.waitForDelivered([...sender.acked].map(String), 20_000);
        const times = attemptTimes(lane.proxy, String(first));
        const f = figures(sender.acked, lane.proxy.delivered, t0);
        return { lane, f, times };
      }),
    );
  }

  it('500 storm: everything arrives and retries back off exponentially', async () => {
    const results = await storm('500 storm', { status: 500, body: 'internal error' }, 2000);
    for (const { lane, f, times } of results) {
      const g = gaps(times);
      report(`500 storm, 2 s (${lane.label})`, {
        ...f,
        notes: `${times.length} attempts of the first batch, gaps ${g.map((x) => `${x}ms`).join(' ')}`,
      });
      expect(f.lost).toBe(0);
      expect(f.duplicates).toBe(0);
      // 100, 200, 400, 800, 800…: each gap at least the configured backoff (timer slack allowed above).
      expect(times.length).toBeGreaterThanOrEqual(4);
      expect(times.length).toBeLessThanOrEqual(8);
      for (const [i, gap] of g.slice(0, 3).entries()) expect(gap).toBeGreaterThanOrEqual(INITIAL_MS * 2 ** i * 0.9);
      for (const gap of g) expect(gap).toBeLessThanOrEqual(MAX_MS + 400);
    }
    expect(
      await selfMetric(collector.metricsUrl, 'stitch_exporter_send_failed_items_total', { reason: 'downstream_error' }),
    ).toBeGreaterThan(0);
  });

  it('429 storm with Retry-After: everything arrives and no retry comes before the asked delay', async () => {
    const results = await storm('429 storm', { status: 429, retryAfter: '1', body: 'rate limited' }, 2500);
    for (const { lane, f, times } of results) {
      const g = gaps(times);
      report(`429 storm + Retry-After: 1, 2.5 s (${lane.label})`, {
        ...f,
        notes: `${times.length} attempts of the first batch, gaps ${g.map((x) => `${x}ms`).join(' ')}`,
      });
      expect(f.lost).toBe(0);
      expect(times.length).toBeGreaterThanOrEqual(2);
      // Retry-After (1 s) replaces the shorter backoff: no attempt of a batch within a second of the last.
      for (const gap of g) expect(gap).toBeGreaterThanOrEqual(950);
    }
  });

  it('a backend slower than the timeout: everything arrives, late acceptances show up as counted duplicates', async () => {
    const results = await Promise.all(
      lanes.map(async (lane) => {
        const t0 = Date.now();
        const sender = lane.sender('slow-backend');
        // The first 4 requests are answered after 2.5× the timeout; the backend still stores them.
        lane.proxy.script(...Array.from({ length: 4 }, () => ({ delayMs: TIMEOUT_MS * 2.5 })));
        for (let r = 0; r < 10; r++) {
          expect(await sender.send(range(nextId, 10))).toBe(200);
          nextId += 10;
        }
        await lane.proxy.waitForDelivered([...sender.acked].map(String), 20_000);
        await new Promise((r) => setTimeout(r, TIMEOUT_MS * 3)); // late answers land
        return { lane, f: figures(sender.acked, lane.proxy.delivered, t0) };
      }),
    );
    for (const { lane, f } of results) {
      const late = lane.proxy.attempts.filter((a) => a.clientGone).length;
      report(`backend slower than the ${TIMEOUT_MS} ms timeout (${lane.label})`, {
        ...f,
        notes: `${late} requests processed after the client timed out`,
      });
      expect(f.lost).toBe(0);
      expect(late).toBeGreaterThanOrEqual(1);
      // Duplicates come only from requests the backend processed after the exporter gave up on them.
      const itemsInLate = lane.proxy.attempts.filter((a) => a.clientGone).reduce((n, a) => n + a.ids.length, 0);
      expect(f.duplicates).toBeLessThanOrEqual(itemsInLate);
    }
    expect(await selfMetric(collector.metricsUrl, 'stitch_exporter_send_failed_items_total')).toBeGreaterThan(0);
  });

  it('a permanent 400 is dropped and counted, never retried, and the next batch goes through', async () => {
    const t0 = Date.now();
    const droppedBefore = await selfMetric(collector.metricsUrl, 'stitch_component_dropped_items_total', {
      reason: 'permanent_error',
    });
    const lokiRejectedBefore = await selfMetric(collector.metricsUrl, 'stitch_exporter_loki_rejected_lines_total');
    for (const lane of lanes) {
      const sender = lane.sender('permanent-400');
      const batch = range(nextId, 10);
      nextId += 10;
      const before = lane.proxy.attempts.length;
      lane.proxy.script({ status: 400, body: 'out of bounds' });
      expect(await sender.send(batch)).toBe(200);
      await new Promise((r) => setTimeout(r, 1500)); // several backoff periods: any retry would show
      // prometheusremotewrite spreads a batch over lanes (one request each): the 400 hits one of them.
      const refusedAttempt = lane.proxy.attempts.slice(before).find((a) => a.outcome === 400);
      const refused = new Set(refusedAttempt?.ids ?? []);
      expect(refused.size).toBeGreaterThan(0);
      const retried = lane.proxy.attempts
        .slice(before)
        .filter((a) => a !== refusedAttempt && a.ids.some((id) => refused.has(id)));
      const f = figures(sender.acked, lane.proxy.delivered, t0, refused);
      report(`permanent 400 (${lane.label})`, {
        ...f,
        rejected: refused.size,
        notes: `refused items sent ${retried.length + 1} time(s)`,
      });
      expect(retried).toHaveLength(0);
      expect(f.lost).toBe(0);
      expect(f.delivered).toBe(batch.length - refused.size);
      expect(f.duplicates).toBe(0);
    }
    // Counted: prometheusremotewrite as permanent_error drops, loki as rejected lines.
    const dropped = await selfMetric(collector.metricsUrl, 'stitch_component_dropped_items_total', { reason: 'permanent_error' });
    expect(dropped - droppedBefore).toBeGreaterThanOrEqual(1);
    expect((await selfMetric(collector.metricsUrl, 'stitch_exporter_loki_rejected_lines_total')) - lokiRejectedBefore).toBe(10);
  });
});
