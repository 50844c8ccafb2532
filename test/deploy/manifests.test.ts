/**
 * deploy/kubernetes: the base and the gateway overlay build with kustomize, every object is valid
 * against the Kubernetes OpenAPI schema (no unknown fields either), and the objects refer to each
 * other correctly (selectors, ports, names, the node-local Service, the gateway wiring).
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  BASE_DIR,
  container,
  find,
  GATEWAY_DIR,
  type KubeDoc,
  kustomizeBuild,
  podSpec,
  unknownFields,
  validateObject,
} from './manifests.js';

let base: KubeDoc[];
let gateway: KubeDoc[];

beforeAll(() => {
  base = kustomizeBuild(BASE_DIR);
  gateway = kustomizeBuild(GATEWAY_DIR);
});

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass']);
const kinds = (docs: KubeDoc[]) => docs.map((d) => `${d.kind}/${d.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort();

/** Every Service's selector picks the pods of a workload in the build, and its target ports exist there. */
function expectServiceWiring(docs: KubeDoc[], serviceName: string, workload: KubeDoc): void {
  const svc = find(docs, 'Service', serviceName);
  const labels = workload.spec.template.metadata.labels;
  for (const [k, v] of Object.entries(svc.spec.selector)) expect(labels[k], `selector ${k}`).toBe(v);
  const ports = new Set(container(workload).ports.map((p: { name: string }) => p.name));
  for (const p of svc.spec.ports) expect(ports.has(p.targetPort), `targetPort ${p.targetPort}`).toBe(true);
  // The workload's own selector matches its template (the API server rejects it otherwise).
  for (const [k, v] of Object.entries(workload.spec.selector.matchLabels)) expect(labels[k]).toBe(v);
}

describe('kustomize base', () => {
  it('holds exactly the node tier', () => {
    expect(kinds(base)).toEqual([
      'ClusterRole/stitch-node',
      'ClusterRoleBinding/stitch-node',
      'ConfigMap/stitch-node-config',
      'DaemonSet/stitch-node',
      'Namespace/observability',
      'PriorityClass/stitch-node',
      'Service/stitch-node',
      'ServiceAccount/stitch-node',
    ]);
  });

  it('validates every object against the Kubernetes OpenAPI schema', async () => {
    for (const doc of base) expect(await validateObject(doc), `${doc.kind}/${doc.metadata.name}`).toEqual([]);
  });

  it('puts namespaced objects in the namespace it creates and labels everything part-of stitch', () => {
    for (const doc of base) {
      expect(doc.metadata.namespace, `${doc.kind}/${doc.metadata.name}`).toBe(
        CLUSTER_SCOPED.has(doc.kind) ? undefined : 'observability',
      );
      expect(doc.metadata.labels?.['app.kubernetes.io/part-of']).toBe('stitch');
    }
  });

  it('binds the ClusterRole to the DaemonSet service account', () => {
    const ds = find(base, 'DaemonSet', 'stitch-node');
    const binding = find(base, 'ClusterRoleBinding', 'stitch-node');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'stitch-node' });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: podSpec(ds).serviceAccountName, namespace: 'observability' },
    ]);
    expect(podSpec(ds).priorityClassName).toBe(find(base, 'PriorityClass', 'stitch-node').metadata.name);
  });

  it('has a node-local OTLP Service in front of the DaemonSet', () => {
    const svc = find(base, 'Service', 'stitch-node');
    expect(svc.spec.internalTrafficPolicy).toBe('Local');
    expect(svc.spec.ports.map((p: { port: number }) => p.port)).toEqual([4317, 4318]);
    expectServiceWiring(base, 'stitch-node', find(base, 'DaemonSet', 'stitch-node'));
  });

  it('mounts the generated (hash-named) ConfigMap, so a config change rolls the pods', () => {
    const cm = find(base, 'ConfigMap', 'stitch-node-config');
    expect(cm.metadata.name).toMatch(/^stitch-node-config-[a-z0-9]{10}$/);
    const volume = podSpec(find(base, 'DaemonSet', 'stitch-node')).volumes.find((v: { name: string }) => v.name === 'config');
    expect(volume.configMap.name).toBe(cm.metadata.name);
    expect(Object.keys(cm.data).sort()).toEqual(['exporters.yaml', 'node.yaml']);
  });
});

