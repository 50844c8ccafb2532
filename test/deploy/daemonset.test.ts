/**
 * The DaemonSet (and the gateway Deployment) as built by kustomize: security settings, probes
 * against health_check's endpoint in the mounted config, downward-API env, mounts, the memory
 * arithmetic of deploy/README.md ("Memory"), and the shutdown timing. Values, not presence.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  argValue,
  BASE_DIR,
  configFiles,
  container,
  durationSeconds,
  find,
  GATEWAY_DIR,
  type KubeDoc,
  kustomizeBuild,
  podSpec,
  quantityMiB,
} from './manifests.js';

let base: KubeDoc[];
let gateway: KubeDoc[];
let ds: KubeDoc;
let c: Record<string, any>;
let nodeConfig: Record<string, any>;

beforeAll(() => {
  base = kustomizeBuild(BASE_DIR);
  gateway = kustomizeBuild(GATEWAY_DIR);
  ds = find(base, 'DaemonSet', 'stitch-node');
  c = container(ds);
  nodeConfig = parse(configFiles(base, ds).find((f) => f.key === 'node.yaml')!.text);
});

/** The memory rules of deploy/README.md, from the container's memory limit. */
const MEMORY = {
  limitFraction: 0.7, // memory_limiter limit_mib
  spikeFraction: 0.2, // spike_limit_mib, of limit_mib
  oldSpaceFraction: 0.75, // --max-old-space-size
  semiSpaceMiB: 16, // --max-semi-space-size: the young generation is 3 x this
  nativeReserveMiB: 64, // code, stacks, allocator: never given to the heap
};

function nodeOptions(ctr: Record<string, any>): Map<string, string> {
  const value: string = ctr.env.find((e: { name: string }) => e.name === 'NODE_OPTIONS').value;
  return new Map(value.split(/\s+/).map((f) => f.split('=') as [string, string]));
}

function expectMemoryArithmetic(workload: KubeDoc, config: Record<string, any>): void {
  const ctr = container(workload);
  const limit = quantityMiB(ctr.resources.limits.memory);
  // Requests = limits for memory: the collector is never the first pod the kubelet evicts.
  expect(quantityMiB(ctr.resources.requests.memory)).toBe(limit);
  const ml = config.processors.memory_limiter;
  expect(ml.limit_mib).toBe(Math.floor(limit * MEMORY.limitFraction));
  expect(ml.spike_limit_mib).toBe(Math.floor(ml.limit_mib * MEMORY.spikeFraction));
  expect(ml.check_interval).toBe('1s');
  const opts = nodeOptions(ctr);
  const oldSpace = Number(opts.get('--max-old-space-size'));
  const semi = Number(opts.get('--max-semi-space-size'));
  expect(oldSpace).toBe(Math.floor(limit * MEMORY.oldSpaceFraction));
  expect(semi).toBe(MEMORY.semiSpaceMiB);
  expect(opts.has('--expose-gc')).toBe(true);
  // V8 must not abort before the limiter acts, and the whole heap must fit in the container.
  expect(oldSpace).toBeGreaterThan(ml.limit_mib);
  expect(oldSpace + 3 * semi + MEMORY.nativeReserveMiB).toBeLessThanOrEqual(limit);
  // Every pipeline starts with the memory_limiter.
  for (const [name, p] of Object.entries<any>(config.service.pipelines)) {
    if (p.processors) expect(p.processors[0], name).toBe('memory_limiter');
  }
}

/** health_check's `host:port` with ${env:MY_POD_IP} (probes go to the pod IP). */
function expectProbesOnHealthCheck(workload: KubeDoc, config: Record<string, any>): void {
  const ctr = container(workload);
  const endpoint: string = config.extensions.health_check.endpoint;
  expect(endpoint).toMatch(/^\$\{env:MY_POD_IP\}:\d+$/);
  const port = Number(endpoint.split(':').at(-1));
  const named = ctr.ports.find((p: { name: string }) => p.name === 'health');
  expect(named.containerPort).toBe(port);
  const path = config.extensions.health_check.path ?? '/';
  const probes = ['readinessProbe', 'livenessProbe', ...(ctr.startupProbe ? ['startupProbe'] : [])];
  for (const probe of probes) {
    expect(ctr[probe].httpGet, probe).toEqual({ path, port: 'health' });
  }
  // MY_POD_IP is the pod IP the kubelet probes.
  expect(ctr.env.find((e: { name: string }) => e.name === 'MY_POD_IP').valueFrom).toEqual({
    fieldRef: { fieldPath: 'status.podIP' },
  });
  // Liveness is more patient than readiness: a busy collector goes unready long before it is killed.
  const patience = (p: any) => p.periodSeconds * p.failureThreshold;
  expect(patience(ctr.livenessProbe)).toBeGreaterThan(patience(ctr.readinessProbe));
}

