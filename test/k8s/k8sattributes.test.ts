/**
 * End to end: the real `stitch` CLI with the k8sattributes processor, authenticating with a
 * kubeconfig (bearer token) to the list/watch API server stand-in, filtered to its node by
 * K8S_NODE_NAME. Apps are the official OpenTelemetry JS SDK exporters, each bound to its own
 * loopback address (Linux routes all of 127/8 to lo, so 127.0.0.x "is" a pod IP). Metrics go to
 * a real Prometheus (target_info and resource_to_telemetry labels), logs to the strict Loki
 * receiver (stream labels).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../collector/src/testing/index.js';
import { runStitch, type StitchProcess, writeConfig } from '../helpers/collector-process.js';
import { type KubeApiServer, type KubeObject, startKubeApiServer } from '../helpers/kube-apiserver.js';
import { type PrometheusHandle, startPrometheus } from '../helpers/prometheus.js';
import { type StrictLoki, startStrictLoki } from '../helpers/strict-loki.js';

let api: KubeApiServer;
let prom: PrometheusHandle;
let loki: StrictLoki;
let stitch: StitchProcess;
let otlpUrl: string;
let metricsUrl: string;
let podA: KubeObject;
let podB: KubeObject;

beforeAll(async () => {
  api = await startKubeApiServer({ token: 'e2e-token', bookmarkIntervalMs: 500 });
  api.put('namespaces', { metadata: { name: 'shop', labels: { team: 'payments' } } });
  [podA, podB] = api.addDeployment({ namespace: 'shop', name: 'checkout', node: 'node-a', ips: ['127.0.0.2', '127.0.0.3'] }) as [
    KubeObject,
    KubeObject,
  ];
  // A pod on another node, and many more: the collector must never see them.
  api.addDeployment({ namespace: 'shop', name: 'elsewhere', node: 'node-b', ips: ['127.0.0.9'] });
  api.seedPods(
    Array.from({ length: 2000 }, (_, i) => ({
      name: `filler-${i}`,
      namespace: 'bulk',
      node: `node-${(i % 50) + 10}`,
      ip: `10.9.${i >> 8}.${i & 255}`,
    })),
  );
  [prom, loki] = await Promise.all([startPrometheus(), startStrictLoki()]);

  const [otlpPort, selfPort] = [await freePort(), await freePort()];
  const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 0.0.0.0:${otlpPort}
processors:
  k8sattributes:
    auth_type: kubeConfig
    kube_config_path: \${env:STITCH_E2E_KUBECONFIG}
    filter:
      node_from_env_var: K8S_NODE_NAME
    extract:
      metadata: [k8s.namespace.name, k8s.pod.name, k8s.pod.uid, k8s.deployment.name, k8s.node.name]
      labels:
        - tag_name: team
          key: team
          from: namespace
    pod_association:
      - sources: [{ from: resource_attribute, name: k8s.pod.ip }]
      - sources: [{ from: resource_attribute, name: k8s.pod.uid }]
      - sources: [{ from: connection }]
exporters:
  prometheusremotewrite:
    endpoint: ${prom.writeUrl}
    resource_to_telemetry_conversion:
      enabled: true
  loki:
    endpoint: ${loki.url}
    labels:
      resource: [team]
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${selfPort}
  pipelines:
    metrics: { receivers: [otlp], processors: [k8sattributes], exporters: [prometheusremotewrite] }
    logs: { receivers: [otlp], processors: [k8sattributes], exporters: [loki] }
`);
  const kubeconfig = join(dirname(config), 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: stand-in
  cluster:
    server: ${api.url}
    insecure-skip-tls-verify: true
users:
- name: collector
  user:
    token: e2e-token
contexts:
- name: e2e
  context: { cluster: stand-in, user: collector }
current-context: e2e
`,
  );
  stitch = runStitch(['collect', '--config', config], { K8S_NODE_NAME: 'node-a', STITCH_E2E_KUBECONFIG: kubeconfig });
  await stitch.waitFor('Everything is ready', 30_000);
  otlpUrl = `http://127.0.0.1:${otlpPort}`;
  metricsUrl = `http://127.0.0.1:${selfPort}/metrics`;
  await until('pod watch open', () => api.openWatches === 1);
}, 90_000);

afterAll(async () => {
  await stitch?.stop();
  await Promise.all([prom?.stop(), loki?.close(), api?.close()]);
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${stitch?.stderr().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends one log record from `localAddress`, as an app in the pod with that IP would. */
async function sendLog(localAddress: string, body: string, resource: Record<string, string> = {}) {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', ...resource }),
    processors: [
      new SimpleLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: `${otlpUrl}/v1/logs`, httpAgentOptions: { localAddress } as never }),
      }),
    ],
  });
  provider.getLogger('e2e').emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body });
  await provider.forceFlush();
  await provider.shutdown();
}

function lokiLabels(body: string): Record<string, string> | undefined {
  return loki.entries().find((e) => e.line === body)?.labels;
}

async function expectLogLabels(body: string, labels: Record<string, string>) {
  await until(`log ${body} in Loki`, () => lokiLabels(body) !== undefined);
  expect(lokiLabels(body)).toMatchObject(labels);
}

