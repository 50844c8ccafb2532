/**
 * The processor against the list/watch API server stand-in over loopback: association, extraction,
 * owners, grace period, relists, reconnection, wait_for_metadata, self-telemetry.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KubeApiServer, startKubeApiServer } from '../../../../test/helpers/kube-apiserver.js';
import type { LogsData } from '../../model/types.js';
import { attributesToObject } from '../../model/values.js';
import { SelfTelemetry } from '../../telemetry/self-metrics.js';
import { CollectingConsumer, testHost, testSettings } from '../../testing/index.js';
import { k8sAttributesConfigSchema } from './config.js';
import type { K8sMetadataDeps } from './metadata.js';
import { createK8sAttributesProcessor, type K8sAttributesProcessor } from './processor.js';

let api: KubeApiServer;
let running: K8sAttributesProcessor<'logs'>[] = [];
let telemetry: SelfTelemetry;

beforeEach(async () => {
  api = await startKubeApiServer({ bookmarkIntervalMs: 200 });
  telemetry = new SelfTelemetry({ processMetrics: false });
});
afterEach(async () => {
  for (const p of running) await p.shutdown();
  running = [];
  await api.close();
});

const fast: K8sMetadataDeps = { backoff: { initialMs: 20, maxMs: 200 }, watchTimeoutSeconds: () => 30 };

async function start(extra: Record<string, unknown> = {}, deps: K8sMetadataDeps = fast) {
  const config = k8sAttributesConfigSchema.parse({
    auth_type: 'none',
    endpoint: api.url,
    filter: { node: 'node-a' },
    ...extra,
  });
  const next = new CollectingConsumer('logs');
  const p = createK8sAttributesProcessor(testSettings('k8sattributes', 'processor', telemetry), config, 'logs', next, deps);
  running.push(p);
  await p.start(testHost());
  return { p, next };
}

function logs(...resources: Record<string, string>[]): LogsData {
  return {
    resourceLogs: resources.map((attrs) => ({
      resource: { attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })) },
      scopeLogs: [{ scope: { name: 't' }, logRecords: [{ timeUnixNano: 1, body: { stringValue: 'x' }, attributes: [] }] }],
    })),
  } as unknown as LogsData;
}

async function enrich(
  p: K8sAttributesProcessor<'logs'>,
  next: CollectingConsumer<'logs'>,
  data: LogsData,
  clientAddress?: string,
) {
  await p.consume(data, clientAddress ? { clientAddress } : undefined);
  const batch = next.batches.at(-1) as LogsData;
  return batch.resourceLogs.map((r) => attributesToObject(r.resource?.attributes) as Record<string, string>);
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await telemetry.registry.getSingleMetric(name)?.get()) as
    | { values: { labels: Record<string, unknown>; value: number }[] }
    | undefined;
  const v = m?.values.find((x) => Object.entries(labels).every(([k, want]) => String(x.labels[k]) === want));
  return v?.value ?? 0;
}

describe('k8sattributes processor', () => {
  it('associates by connection IP, k8s.pod.ip and k8s.pod.uid with the default metadata, deployment included', async () => {
    const pods = api.addDeployment({ namespace: 'shop', name: 'checkout', node: 'node-a', ips: ['10.1.0.1', '10.1.0.2'] });
    const [a, b] = pods as [(typeof pods)[0], (typeof pods)[0]];
    const { p, next } = await start({
      pod_association: [
        { sources: [{ from: 'resource_attribute', name: 'k8s.pod.ip' }] },
        { sources: [{ from: 'resource_attribute', name: 'k8s.pod.uid' }] },
        { sources: [{ from: 'connection' }] },
      ],
    });
    await until(
      'deployment resolved',
      async () => (await enrich(p, next, logs({}), '10.1.0.1'))[0]?.['k8s.deployment.name'] === 'checkout',
    );
    const [byConn, byIp, byUid, unknown] = await enrich(
      p,
      next,
      logs({}, { 'k8s.pod.ip': '10.1.0.2' }, { 'k8s.pod.uid': a.metadata.uid }, {}),
      '10.1.0.1',
    );
    expect(byConn).toEqual({
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': a.metadata.name,
      'k8s.pod.uid': a.metadata.uid,
      'k8s.pod.start_time': '2024-05-01T10:00:00Z',
      'k8s.node.name': 'node-a',
      'k8s.deployment.name': 'checkout',
    });
    expect(byIp).toMatchObject({ 'k8s.pod.name': b.metadata.name, 'k8s.deployment.name': 'checkout' });
    expect(byUid).toMatchObject({ 'k8s.pod.name': a.metadata.name });
    expect(unknown).toMatchObject({ 'k8s.pod.name': a.metadata.name }); // falls through to the connection
    const missesBefore = await metric('stitch_processor_k8sattributes_associations_total', { signal: 'logs', result: 'miss' });
    const [miss] = await enrich(p, next, logs({ 'k8s.pod.ip': '10.9.9.9' }), '10.1.0.1');
    expect(miss).toEqual({ 'k8s.pod.ip': '10.9.9.9' }); // a present source that matches nothing is a miss
    expect(await metric('stitch_processor_k8sattributes_associations_total', { signal: 'logs', result: 'miss' })).toBe(
      missesBefore + 1,
    );
    expect(
      await metric('stitch_processor_k8sattributes_associations_total', { signal: 'logs', result: 'hit' }),
    ).toBeGreaterThanOrEqual(4);
    expect(await metric('stitch_processor_k8sattributes_pods', { state: 'live' })).toBe(2);
  });

  it('watches only its node: one list and watch with spec.nodeName, and one GET per ReplicaSet however many pods', async () => {
    api.addDeployment({ namespace: 'shop', name: 'web', node: 'node-a', ips: ['10.1.0.1', '10.1.0.2', '10.1.0.3'] });
    api.addDeployment({ namespace: 'shop', name: 'far', node: 'node-b', ips: ['10.2.0.1'] });
    const { p, next } = await start({ wait_for_metadata: true });
    await until('watching', () => api.openWatches === 1);
    const got = await enrich(p, next, logs({}), '10.1.0.3');
    expect(got[0]?.['k8s.deployment.name']).toBe('web');
    expect((await enrich(p, next, logs({}), '10.2.0.1'))[0]).toEqual({});
    const podCalls = api.callsTo(/\/pods$/);
    expect(podCalls.every((c) => c.query.fieldSelector === 'spec.nodeName=node-a')).toBe(true);
    expect(podCalls.map((c) => (c.watch ? 'watch' : 'list')).slice(0, 2)).toEqual(['list', 'watch']);
    expect(podCalls.find((c) => c.watch)?.query).toMatchObject({ allowWatchBookmarks: 'true' });
    expect(api.callsTo(/replicasets/)).toHaveLength(1);
    // Nothing else: no Deployment, Namespace, Node or Job call, and never a list or watch of them.
    expect(api.calls.filter((c) => !/\/pods$|\/replicasets\/[^/]+$/.test(c.path))).toEqual([]);
  });

  it('associates by container.id and by pod name plus namespace, and adds container attributes', async () => {
    const pod = api.addPod({
      name: 'multi',
      namespace: 'ops',
      node: 'node-a',
      ip: '10.1.0.9',
      containers: [
        { name: 'main', image: 'ghcr.io/acme/main:2.0.1' },
        { name: 'sidecar', image: 'envoyproxy/envoy' },
      ],
    });
    const statuses = (pod.status as { containerStatuses: { containerID: string }[] }).containerStatuses;
    const sidecarId = (statuses[1] as { containerID: string }).containerID.replace('containerd://', '');
    const { p, next } = await start({
      wait_for_metadata: true,
      extract: {
        metadata: ['k8s.pod.name', 'k8s.container.name', 'container.id', 'container.image.name', 'container.image.tag'],
      },
      pod_association: [
        { sources: [{ from: 'resource_attribute', name: 'container.id' }] },
        {
          sources: [
            { from: 'resource_attribute', name: 'k8s.pod.name' },
            { from: 'resource_attribute', name: 'k8s.namespace.name' },
          ],
        },
      ],
    });
    const [byContainer, byName, wrongNs] = await enrich(
      p,
      next,
      logs(
        { 'container.id': sidecarId },
        { 'k8s.pod.name': 'multi', 'k8s.namespace.name': 'ops', 'k8s.container.name': 'main' },
        { 'k8s.pod.name': 'multi', 'k8s.namespace.name': 'dev' },
      ),
    );
    expect(byContainer).toEqual({
      'container.id': sidecarId,
      'k8s.pod.name': 'multi',
      'k8s.container.name': 'sidecar',
      'container.image.name': 'envoyproxy/envoy',
      'container.image.tag': 'latest',
    });
    expect(byName).toMatchObject({
      'k8s.container.name': 'main',
      'container.image.name': 'ghcr.io/acme/main',
      'container.image.tag': '2.0.1',
    });
    expect(byName?.['container.id']).toMatch(/^[0-9a-f]{64}$/);
    expect(wrongNs).toEqual({ 'k8s.pod.name': 'multi', 'k8s.namespace.name': 'dev' });
  });

  it('extracts labels and annotations from pods, namespaces and nodes, with key_regex tag names', async () => {
    api.put('namespaces', { metadata: { name: 'shop', labels: { team: 'payments' }, annotations: { owner: 'alice' } } });
    api.put('namespaces', { metadata: { name: 'kube-system' } });
    api.put('nodes', { metadata: { name: 'node-a', labels: { 'topology.kubernetes.io/zone': 'eu-1a' } } });
    api.addPod({
      name: 'p',
      namespace: 'shop',
      node: 'node-a',
      ip: '10.1.0.5',
      labels: { 'app.kubernetes.io/name': 'cart', 'app.kubernetes.io/version': '3.1', tier: 'web' },
      annotations: { 'git-sha': 'abc123', 'resource.opentelemetry.io/service.name': 'cart-svc' },
    });
    const { p, next } = await start({
      wait_for_metadata: true,
      extract: {
        metadata: ['k8s.pod.name', 'k8s.node.uid', 'k8s.cluster.uid'],
        otel_annotations: true,
        labels: [
          { tag_name: 'app.$1', key_regex: 'app\\.kubernetes\\.io/(.*)' },
          { key: 'tier' },
          { tag_name: 'team', key: 'team', from: 'namespace' },
          { tag_name: 'zone', key: 'topology.kubernetes.io/zone', from: 'node' },
        ],
        annotations: [{ key: 'git-sha' }, { key: 'owner', from: 'namespace' }],
      },
    });
    const [got] = await enrich(p, next, logs({}), '10.1.0.5');
    expect(got).toEqual({
      'k8s.pod.name': 'p',
      'app.name': 'cart',
      'app.version': '3.1',
      'k8s.pod.labels.tier': 'web',
      'k8s.pod.annotations.git-sha': 'abc123',
      'service.name': 'cart-svc',
      team: 'payments',
      'k8s.namespace.annotations.owner': 'alice',
      'k8s.cluster.uid': api.get('namespaces', undefined, 'kube-system')?.metadata.uid,
      zone: 'eu-1a',
      'k8s.node.uid': api.get('nodes', undefined, 'node-a')?.metadata.uid,
    });
    expect(api.callsTo(/^\/api\/v1\/namespaces\/shop$/)).toHaveLength(1);
    expect(api.callsTo(/^\/api\/v1\/nodes\/node-a$/)).toHaveLength(1);
  });

  it('never overwrites attributes the sender set, but fills empty ones', async () => {
    api.addPod({ name: 'real', namespace: 'shop', node: 'node-a', ip: '10.1.0.7' });
    const { p, next } = await start({ wait_for_metadata: true });
    const [got] = await enrich(p, next, logs({ 'k8s.pod.name': 'from-sender', 'k8s.namespace.name': '' }), '10.1.0.7');
    expect(got).toMatchObject({ 'k8s.pod.name': 'from-sender', 'k8s.namespace.name': 'shop', 'k8s.node.name': 'node-a' });
  });

  it('resolves a Job pod to its CronJob with one Job GET', async () => {
    api.addCronJobPod({ namespace: 'batch', name: 'nightly', node: 'node-a', ip: '10.1.0.30' });
    const { p, next } = await start({ wait_for_metadata: true, extract: { metadata: ['k8s.job.name', 'k8s.cronjob.name'] } });
    const [got] = await enrich(p, next, logs({}), '10.1.0.30');
    expect(got?.['k8s.cronjob.name']).toBe('nightly');
    expect(got?.['k8s.job.name']).toMatch(/^nightly-\d+$/);
    expect(api.callsTo(/jobs/).map((c) => c.path)).toEqual([`/apis/batch/v1/namespaces/batch/jobs/${got?.['k8s.job.name']}`]);
    expect(api.callsTo(/cronjobs|replicasets/)).toEqual([]);
  });

  it('enriches a pod added at run time, and a deleted one only during the grace period', async () => {
    const { p, next } = await start({ pod_delete_grace_period: '1500ms', wait_for_metadata: true });
    api.addPod({ name: 'late', namespace: 'shop', node: 'node-a', ip: '10.1.0.40' });
    await until('pod added', async () => (await enrich(p, next, logs({}), '10.1.0.40'))[0]?.['k8s.pod.name'] === 'late');
    api.remove('pods', 'shop', 'late');
    await until(
      'deleted pod counted',
      async () => (await metric('stitch_processor_k8sattributes_pods', { state: 'deleted' })) === 1,
    );
    expect((await enrich(p, next, logs({}), '10.1.0.40'))[0]?.['k8s.pod.name']).toBe('late');
    await new Promise((r) => setTimeout(r, 1600));
    expect((await enrich(p, next, logs({}), '10.1.0.40'))[0]).toEqual({});
  });

  it('gives a reused IP to the new pod at once, even while the old one is in its grace period', async () => {
    api.addPod({ name: 'old', node: 'node-a', ip: '10.1.0.50' });
    const { p, next } = await start({ wait_for_metadata: true });
    api.remove('pods', 'default', 'old');
    api.addPod({ name: 'new', node: 'node-a', ip: '10.1.0.50' });
    await until('new pod wins', async () => (await enrich(p, next, logs({}), '10.1.0.50'))[0]?.['k8s.pod.name'] === 'new');
  });

  it('relists after a 410 without losing enrichment, and catches up with changes made meanwhile', async () => {
    api.addPod({ name: 'steady', node: 'node-a', ip: '10.1.0.60' });
    api.addPod({ name: 'doomed', node: 'node-a', ip: '10.1.0.61' });
    const { p, next } = await start({ wait_for_metadata: true, pod_delete_grace_period: '1h' });
    await until('watching', () => api.openWatches === 1);
    api.forceGone();
    // Changes while the client relists: one pod added, one deleted (seen as a deletion by the relist).
    api.addPod({ name: 'newcomer', node: 'node-a', ip: '10.1.0.62' });
    api.remove('pods', 'default', 'doomed');
    for (let i = 0; i < 20; i++) {
      expect((await enrich(p, next, logs({}), '10.1.0.60'))[0]?.['k8s.pod.name']).toBe('steady');
      await new Promise((r) => setTimeout(r, 10));
    }
    await until('newcomer', async () => (await enrich(p, next, logs({}), '10.1.0.62'))[0]?.['k8s.pod.name'] === 'newcomer');
    await until(
      'relist counted',
      async () => (await metric('stitch_processor_k8sattributes_relists_total', { reason: 'gone' })) >= 1,
    );
    await until('doomed in grace', async () => (await metric('stitch_processor_k8sattributes_pods', { state: 'deleted' })) === 1);
    expect((await enrich(p, next, logs({}), '10.1.0.61'))[0]?.['k8s.pod.name']).toBe('doomed');
    expect(
      await metric('stitch_processor_k8sattributes_api_errors_total', { operation: 'watch', status: '410' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('reconnects with backoff after dropped connections and 500s, serving from cache meanwhile, without a crash', async () => {
    api.addPod({ name: 'a', node: 'node-a', ip: '10.1.0.70' });
    const { p, next } = await start({ wait_for_metadata: true });
    await until('watching', () => api.openWatches === 1);
    api.failNext({ status: 500, count: 3, match: /pods\?watch/ });
    api.dropConnections();
    expect((await enrich(p, next, logs({}), '10.1.0.70'))[0]?.['k8s.pod.name']).toBe('a');
    await until('three 500s answered', () => api.calls.filter((c) => c.status === 500).length === 3);
    api.addPod({ name: 'b', node: 'node-a', ip: '10.1.0.71' });
    await until('watch resumed', async () => (await enrich(p, next, logs({}), '10.1.0.71'))[0]?.['k8s.pod.name'] === 'b');
    expect(await metric('stitch_processor_k8sattributes_api_errors_total', { operation: 'watch', status: '500' })).toBe(3);
    // Resumed from the last resourceVersion: no relist was needed.
    expect(api.callsTo(/\/pods$/).filter((c) => !c.watch)).toHaveLength(1);
    const watches = api.callsTo(/\/pods$/).filter((c) => c.watch);
    expect(new Set(watches.map((c) => c.query.resourceVersion)).size).toBeLessThan(watches.length);
  });

  it('keeps retrying a 403 list with backoff; wait_for_metadata fails at its timeout with a coded error', async () => {
    api.failNext({ status: 403, count: 1000, match: /pods/ });
    const config = { wait_for_metadata: true, wait_for_metadata_timeout: '300ms' };
    await expect(start(config)).rejects.toMatchObject({ code: 'STITCH_ERR_K8S_METADATA_TIMEOUT' });
    const lists = api.callsTo(/pods/).length;
    expect(lists).toBeGreaterThanOrEqual(2);
    expect(lists).toBeLessThan(30); // backoff, not a hot loop
    expect(await metric('stitch_processor_k8sattributes_api_errors_total', { operation: 'list', status: '403' })).toBe(lists);
  });

  it('starts without waiting by default, enriching once the list arrives', async () => {
    api.failNext({ status: 503, count: 2, match: /pods/ });
    api.addPod({ name: 'slow', node: 'node-a', ip: '10.1.0.80' });
    const { p, next } = await start();
    expect((await enrich(p, next, logs({}), '10.1.0.80'))[0]).toEqual({});
    await until('listed', async () => (await enrich(p, next, logs({}), '10.1.0.80'))[0]?.['k8s.pod.name'] === 'slow');
  });

  it('passthrough only adds k8s.pod.ip from the connection and calls no API', async () => {
    const { p, next } = await start({ passthrough: true, filter: {} });
    const [got, kept] = await enrich(p, next, logs({}, { 'k8s.pod.ip': '10.0.0.1' }), '10.7.7.7');
    expect(got).toEqual({ 'k8s.pod.ip': '10.7.7.7' });
    expect(kept).toEqual({ 'k8s.pod.ip': '10.0.0.1' });
    expect(api.calls).toEqual([]);
  });

  it('skips excluded pods and pods annotated to be ignored', async () => {
    api.addPod({ name: 'jaeger-agent-x1', node: 'node-a', ip: '10.1.0.90' });
    api.addPod({
      name: 'quiet',
      node: 'node-a',
      ip: '10.1.0.91',
      annotations: { 'opentelemetry.io/k8s-processor-ignore': 'true' },
    });
    api.addPod({ name: 'loud', node: 'node-a', ip: '10.1.0.92' });
    const { p, next } = await start({ wait_for_metadata: true });
    expect((await enrich(p, next, logs({}), '10.1.0.90'))[0]).toEqual({});
    expect((await enrich(p, next, logs({}), '10.1.0.91'))[0]).toEqual({});
    expect((await enrich(p, next, logs({}), '10.1.0.92'))[0]?.['k8s.pod.name']).toBe('loud');
  });

  it('shares one watch between the pipelines of one component ID', async () => {
    api.addPod({ name: 'a', node: 'node-a', ip: '10.1.0.1' });
    const config = k8sAttributesConfigSchema.parse({ auth_type: 'none', endpoint: api.url, filter: { node: 'node-a' } });
    const settings = testSettings('k8sattributes/shared', 'processor', telemetry);
    const procs = (['logs', 'metrics', 'traces'] as const).map((s) =>
      createK8sAttributesProcessor(settings, config, s, new CollectingConsumer(s) as never),
    );
    for (const p of procs) await p.start(testHost());
    await until('watch open', () => api.openWatches === 1);
    expect(api.callsTo(/\/pods$/).filter((c) => !c.watch)).toHaveLength(1);
    for (const p of procs) await p.shutdown();
    await until('watch closed', () => api.openWatches === 0);
  });
});