describe('DaemonSet stitch-node', () => {
  it('runs the node pipeline from the ConfigMap with a drain deadline shorter than the grace period', () => {
    expect(configFiles(base, ds).map((f) => f.path)).toEqual(['/etc/stitch/node.yaml', '/etc/stitch/exporters.yaml']);
    expect(c.args[0]).toBe('collect');
    const drain = durationSeconds(argValue(c, '--shutdown-timeout')!);
    expect(drain).toBe(20);
    // The kubelet sends SIGKILL at the grace period: the drain (and the exit after it) must come first.
    expect(podSpec(ds).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(drain + 10);
  });

  it('sets the downward-API env the pipeline expands', () => {
    const fieldRefs = Object.fromEntries(
      c.env.filter((e: any) => e.valueFrom?.fieldRef).map((e: any) => [e.name, e.valueFrom.fieldRef.fieldPath]),
    );
    expect(fieldRefs).toEqual({
      K8S_NODE_NAME: 'spec.nodeName',
      MY_POD_IP: 'status.podIP',
      K8S_POD_NAME: 'metadata.name',
      K8S_POD_NAMESPACE: 'metadata.namespace',
    });
    // The pipeline uses them: k8sattributes watches this node only, listeners bind the pod IP.
    expect(nodeConfig.processors.k8sattributes.filter.node_from_env_var).toBe('K8S_NODE_NAME');
    const podIp = (port: number) => `\${env:MY_POD_IP}:${port}`;
    expect(nodeConfig.receivers.otlp.protocols.grpc.endpoint).toBe(podIp(4317));
    expect(nodeConfig.receivers.otlp.protocols.http.endpoint).toBe(podIp(4318));
  });

  it('probes health_check where the config binds it', () => {
    expectProbesOnHealthCheck(ds, nodeConfig);
  });

  it('derives memory_limiter and the V8 heap from the memory limit', () => {
    expect(container(ds).resources).toEqual({
      requests: { cpu: '100m', memory: '512Mi' },
      limits: { cpu: '1', memory: '512Mi' },
    });
    expectMemoryArithmetic(ds, nodeConfig);
  });

  it('runs non-root, read-only, without privileges or capabilities, under RuntimeDefault seccomp', () => {
    const spec = podSpec(ds);
    expect(spec.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      supplementalGroups: [0],
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec.hostNetwork).toBeUndefined();
    expect(spec.hostPID).toBeUndefined();
    // The one root step: chown of the state directory, with CAP_CHOWN only.
    expect(spec.initContainers).toHaveLength(1);
    const init = spec.initContainers[0];
    expect(init.command).toEqual(['chown', '10001:10001', '/var/lib/stitch']);
    expect(init.securityContext).toEqual({
      runAsNonRoot: false,
      runAsUser: 0,
      runAsGroup: 0,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'], add: ['CHOWN'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(init.volumeMounts).toEqual([{ name: 'state', mountPath: '/var/lib/stitch' }]);
  });

  it('mounts the pod logs read-only and the state directory where the queues and checkpoints live', () => {
    const spec = podSpec(ds);
    const volumes = Object.fromEntries(spec.volumes.map((v: any) => [v.name, v]));
    const mounts = Object.fromEntries(c.volumeMounts.map((m: any) => [m.name, m]));
    expect(volumes.varlogpods.hostPath).toEqual({ path: '/var/log/pods', type: 'Directory' });
    expect(mounts.varlogpods).toEqual({ name: 'varlogpods', mountPath: '/var/log/pods', readOnly: true });
    expect(volumes.state.hostPath).toEqual({ path: '/var/lib/stitch', type: 'DirectoryOrCreate' });
    expect(mounts.state).toEqual({ name: 'state', mountPath: '/var/lib/stitch' });
    expect(mounts.config.readOnly).toBe(true);
    // With a read-only root filesystem, /tmp is the only other writable place, and bounded.
    expect(volumes.tmp.emptyDir).toEqual({ sizeLimit: '64Mi' });
    // Only the state directory is a writable hostPath.
    const writableHostPaths = c.volumeMounts.filter((m: any) => volumes[m.name].hostPath && !m.readOnly).map((m: any) => m.name);
    expect(writableHostPaths).toEqual(['state']);
    // The pipeline reads and writes exactly there.
    expect(nodeConfig.receivers.filelog.include).toEqual(['/var/log/pods/*/*/*.log']);
    expect(nodeConfig.receivers.filelog.storage).toBe('file_storage');
    // Never drop log lines while the pipeline refuses: the files are the buffer.
    expect(nodeConfig.receivers.filelog.retry_on_failure).toEqual({ enabled: true, max_elapsed_time: '0s' });
    expect(nodeConfig.extensions.file_storage.directory.startsWith('/var/lib/stitch/')).toBe(true);
    const exporters = parse(configFiles(base, ds).find((f) => f.key === 'exporters.yaml')!.text).exporters;
    expect(exporters.prometheusremotewrite.wal.directory.startsWith('/var/lib/stitch/')).toBe(true);
    expect(exporters.loki.sending_queue.storage).toBe('file_storage');
    expect(exporters['otlp/traces'].sending_queue.storage).toBe('file_storage');
  });

  it('runs on every node and rolls one slice at a time without surge', () => {
    const spec = podSpec(ds);
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(spec.nodeSelector).toBeUndefined();
    expect(spec.affinity).toBeUndefined();
    expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '10%' } });
    const priority = find(base, 'PriorityClass', spec.priorityClassName);
    expect(priority.value).toBeGreaterThan(0);
    expect(priority.globalDefault).toBe(false);
  });

  it('exposes OTLP on hostPorts for apps that use status.hostIP', () => {
    const ports = Object.fromEntries(c.ports.map((p: any) => [p.name, p]));
    expect(ports['otlp-grpc']).toEqual({ name: 'otlp-grpc', containerPort: 4317, hostPort: 4317, protocol: 'TCP' });
    expect(ports['otlp-http']).toEqual({ name: 'otlp-http', containerPort: 4318, hostPort: 4318, protocol: 'TCP' });
    expect(ports.health.hostPort).toBeUndefined();
    expect(ports.metrics.containerPort).toBe(nodeConfig.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port);
  });
});