describe('k8sattributes end to end', () => {
  it('enriches metrics by connection IP: target_info and resource_to_telemetry labels in Prometheus', async () => {
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.instance.id': 'a-1' }),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({
            url: `${otlpUrl}/v1/metrics`,
            httpAgentOptions: { localAddress: '127.0.0.2' } as never,
          }),
          exportIntervalMillis: 60_000,
        }),
      ],
    });
    provider.getMeter('e2e').createCounter('orders').add(3);
    await provider.forceFlush();
    await provider.shutdown();
    const info = await prom.waitFor('target_info{job="checkout"}', (v) => v.length > 0, 20_000);
    expect(info[0]?.metric).toMatchObject({
      instance: 'a-1',
      k8s_pod_name: podA.metadata.name,
      k8s_pod_uid: podA.metadata.uid,
      k8s_namespace_name: 'shop',
      k8s_deployment_name: 'checkout',
      k8s_node_name: 'node-a',
      team: 'payments',
    });
    const orders = await prom.waitFor('orders_total{job="checkout"}', (v) => v.length > 0, 20_000);
    expect(orders[0]?.metric).toMatchObject({ k8s_pod_name: podA.metadata.name, k8s_deployment_name: 'checkout' });
  });

  it('enriches logs by connection, by k8s.pod.ip and by k8s.pod.uid: Loki stream labels', async () => {
    await sendLog('127.0.0.3', 'by-connection');
    await expectLogLabels('by-connection', {
      k8s_pod_name: podB.metadata.name,
      k8s_namespace_name: 'shop',
      k8s_deployment_name: 'checkout',
      team: 'payments',
    });
    // From the collector's own address (no pod), the resource names the pod.
    await sendLog('127.0.0.1', 'by-pod-ip', { 'k8s.pod.ip': '127.0.0.2' });
    await expectLogLabels('by-pod-ip', { k8s_pod_name: podA.metadata.name });
    await sendLog('127.0.0.1', 'by-pod-uid', { 'k8s.pod.uid': podB.metadata.uid });
    await expectLogLabels('by-pod-uid', { k8s_pod_name: podB.metadata.name });
    // A pod on another node is unknown here.
    await sendLog('127.0.0.9', 'other-node');
    await until('other-node log', () => lokiLabels('other-node') !== undefined);
    expect(lokiLabels('other-node')?.k8s_pod_name).toBeUndefined();
  });

  it('enriches a pod added at run time, and a deleted one during the grace period', async () => {
    api.addPod({ name: 'latecomer', namespace: 'shop', node: 'node-a', ip: '127.0.0.4' });
    await until('latecomer enriched', async () => {
      await sendLog('127.0.0.4', `late-${Date.now()}`);
      return loki.entries().some((e) => e.line.startsWith('late-') && e.labels.k8s_pod_name === 'latecomer');
    });
    api.remove('pods', 'shop', 'latecomer');
    await until('deletion seen', async () =>
      /stitch_processor_k8sattributes_pods\{[^}]*state="deleted"[^}]*\} 1/.test(await (await fetch(metricsUrl)).text()),
    );
    await sendLog('127.0.0.4', 'after-delete');
    await expectLogLabels('after-delete', { k8s_pod_name: 'latecomer' });
  });

  it('loses no enrichment across a forced 410 and catches up with pods added meanwhile', async () => {
    api.forceGone();
    api.addPod({ name: 'during-relist', namespace: 'shop', node: 'node-a', ip: '127.0.0.5' });
    await sendLog('127.0.0.2', 'right-after-410');
    await expectLogLabels('right-after-410', { k8s_pod_name: podA.metadata.name });
    await until('relisted pod enriched', async () => {
      await sendLog('127.0.0.5', `relist-${Date.now()}`);
      return loki.entries().some((e) => e.line.startsWith('relist-') && e.labels.k8s_pod_name === 'during-relist');
    });
    const self = await (await fetch(metricsUrl)).text();
    expect(self).toMatch(/stitch_processor_k8sattributes_relists_total\{[^}]*reason="gone"[^}]*\} [1-9]/);
    expect(self).toMatch(/stitch_processor_k8sattributes_associations_total\{[^}]*result="hit"[^}]*\} [1-9]/);
  });

  it('made only node-scoped pod list/watch calls and single GETs: never a cluster-wide watch or list', () => {
    const calls = api.calls;
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.status === 200 || c.status === 404)).toBe(true);
    for (const c of calls.filter((x) => x.path === '/api/v1/pods')) expect(c.query.fieldSelector).toBe('spec.nodeName=node-a');
    // Every call, as (verb, resource), for the RBAC list in the processor's README.
    const verbs = new Set(
      calls.map((c) => {
        if (c.path === '/api/v1/pods') return c.watch ? 'watch pods' : 'list pods';
        const m = /\/(replicasets|jobs|namespaces|nodes)\/[^/]+$/.exec(c.path);
        return m ? `get ${m[1]}` : `unexpected ${c.path}`;
      }),
    );
    expect([...verbs].sort()).toEqual(['get namespaces', 'get replicasets', 'list pods', 'watch pods']);
    expect(calls.filter((c) => c.path.includes('/replicasets/'))).toHaveLength(1);
  });
});
