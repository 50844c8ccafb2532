/**
 * Fault injection: the Kubernetes API server goes away and comes back, then sends a storm of
 * 410 Gone. The collector (otlp → k8sattributes → loki → strict Loki) runs against the list/watch
 * stand-in (test/helpers/kube-apiserver.ts). During the outage the port accepts connections and
 * resets them, so every reconnection attempt is counted. Expected: enrichment continues from the
 * cache, reconnection backs off (a handful of attempts, not a hot loop), a pod created during
 * the outage is found after the API returns, 410s cause relists and no crash, and every line
 * arrives.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from '../helpers/kube-apiserver.js';
import { type StrictLoki, startStrictLoki } from '../helpers/strict-loki.js';
import {
  createSender,
  logsJson,
  type RunningCollector,
  range,
  report,
  selfMetric,
  startCollector,
  toProtobuf,
  until,
} from './harness.js';

const NODE = 'node-a';

describe('Kubernetes API server outage and 410 storm', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('keeps enriching from the cache, reconnects with backoff, relists on 410, never crashes', async () => {
    const t0 = Date.now();
    let api: KubeApiServer = await startKubeApiServer();
    const port = Number(new URL(api.url).port);
    api.addPod({ name: 'web-1', namespace: 'shop', node: NODE, ip: '10.0.0.1' });
    const loki: StrictLoki = await startStrictLoki();
    cleanup.push(() => loki.close());
    const collector: RunningCollector = await startCollector(`
receivers:
  otlp:
    protocols:
      http: { endpoint: "{OTLP_HTTP}" }
processors:
  k8sattributes:
    auth_type: none
    endpoint: ${api.url}
    filter: { node: ${NODE} }
    pod_association:
      - sources: [{ from: resource_attribute, name: k8s.pod.ip }]
exporters:
  loki:
    endpoint: ${loki.url}
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms }
extensions:
  health_check:
    endpoint: "{OTLP_GRPC}" # a free port; this collector serves no gRPC
service:
  extensions: [health_check]
  telemetry: { metrics: { address: "{METRICS}" } }
  pipelines:
    logs: { receivers: [otlp], processors: [k8sattributes], exporters: [loki] }
`);
    cleanup.push(() => collector.process.stop());
    const health = `http://${collector.otlpGrpc}/`;
    const fromPod = (ip: string) =>
      createSender(`${collector.otlpHttp}/v1/logs`, (ids) =>
        toProtobuf('logs', logsJson(ids, 'k8s-outage', 0, { 'k8s.pod.ip': ip })),
      );
    const web1 = fromPod('10.0.0.1');
    const web2 = fromPod('10.0.0.2');
    let next = 0;
    const podOf = (id: number) => loki.entries().find((e) => e.line === `line-${id}`)?.labels.k8s_pod_name as string | undefined;

    // Warm: the pod is known.
    await until('pod web-1 cached', async () => {
      const id = next++;
      await web1.send([id]);
      await loki.waitForLines(1, 5000);
      return podOf(id) === 'web-1';
    });

    // Outage: the API server is gone; its port resets every connection (counted).
    await api.close();
    const attempts: number[] = [];
    const blackhole = net.createServer((s) => {
      attempts.push(Date.now());
      s.destroy();
    });
    await new Promise<void>((r) => blackhole.listen(port, '127.0.0.1', r));
    const outageStart = Date.now();
    const duringOutage: number[] = [];
    while (Date.now() - outageStart < 4000) {
      const ids = range(next, 5);
      next += 5;
      expect(await web1.send(ids)).toBe(200);
      duringOutage.push(...ids);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await fetch(health)).status).toBe(200);
    await new Promise<void>((r) => blackhole.close(() => r()));
    const outageMs = Date.now() - outageStart;

    // The API server returns (same port, fresh state) with a pod created meanwhile.
    api = await startKubeApiServer({ port });
    cleanup.push(() => api.close());
    api.addPod({ name: 'web-1', namespace: 'shop', node: NODE, ip: '10.0.0.1' });
    api.addPod({ name: 'web-2', namespace: 'shop', node: NODE, ip: '10.0.0.2' });
    const back = Date.now();
    await until(
      'pod web-2 found after the outage',
      async () => {
        const id = next++;
        await web2.send([id]);
        await until('line stored', () => podOf(id) !== undefined || loki.entries().some((e) => e.line === `line-${id}`), 5000);
        return podOf(id) === 'web-2';
      },
      35_000,
    );
    const recoveredMs = Date.now() - back;

    // 410 storm: every open watch gets 410 Gone ten times in a row; data keeps flowing.
    const relistsBefore = await selfMetric(collector.metricsUrl, 'stitch_processor_k8sattributes_relists_total');
    const duringStorm: number[] = [];
    for (let i = 0; i < 10; i++) {
      api.forceGone();
      const ids = range(next, 5);
      next += 5;
      expect(await (i % 2 ? web1 : web2).send(ids)).toBe(200);
      duringStorm.push(...ids);
      await new Promise((r) => setTimeout(r, 150));
    }
    api.addPod({ name: 'web-3', namespace: 'shop', node: NODE, ip: '10.0.0.3' });
    const web3 = fromPod('10.0.0.3');
    await until(
      'pod web-3 found after the 410 storm',
      async () => {
        const id = next++;
        await web3.send([id]);
        await until('line stored', () => loki.entries().some((e) => e.line === `line-${id}`), 5000);
        return podOf(id) === 'web-3';
      },
      20_000,
    );
    const relists = (await selfMetric(collector.metricsUrl, 'stitch_processor_k8sattributes_relists_total')) - relistsBefore;

    const sent = [...duringOutage, ...duringStorm];
    await until('every line stored', () => sent.every((id) => loki.entries().some((e) => e.line === `line-${id}`)), 10_000);
    const enriched = sent.filter((id) => podOf(id) !== undefined).length;
    const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] ?? 0));
    const delivered = sent.filter((id) => loki.entries().some((e) => e.line === `line-${id}`)).length;
    report('Kubernetes API outage (4 s, connections reset) then 410 storm (10×)', {
      sent: sent.length,
      delivered,
      duplicates: loki.entries().filter((e) => sent.includes(Number(e.line.slice(5)))).length - delivered,
      lost: sent.length - delivered,
      ms: Date.now() - t0,
      notes: `${enriched}/${sent.length} lines enriched from cache; ${attempts.length} reconnection attempts in ${outageMs} ms (gaps ${gaps.map((g) => `${g}ms`).join(' ')}); new pod found ${recoveredMs} ms after the API returned; ${relists} relists in the 410 storm`,
    });
    expect(delivered).toBe(sent.length);
    expect(enriched).toBe(sent.length);
    // Backoff: 1 s doubling ceilings with jitter, so a handful of attempts in 4 s, never a hot loop.
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts.length).toBeLessThanOrEqual(10);
    expect(relists).toBeGreaterThanOrEqual(1);
    expect(collector.process.child.exitCode).toBeNull();
    expect((await fetch(health)).status).toBe(200);
  });
});