describe('gateway overlay', () => {
  it('adds the gateway tier to the base', () => {
    expect(kinds(gateway)).toEqual(
      [
        ...kinds(base),
        'ConfigMap/stitch-gateway-config',
        'Deployment/stitch-gateway',
        'HorizontalPodAutoscaler/stitch-gateway',
        'PodDisruptionBudget/stitch-gateway',
        'Service/stitch-gateway',
        'ServiceAccount/stitch-gateway',
      ].sort(),
    );
  });

  it('validates every object against the Kubernetes OpenAPI schema', async () => {
    for (const doc of gateway) expect(await validateObject(doc), `${doc.kind}/${doc.metadata.name}`).toEqual([]);
  });

  it('autoscales the gateway Deployment (autoscaling/v2) and leaves replicas to the autoscaler', () => {
    const hpa = find(gateway, 'HorizontalPodAutoscaler', 'stitch-gateway');
    const deploy = find(gateway, 'Deployment', 'stitch-gateway');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deploy.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
    ]);
    // Utilization is relative to the request: without one the autoscaler cannot act.
    expect(container(deploy).resources.requests.cpu).toBeDefined();
    expect(deploy.spec.replicas).toBeUndefined();
    // A PDB keeps one gateway through voluntary disruptions.
    const pdb = find(gateway, 'PodDisruptionBudget', 'stitch-gateway');
    expect(pdb.spec.selector.matchLabels).toEqual(deploy.spec.selector.matchLabels);
  });

  it('routes the node collectors to the gateway Service, which selects the gateway pods', () => {
    const deploy = find(gateway, 'Deployment', 'stitch-gateway');
    expectServiceWiring(gateway, 'stitch-gateway', deploy);
    const svc = find(gateway, 'Service', 'stitch-gateway');
    const nodeConfig = parse(find(gateway, 'ConfigMap', 'stitch-node-config').data['exporters.yaml']);
    expect(Object.keys(nodeConfig.exporters)).toEqual(['otlp/gateway']);
    const grpcPort = svc.spec.ports.find((p: { name: string }) => p.name === 'otlp-grpc').port;
    expect(nodeConfig.exporters['otlp/gateway'].endpoint).toBe(`${svc.metadata.name}.${svc.metadata.namespace}.svc:${grpcPort}`);
    for (const signal of ['traces', 'metrics', 'logs'])
      expect(nodeConfig.service.pipelines[signal].exporters).toEqual(['otlp/gateway']);
    // The node pipeline itself is the base's.
    expect(find(gateway, 'ConfigMap', 'stitch-node-config').data['node.yaml']).toBe(
      find(base, 'ConfigMap', 'stitch-node-config').data['node.yaml'],
    );
  });

  it('gives the backend URLs to the gateway only', () => {
    const secretRefs = (w: KubeDoc) =>
      container(w)
        .env.filter((e: any) => e.valueFrom?.secretKeyRef)
        .map((e: any) => e.valueFrom.secretKeyRef.name);
    expect(secretRefs(find(base, 'DaemonSet', 'stitch-node'))).toEqual(['stitch-backends', 'stitch-backends', 'stitch-backends']);
    expect(secretRefs(find(gateway, 'DaemonSet', 'stitch-node'))).toEqual([]);
    expect(secretRefs(find(gateway, 'Deployment', 'stitch-gateway'))).toEqual([
      'stitch-backends',
      'stitch-backends',
      'stitch-backends',
    ]);
  });

  it('runs the gateway without Kubernetes API access, non-root, read-only', () => {
    const deploy = find(gateway, 'Deployment', 'stitch-gateway');
    const spec = podSpec(deploy);
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(find(gateway, 'ServiceAccount', spec.serviceAccountName).automountServiceAccountToken).toBe(false);
    expect(
      gateway.some((d) => d.kind.endsWith('RoleBinding') && d.subjects.some((s: any) => s.name === spec.serviceAccountName)),
    ).toBe(false);
    expect(spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container(deploy).securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec.volumes.some((v: any) => v.hostPath)).toBe(false);
  });
});

describe('the validator itself', () => {
  it('catches a misspelt field, a wrong type and an unknown kind', async () => {
    const ds = structuredClone(find(base, 'DaemonSet', 'stitch-node'));
    container(ds).securityContxt = {};
    container(ds).imagePullPolicy = 'Sometimes';
    const problems = await validateObject(ds);
    expect(problems.some((p) => p.includes('containers[0].securityContxt: unknown field'))).toBe(true);
    expect(problems.some((p) => p.includes('/imagePullPolicy: must be equal to one of the allowed values'))).toBe(true);
    expect(await validateObject({ apiVersion: 'apps/v1', kind: 'DeamonSet', metadata: { name: 'x' } })).toEqual([
      'DeamonSet/x: no kind DeamonSet in apps/v1',
    ]);
    expect(
      unknownFields({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { internalTraficPolicy: 'Local' } }),
    ).toEqual(['Service/s.spec.internalTraficPolicy: unknown field (not in V1ServiceSpec)']);
  });
});
