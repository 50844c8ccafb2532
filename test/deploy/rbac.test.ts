/**
 * Least privilege: the ClusterRole grants exactly the (API group, resource, verb) triples that
 * the k8sattributes processor uses with the node pipeline's config. The real `stitch collect`
 * runs the ConfigMap's pipeline (the same k8sattributes options; only the API server address,
 * ports and directories are moved to the test's) against the Kubernetes API server stand-in,
 * while pods of every owner kind send OTLP and write container logs. Every call the stand-in
 * recorded must be allowed by a rule (nothing missing), and every rule must have been used
 * (nothing extra).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../../collector/src/testing/index.js';
import { runStitch, type StitchProcess } from '../helpers/collector-process.js';
import { type KubeApiServer, type KubeObject, type RecordedCall, startKubeApiServer } from '../helpers/kube-apiserver.js';
import {
  argValue,
  BASE_DIR,
  configFiles,
  container,
  containerEnv,
  find,
  type KubeDoc,
  kustomizeBuild,
  TEST_ENV,
} from './manifests.js';

/** `group/resource:verb`, the unit RBAC grants. */
type Permission = string;

/** The RBAC attributes of a request, as the API server's request-info resolver derives them. */
function permissionOf(call: Pick<RecordedCall, 'method' | 'path' | 'watch'>): Permission {
  const parts = call.path.split('/').filter(Boolean);
  let rest: string[];
  let group: string;
  if (parts[0] === 'api') {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    group = parts[1]!;
    rest = parts.slice(3);
  } else throw new Error(`not a resource path: ${call.path}`);
  // /namespaces/{ns}/{resource}[/{name}[/{sub}]] unless the resource is namespaces itself.
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource, name, sub] = rest as [string, string | undefined, string | undefined];
  const verbs: Record<string, string> = {
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: name ? 'delete' : 'deletecollection',
  };
  const verb = call.method === 'GET' ? (call.watch ? 'watch' : name ? 'get' : 'list') : verbs[call.method];
  if (!verb) throw new Error(`unexpected method ${call.method}`);
  return `${group}/${sub ? `${resource}/${sub}` : resource}:${verb}`;
}

/** Every permission a ClusterRole's rules grant (no wildcards allowed: they are never least privilege). */
function granted(role: KubeDoc): Set<Permission> {
  const out = new Set<Permission>();
  for (const rule of role.rules) {
    expect(rule.resourceNames, 'resourceNames: the processor GETs arbitrary objects').toBeUndefined();
    for (const list of [rule.apiGroups, rule.resources, rule.verbs]) expect(list).not.toContain('*');
    for (const g of rule.apiGroups) for (const r of rule.resources) for (const v of rule.verbs) out.add(`${g}/${r}:${v}`);
  }
  return out;
}

let api: KubeApiServer;
let stitch: StitchProcess | undefined;
let docs: KubeDoc[];
let metricsUrl: string;
let otlpHttp: number;
const pods: Record<string, KubeObject> = {};

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${stitch?.stderr() ?? ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** POSTs one OTLP/JSON log record from `localAddress` (a pod IP on loopback). */
function sendLog(localAddress: string, resource: Record<string, string> = {}): Promise<number> {
  const body = JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: Object.entries(resource).map(([key, v]) => ({ key, value: { stringValue: v } })) },
        scopeLogs: [
          { logRecords: [{ timeUnixNano: `${Date.now()}000000`, body: { stringValue: `hello from ${localAddress}` } }] },
        ],
      },
    ],
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: otlpHttp,
        localAddress,
        method: 'POST',
        path: '/v1/logs',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('OTLP request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Sum of the processor's association hits or misses from the collector's own /metrics. */
async function associations(result: 'hit' | 'miss'): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('stitch_processor_k8sattributes_associations_total{') && line.includes(`result="${result}"`)) {
      sum += Number(line.split(' ').at(-1));
    }
  }
  return sum;
}

