/**
 * Fault injection: the backends are down (connection refused) for the whole send, then come up.
 * Metrics go to a real Prometheus, logs to the strict Loki receiver, each behind a fault proxy
 * that counts what the backend accepted. Everything the collector acknowledged must arrive.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrometheusHandle, startPrometheus } from '../helpers/prometheus.js';
import { type StrictLoki, startStrictLoki } from '../helpers/strict-loki.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import {
  createSender,
  figures,
  logsJson,
  lokiIds,
  metricsJson,
  PROBE_METRIC,
  type RunningCollector,
  range,
  remoteWriteIds,
  report,
  selfMetric,
  startCollector,
  toProtobuf,
} from './harness.js';

const REQUESTS = 40;
const PER_REQUEST = 10;

describe('backend down for the whole send, then up', () => {
  let prometheus: PrometheusHandle;
  let loki: StrictLoki;
  let promProxy: FaultProxy;
  let lokiProxy: FaultProxy;
  let collector: RunningCollector;

  beforeAll(async () => {
    [prometheus, loki] = await Promise.all([startPrometheus(), startStrictLoki()]);
    promProxy = await startFaultProxy({ upstream: prometheus.url, decode: remoteWriteIds, startDown: true });
    lokiProxy = await startFaultProxy({
      upstream: loki.url.replace(/\/loki\/api\/v1\/push$/, ''),
      decode: lokiIds,
      startDown: true,
    });
    collector = await startCollector(`
receivers:
  otlp:
    protocols:
      http: { endpoint: "{OTLP_HTTP}" }
exporters:
  prometheusremotewrite:
    endpoint: ${promProxy.url}/api/v1/write
    retry_on_failure: { initial_interval: 50ms, max_interval: 400ms, max_elapsed_time: 0 }
  loki:
    endpoint: ${lokiProxy.url}/loki/api/v1/push
    retry_on_failure: { initial_interval: 50ms, max_interval: 400ms, max_elapsed_time: 0 }
service:
  telemetry: { metrics: { address: "{METRICS}" } }
  pipelines:
    metrics: { receivers: [otlp], exporters: [prometheusremotewrite] }
    logs: { receivers: [otlp], exporters: [loki] }
`);
  });
  afterAll(async () => {
    await collector?.process.stop();
    await Promise.all([promProxy?.close(), lokiProxy?.close(), prometheus?.stop(), loki?.close()]);
  });

  it('delivers every metric to Prometheus once it is reachable', async () => {
    const t0 = Date.now();
    const sender = createSender(`${collector.otlpHttp}/v1/metrics`, (ids) =>
      toProtobuf('metrics', metricsJson(ids, 'backend-down')),
    );
    for (let r = 0; r < REQUESTS; r++) expect(await sender.send(range(r * PER_REQUEST, PER_REQUEST))).toBe(200);
    // Down for the whole send: every attempt so far was refused at the TCP level.
    await new Promise((r) => setTimeout(r, 500));
    expect(promProxy.attempts).toHaveLength(0);
    expect(
      await selfMetric(collector.metricsUrl, 'stitch_exporter_send_failed_items_total', { reason: 'downstream_error' }),
    ).toBeGreaterThan(0);

    await promProxy.up();
    await promProxy.waitForDelivered([...sender.acked].map(String), 30_000);
    const f = figures(sender.acked, promProxy.delivered, t0);
    report('backend down then up (metrics → Prometheus)', f);
    expect(f.lost).toBe(0);
    expect(f.sent).toBe(REQUESTS * PER_REQUEST);
    // What a user sees: Prometheus answers for every point.
    await prometheus.waitFor(`count(${PROBE_METRIC}{job="backend-down"})`, (v) => Number(v[0]?.value[1]) === f.sent, 20_000);
  });

  it('delivers every log line to Loki once it is reachable', async () => {
    const t0 = Date.now();
    const sender = createSender(`${collector.otlpHttp}/v1/logs`, (ids) => toProtobuf('logs', logsJson(ids, 'backend-down')));
    for (let r = 0; r < REQUESTS; r++) expect(await sender.send(range(r * PER_REQUEST, PER_REQUEST))).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(lokiProxy.attempts).toHaveLength(0);

    await lokiProxy.up();
    await lokiProxy.waitForDelivered([...sender.acked].map(String), 30_000);
    const f = figures(sender.acked, lokiProxy.delivered, t0);
    report('backend down then up (logs → Loki)', f);
    expect(f.lost).toBe(0);
    expect(f.sent).toBe(REQUESTS * PER_REQUEST);
    const lines = new Set(loki.entries({ service_name: 'backend-down' }).map((e) => e.line));
    expect(lines.size).toBe(f.sent);
  });
});
