/**
 * Extraction rules: which attributes a pod (and its namespace, node and owners) contributes.
 * Everything is computed once per pod event into flat `[key, value, key, value, …]` string
 * arrays, so the per-record path only copies strings and the cache holds only what the rules ask
 * for, never whole objects.
 */

import { compileRe2 } from '../../internal/re2.js';
import type { K8sAttributesConfig, MetadataField } from './config.js';
import type { ContainerStatus, ObjectMeta, Pod } from './kube/types.js';

/** One compiled `labels` / `annotations` rule. */
interface FieldRule {
  key: string;
  regex: RegExp | undefined;
  /** A JS replacement template (`$1`, `$<name>`), or '' for the default name. */
  template: string;
}

/** Compiled rules for one source object kind. */
interface SourceRules {
  labels: FieldRule[];
  annotations: FieldRule[];
}

/** The compiled `extract` section. */
export interface ExtractionRules {
  readonly metadata: ReadonlySet<MetadataField>;
  readonly pod: SourceRules;
  readonly namespace: SourceRules;
  readonly node: SourceRules;
  readonly otelAnnotations: boolean;
  readonly deploymentFromReplicaSet: boolean;
  /** Some container attribute is wanted: keep per-container data. */
  readonly containers: boolean;
  /** The namespace object must be fetched (its labels/annotations, or the cluster UID). */
  readonly needsNamespace: boolean;
  /** The node object must be fetched (its labels/annotations or UID). */
  readonly needsNode: boolean;
  /** ReplicaSets must be fetched (deployment name/uid). */
  readonly needsReplicaSet: boolean;
  /** Jobs must be fetched (cronjob name/uid). */
  readonly needsJob: boolean;
}

/** Go's regexp.Expand syntax (`$1`, `${1}`, `$name`, `${name}`) to a JS replacement template. */
function goTemplate(t: string): string {
  return t.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    return /^\d+$/.test(name) ? `$${name}` : `$<${name}>`;
  });
}

/** Compiles the `extract` section. */
export function compileRules(extract: K8sAttributesConfig['extract']): ExtractionRules {
  const empty = (): SourceRules => ({ labels: [], annotations: [] });
  const bySource = { pod: empty(), namespace: empty(), node: empty() };
  for (const [list, kind] of [
    [extract.labels, 'labels'],
    [extract.annotations, 'annotations'],
  ] as const) {
    for (const r of list) {
      bySource[r.from][kind].push({
        key: r.key,
        regex: r.key_regex ? compileRe2(r.key_regex, true) : undefined,
        template: goTemplate(r.tag_name),
      });
    }
  }
  const metadata = new Set(extract.metadata);
  const has = (...f: MetadataField[]) => f.some((x) => metadata.has(x));
  const rules = (s: SourceRules) => s.labels.length + s.annotations.length > 0;
  return {
    metadata,
    ...bySource,
    otelAnnotations: extract.otel_annotations,
    deploymentFromReplicaSet: extract.deployment_name_from_replicaset,
    containers: has(
      'k8s.container.name',
      'container.id',
      'container.image.name',
      'container.image.tag',
      'container.image.repo_digests',
    ),
    needsNamespace: rules(bySource.namespace) || has('k8s.cluster.uid'),
    needsNode: rules(bySource.node) || has('k8s.node.uid'),
    needsReplicaSet: has('k8s.deployment.uid') || (has('k8s.deployment.name') && !extract.deployment_name_from_replicaset),
    needsJob: has('k8s.cronjob.name', 'k8s.cronjob.uid'),
  };
}