describe('Deployment stitch-gateway', () => {
  it('has the same guarantees: probes on health_check, memory arithmetic, drain before the grace period', () => {
    const deploy = find(gateway, 'Deployment', 'stitch-gateway');
    const files = configFiles(gateway, deploy);
    expect(files.map((f) => f.key)).toEqual(['gateway.yaml']);
    const config = parse(files[0]!.text);
    expectProbesOnHealthCheck(deploy, config);
    expectMemoryArithmetic(deploy, config);
    const drain = durationSeconds(argValue(container(deploy), '--shutdown-timeout')!);
    expect(podSpec(deploy).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(drain + 10);
    // The gateway's retries end well before the nodes' export deadline, so a node hears the outcome.
    const nodeExport = parse(find(gateway, 'ConfigMap', 'stitch-node-config').data['exporters.yaml']).exporters['otlp/gateway'];
    for (const [id, exp] of Object.entries<any>(config.exporters)) {
      expect(durationSeconds(exp.retry_on_failure.max_elapsed_time), id).toBeLessThan(durationSeconds(nodeExport.timeout));
      expect(exp.sending_queue?.enabled ?? exp.remote_write_queue?.enabled, `${id}: no queue in the gateway`).toBe(false);
    }
    // The gateway does not enrich (no API access): the nodes did.
    expect(config.processors.k8sattributes).toBeUndefined();
  });
});