beforeAll(async () => {
  docs = kustomizeBuild(BASE_DIR);
  const ds = find(docs, 'DaemonSet', 'stitch-node');

  api = await startKubeApiServer({ token: 'node-sa-token', bookmarkIntervalMs: 500 });
  for (const ns of ['shop', 'batch']) api.put('namespaces', { metadata: { name: ns } });
  // One pod of each owner kind on this node (127.0.0.x stand for pod IPs), one on another node.
  const [checkout1, checkout2] = api.addDeployment({
    namespace: 'shop',
    name: 'checkout',
    node: 'node-a',
    ips: ['127.0.0.2', '127.0.0.3'],
    labels: { 'app.kubernetes.io/name': 'checkout' },
  }) as [KubeObject, KubeObject];
  pods.checkout1 = checkout1;
  pods.checkout2 = checkout2;
  pods.nightly = api.addCronJobPod({ namespace: 'batch', name: 'nightly', node: 'node-a', ip: '127.0.0.4' });
  const job = api.put('jobs', { metadata: { name: 'migrate', namespace: 'shop' }, spec: {} });
  pods.migrate = api.addPod({
    name: 'migrate-x2v9q',
    namespace: 'shop',
    node: 'node-a',
    ip: '127.0.0.5',
    owner: { kind: 'Job', name: 'migrate', uid: job.metadata.uid, apiVersion: 'batch/v1' },
  });
  const sts = api.put('statefulsets', { metadata: { name: 'db', namespace: 'shop' }, spec: {} });
  pods.db = api.addPod({
    name: 'db-0',
    namespace: 'shop',
    node: 'node-a',
    ip: '127.0.0.6',
    owner: { kind: 'StatefulSet', name: 'db', uid: sts.metadata.uid },
  });
  const dset = api.put('daemonsets', { metadata: { name: 'agent', namespace: 'batch' }, spec: {} });
  pods.agent = api.addPod({
    name: 'agent-7hx2k',
    namespace: 'batch',
    node: 'node-a',
    ip: '127.0.0.7',
    owner: { kind: 'DaemonSet', name: 'agent', uid: dset.metadata.uid },
  });
  api.addDeployment({ namespace: 'shop', name: 'elsewhere', node: 'node-b', ips: ['127.0.0.9'] });

  // The pipeline exactly as the ConfigMap holds it, plus an override file that moves only what
  // this machine needs elsewhere: the API server (a kubeconfig instead of the in-cluster
  // service account), listener ports, directories, and the log tree.
  const dir = mkdtempSync(join(tmpdir(), 'stitch-rbac-'));
  const args = ['collect'];
  for (const f of configFiles(docs, ds)) {
    writeFileSync(join(dir, f.key), f.text);
    args.push('--config', join(dir, f.key));
  }
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: stand-in, cluster: {server: "${api.url}", insecure-skip-tls-verify: true}}]
users: [{name: stitch-node, user: {token: node-sa-token}}]
contexts: [{name: node, context: {cluster: stand-in, user: stitch-node}}]
current-context: node
`,
  );
  mkdirSync(join(dir, 'var/log/pods'), { recursive: true });
  const [health, correlation, grpc, http, self, closed] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  otlpHttp = http!;
  metricsUrl = `http://127.0.0.1:${self}/metrics`;
  const override = join(dir, 'override.yaml');
  writeFileSync(
    override,
    `extensions:
  health_check: { endpoint: 127.0.0.1:${health} }
  file_storage: { directory: ${dir}/state/file_storage }
  correlation: { endpoint: 127.0.0.1:${correlation} }
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${grpc} }
      http: { endpoint: 127.0.0.1:${http} }
  filelog:
    include: [${dir}/var/log/pods/*/*/*.log]
    start_at: beginning
processors:
  k8sattributes:
    auth_type: kubeConfig
    kube_config_path: ${kubeconfig}
exporters:
  prometheusremotewrite:
    wal: { directory: ${dir}/state/prometheusremotewrite }
service:
  telemetry:
    metrics:
      readers: [{ pull: { exporter: { prometheus: { host: 127.0.0.1, port: ${self} } } } }]
`,
  );
  args.push('--config', override, '--shutdown-timeout', argValue(container(ds), '--shutdown-timeout')!);
  // The pod's env, with the backends on a closed loopback port: the data waits in the durable queues.
  const secretKeys = Object.fromEntries(Object.keys(TEST_ENV.secretKeys).map((k) => [k, `http://127.0.0.1:${closed}/`]));
  const env = containerEnv(container(ds), { fieldRefs: TEST_ENV.fieldRefs, secretKeys });
  stitch = runStitch(args, env);
  await stitch.waitFor('Everything is ready', 30_000);
  await until('the pod watch', () => api.openWatches === 1);
  // A container log file that appears now (read from its start). Written after the pod list: with
  // wait_for_metadata off (the Collector's default, kept so an API outage never stops
  // collection), lines read before the first list are sent with the path's metadata only.
  const logDir = join(dir, 'var/log/pods', `shop_${checkout2.metadata.name}_${checkout2.metadata.uid}`, 'app');
  mkdirSync(logDir, { recursive: true });
  const pino = JSON.stringify({ level: 30, time: Date.now(), msg: 'order placed', request_id: 'req-1' });
  writeFileSync(join(logDir, '0.log'), `${new Date().toISOString()} stdout F ${pino}\n`);
}, 90_000);