/** Appends the attributes `rules` take from `labels`/`annotations` of an object of kind `from`. */
export function extractFieldRules(
  rules: SourceRules,
  meta: Pick<ObjectMeta, 'labels' | 'annotations'>,
  from: 'pod' | 'namespace' | 'node',
  out: string[],
): void {
  for (const [list, map, kind] of [
    [rules.labels, meta.labels, 'labels'],
    [rules.annotations, meta.annotations, 'annotations'],
  ] as const) {
    if (!map || list.length === 0) continue;
    for (const r of list) {
      if (!r.regex) {
        const v = map[r.key];
        if (v !== undefined) out.push(r.template || `k8s.${from}.${kind}.${r.key}`, v);
        continue;
      }
      for (const k in map) {
        if (!r.regex.test(k)) continue;
        out.push(r.template ? k.replace(r.regex, r.template) : `k8s.${from}.${kind}.${k}`, map[k] as string);
      }
    }
  }
}

/** Per-container data kept for container association and attributes. */
export interface ContainerInfo {
  readonly name: string;
  /** Container IDs without the runtime scheme: the current one first, then the previous run's. */
  readonly ids: string[];
  /** Flat attributes of this container (without container.id, which depends on the record). */
  readonly attrs: string[];
}

/** `containerd://abc` → `abc` (the form `container.id` takes in OTel resources). */
export function stripRuntime(id: string | undefined): string {
  if (!id) return '';
  const i = id.indexOf('://');
  return i >= 0 ? id.slice(i + 3) : id;
}

/** Splits an image reference into name and tag (`latest` when it has neither tag nor digest). */
export function parseImage(image: string): { name: string; tag: string } {
  const at = image.indexOf('@');
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon > slash) return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
  return { name: withoutDigest, tag: at >= 0 ? '' : 'latest' };
}

function containerInfo(
  rules: ExtractionRules,
  name: string,
  image: string | undefined,
  status: ContainerStatus | undefined,
): ContainerInfo {
  const ids: string[] = [];
  const current = stripRuntime(status?.containerID);
  if (current) ids.push(current);
  const previous = stripRuntime(status?.lastState?.terminated?.containerID);
  if (previous) ids.push(previous);
  const attrs: string[] = [];
  const m = rules.metadata;
  if (m.has('k8s.container.name')) attrs.push('k8s.container.name', name);
  const img = status?.image || image;
  if (img) {
    const { name: imageName, tag } = parseImage(img);
    if (m.has('container.image.name')) attrs.push('container.image.name', imageName);
    if (m.has('container.image.tag') && tag) attrs.push('container.image.tag', tag);
  }
  if (m.has('container.image.repo_digests') && status?.imageID) {
    const digest = stripRuntime(status.imageID.replace(/^docker-pullable:\/\//, ''));
    if (digest.includes('@')) attrs.push('container.image.repo_digests', digest);
  }
  return { name, ids, attrs };
}

/** The controller owner a pod's workload attributes come from. */
export interface OwnerRef {
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

/** What the store keeps of a pod: identity, attributes, containers, the owner to resolve. */
export interface PodDigest {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly nodeName: string;
  /** '' for host-network pods (their IP is the node's and identifies no pod) and unscheduled ones. */
  readonly ip: string;
  /** Flat pod-level attributes, owner attributes that need no lookup included. */
  readonly attrs: string[];
  readonly containers: ContainerInfo[] | undefined;
  /** The controlling ReplicaSet or Job when a GET must resolve its owner. */
  readonly lookup: OwnerRef | undefined;
}

/** Digests a pod into what the rules need. */
export function digestPod(rules: ExtractionRules, pod: Pod): PodDigest {
  const meta = pod.metadata;
  const m = rules.metadata;
  const a: string[] = [];
  const ns = meta.namespace ?? '';
  const nodeName = pod.spec?.nodeName ?? '';
  const ip = pod.spec?.hostNetwork ? '' : (pod.status?.podIP ?? '');
  if (m.has('k8s.namespace.name') && ns) a.push('k8s.namespace.name', ns);
  if (m.has('k8s.pod.name')) a.push('k8s.pod.name', meta.name);
  if (m.has('k8s.pod.uid')) a.push('k8s.pod.uid', meta.uid);
  if (m.has('k8s.pod.hostname') && pod.spec?.hostname) a.push('k8s.pod.hostname', pod.spec.hostname);
  if (m.has('k8s.pod.start_time') && pod.status?.startTime) a.push('k8s.pod.start_time', pod.status.startTime);
  if (m.has('k8s.pod.ip') && pod.status?.podIP) a.push('k8s.pod.ip', pod.status.podIP);
  if (m.has('k8s.node.name') && nodeName) a.push('k8s.node.name', nodeName);

  let lookup: OwnerRef | undefined;
  const owner = meta.ownerReferences?.find((o) => o.controller) ?? meta.ownerReferences?.[0];
  if (owner) {
    switch (owner.kind) {
      case 'ReplicaSet':
        if (m.has('k8s.replicaset.name')) a.push('k8s.replicaset.name', owner.name);
        if (m.has('k8s.replicaset.uid')) a.push('k8s.replicaset.uid', owner.uid);
        if (rules.needsReplicaSet) lookup = owner;
        else if (rules.deploymentFromReplicaSet && m.has('k8s.deployment.name')) {
          // <deployment>-<pod-template-hash>
          const dash = owner.name.lastIndexOf('-');
          if (dash > 0) a.push('k8s.deployment.name', owner.name.slice(0, dash));
        }
        break;
      case 'Job':
        if (m.has('k8s.job.name')) a.push('k8s.job.name', owner.name);
        if (m.has('k8s.job.uid')) a.push('k8s.job.uid', owner.uid);
        if (rules.needsJob) lookup = owner;
        break;
      case 'StatefulSet':
        if (m.has('k8s.statefulset.name')) a.push('k8s.statefulset.name', owner.name);
        if (m.has('k8s.statefulset.uid')) a.push('k8s.statefulset.uid', owner.uid);
        break;
      case 'DaemonSet':
        if (m.has('k8s.daemonset.name')) a.push('k8s.daemonset.name', owner.name);
        if (m.has('k8s.daemonset.uid')) a.push('k8s.daemonset.uid', owner.uid);
        break;
    }
  }
  extractFieldRules(rules.pod, meta, 'pod', a);
  if (rules.otelAnnotations && meta.annotations) {
    for (const k in meta.annotations) {
      if (k.startsWith('resource.opentelemetry.io/'))
        a.push(k.slice('resource.opentelemetry.io/'.length), meta.annotations[k] as string);
    }
  }

  let containers: ContainerInfo[] | undefined;
  if (rules.containers) {
    containers = [];
    const statuses = new Map<string, ContainerStatus>();
    for (const s of pod.status?.containerStatuses ?? []) statuses.set(s.name, s);
    for (const s of pod.status?.initContainerStatuses ?? []) statuses.set(s.name, s);
    for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
      containers.push(containerInfo(rules, c.name, c.image, statuses.get(c.name)));
    }
  }
  return { uid: meta.uid, name: meta.name, namespace: ns, nodeName, ip, attrs: a, containers, lookup };
}

/** The attributes an owner lookup adds: the Deployment of a ReplicaSet, the CronJob of a Job. */
export function ownerAttributes(rules: ExtractionRules, child: OwnerRef, owner: OwnerRef | undefined, out: string[]): void {
  if (!owner) return;
  const m = rules.metadata;
  if (child.kind === 'ReplicaSet' && owner.kind === 'Deployment') {
    if (m.has('k8s.deployment.name')) out.push('k8s.deployment.name', owner.name);
    if (m.has('k8s.deployment.uid')) out.push('k8s.deployment.uid', owner.uid);
  } else if (child.kind === 'Job' && owner.kind === 'CronJob') {
    if (m.has('k8s.cronjob.name')) out.push('k8s.cronjob.name', owner.name);
    if (m.has('k8s.cronjob.uid')) out.push('k8s.cronjob.uid', owner.uid);
  }
}