afterAll(async () => {
  await stitch?.stop();
  await api?.close();
});

describe('ClusterRole stitch-node', () => {
  it('grants exactly what the k8sattributes processor calls, nothing missing and nothing extra', async () => {
    // OTLP by connection (Deployment, StatefulSet, DaemonSet pods), by k8s.pod.ip (CronJob pod)
    // and by k8s.pod.uid (bare Job pod); the container log file associates by its path's pod UID.
    const sends = [
      sendLog('127.0.0.2'),
      sendLog('127.0.0.6'),
      sendLog('127.0.0.7'),
      sendLog('127.0.0.1', { 'k8s.pod.ip': '127.0.0.4' }),
      sendLog('127.0.0.1', { 'k8s.pod.uid': pods.migrate!.metadata.uid }),
    ];
    expect(await Promise.all(sends)).toEqual([200, 200, 200, 200, 200]);
    await until('six associations (five OTLP requests, one container log line)', async () => (await associations('hit')) >= 6);
    expect(await associations('miss')).toBe(0);
    // Owner lookups are lazy and asynchronous: wait until each owner the data needs was fetched.
    await until(
      'the ReplicaSet and both Job lookups',
      () => api.callsTo(/\/replicasets\//).length >= 1 && api.callsTo(/\/jobs\//).length >= 2,
    );

    const calls = api.calls;
    const used = new Set(calls.map(permissionOf));
    const role = find(docs, 'ClusterRole', 'stitch-node');
    const allowed = granted(role);
    expect(
      [...used].filter((p) => !allowed.has(p)),
      'called but not granted',
    ).toEqual([]);
    expect(
      [...allowed].filter((p) => !used.has(p)),
      'granted but never called',
    ).toEqual([]);
    expect([...used].sort()).toEqual(['/pods:list', '/pods:watch', 'apps/replicasets:get', 'batch/jobs:get']);

    // Every call succeeded, and pods were only ever listed and watched for this node.
    expect(calls.filter((c) => c.status >= 400)).toEqual([]);
    for (const c of calls.filter((x) => x.path === '/api/v1/pods')) expect(c.query.fieldSelector).toBe('spec.nodeName=node-a');
    expect(calls.every((c) => c.path === '/api/v1/pods' || /\/namespaces\/[^/]+\/(replicasets|jobs)\/[^/]+$/.test(c.path))).toBe(
      true,
    );
  });

  it('maps API requests to RBAC attributes as the API server does', () => {
    expect(permissionOf({ method: 'GET', path: '/api/v1/pods', watch: true })).toBe('/pods:watch');
    expect(permissionOf({ method: 'GET', path: '/api/v1/namespaces/a/pods', watch: false })).toBe('/pods:list');
    expect(permissionOf({ method: 'GET', path: '/api/v1/namespaces/a/pods/p', watch: false })).toBe('/pods:get');
    expect(permissionOf({ method: 'GET', path: '/api/v1/namespaces/a', watch: false })).toBe('/namespaces:get');
    expect(permissionOf({ method: 'GET', path: '/api/v1/nodes/n', watch: false })).toBe('/nodes:get');
    expect(permissionOf({ method: 'GET', path: '/apis/apps/v1/namespaces/a/replicasets/r', watch: false })).toBe(
      'apps/replicasets:get',
    );
    expect(permissionOf({ method: 'GET', path: '/api/v1/namespaces/a/pods/p/log', watch: false })).toBe('/pods/log:get');
    expect(permissionOf({ method: 'DELETE', path: '/api/v1/namespaces/a/pods', watch: false })).toBe('/pods:deletecollection');
  });

  it('is what the node pipeline needs: no namespace or node rules, since it extracts no labels from them', () => {
    const node = parse(configFiles(docs, find(docs, 'DaemonSet', 'stitch-node')).find((f) => f.key === 'node.yaml')!.text);
    const { labels = [], annotations = [] } = node.processors.k8sattributes.extract;
    const from = new Set<string>([...labels, ...annotations].map((l: { from?: string }) => l.from ?? 'pod'));
    expect([...from]).toEqual(['pod']);
    expect(node.processors.k8sattributes.extract.metadata).not.toContain('k8s.cluster.uid');
    expect(node.processors.k8sattributes.extract.metadata).not.toContain('k8s.node.uid');
  });
});
