/**
 * The Kubernetes metadata one k8sattributes component keeps: the pod table of its node fed by the
 * list/watch loop, the lazily filled object caches, and `enrich`, the per-resource step that only
 * reads them. One instance per component ID, shared by every pipeline that lists the processor
 * (reference-counted), so a collector with traces, metrics and logs pipelines watches once.
 */
import type { Logger } from 'pino';
import type { CreateSettings } from '../../component/component.js';
import { errors } from '../../errors.js';
import { compileRe2 } from '../../internal/re2.js';
import type { KeyValue, Resource } from '../../model/types.js';
import { isSet } from '../../model/values.js';
import { type Association, compileAssociations, lookupKey } from './association.js';
import type { K8sAttributesConfig } from './config.js';
import { compileRules, type ExtractionRules, extractFieldRules, type OwnerRef, ownerAttributes } from './extract.js';
import { apiErrorStatus, createKubeClient, type KubeClient } from './kube/client.js';
import { type CachedObject, createLimiter, createObjectCache, type ObjectCache } from './kube/object-cache.js';
import { type PodWatcher, startPodWatcher } from './kube/pod-watcher.js';
import type { KubeObject } from './kube/types.js';
import { PodStore } from './pod-store.js';
import { createK8sTelemetry, type K8sTelemetry } from './telemetry.js';

/** Test hooks. */
export interface K8sMetadataDeps {
  /** Replaces the client built from the auth options. */
  createClient?: (config: K8sAttributesConfig) => Promise<KubeClient>;
  now?: () => number;
  /** Backoff bounds of the watch loop (tests shorten them). */
  backoff?: { initialMs: number; maxMs: number };
  /** Watch timeoutSeconds (tests shorten it). */
  watchTimeoutSeconds?: () => number;
}

/** Where the pod watch points: API path and selectors (exported for tests and the README). */
export function podWatchTarget(
  config: K8sAttributesConfig,
  env: NodeJS.ProcessEnv = process.env,
): { path: string; selectors: Record<string, string>; node: string } {
  const f = config.filter;
  let node = f.node;
  if (f.node_from_env_var) {
    const v = env[f.node_from_env_var];
    if (v === undefined) {
      throw errors.STITCH_ERR_CONFIG_INVALID_VALUE(
        [`\`node_from_env_var\` is configured but envvar "${f.node_from_env_var}" is not set`],
        {
          path: 'filter.node_from_env_var',
        },
      );
    }
    node = v;
  }
  const fields: string[] = [];
  if (node) fields.push(`spec.nodeName=${node}`);
  for (const x of f.fields) fields.push(`${x.key}${x.op === 'not-equals' ? '!=' : '='}${x.value}`);
  const labels = f.labels.map((l) =>
    l.op === 'exists'
      ? l.key
      : l.op === 'does-not-exist'
        ? `!${l.key}`
        : `${l.key}${l.op === 'not-equals' ? '!=' : '='}${l.value}`,
  );
  const selectors: Record<string, string> = {};
  if (fields.length > 0) selectors.fieldSelector = fields.join(',');
  if (labels.length > 0) selectors.labelSelector = labels.join(',');
  const path = f.namespace ? `/api/v1/namespaces/${encodeURIComponent(f.namespace)}/pods` : '/api/v1/pods';
  return { path, selectors, node };
}

/** Sets `key` unless the resource already has a non-empty value for it (never overwrite). */
function insert(attrs: KeyValue[], key: string, value: string): void {
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i] as KeyValue;
    if (kv.key !== key) continue;
    const v = kv.value;
    if (v && !(isSet(v, 'stringValue') && v.stringValue === '') && Object.keys(v).length > 0) return;
    kv.value = { stringValue: value };
    return;
  }
  attrs.push({ key, value: { stringValue: value } });
}

function insertFlat(attrs: KeyValue[], flat: readonly string[]): void {
  for (let i = 0; i < flat.length; i += 2) insert(attrs, flat[i] as string, flat[i + 1] as string);
}

function stringAttr(attrs: readonly KeyValue[], key: string): string {
  for (const kv of attrs)
    if (kv.key === key) return kv.value && isSet(kv.value, 'stringValue') ? (kv.value.stringValue as string) : '';
  return '';
}

/** The shared metadata of one component. */
export class K8sMetadata {
  readonly rules: ExtractionRules;
  readonly associations: readonly Association[];
  readonly store: PodStore;
  private client: KubeClient | undefined;
  private watcher: PodWatcher | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly caches: { replicasets: ObjectCache; jobs: ObjectCache; namespaces: ObjectCache; nodes: ObjectCache };
  private readonly telemetry: K8sTelemetry;
  private readonly logger: Logger;
  private readonly wantsPodIp: boolean;

  constructor(
    private readonly config: K8sAttributesConfig,
    private readonly settings: Pick<CreateSettings, 'id' | 'logger' | 'telemetry'>,
    private readonly deps: K8sMetadataDeps = {},
  ) {
    this.logger = settings.logger;
    this.rules = compileRules(config.extract);
    this.associations = compileAssociations(config.pod_association);
    this.telemetry = createK8sTelemetry(settings.telemetry);
    this.wantsPodIp = config.passthrough || this.rules.metadata.has('k8s.pod.ip');
    const limiter = createLimiter(8);
    const cacheOptions = (
      kind: 'replicasets' | 'jobs' | 'namespaces' | 'nodes',
      path: (key: string) => string,
      digest: (o: KubeObject) => Omit<CachedObject, 'missing'>,
    ) =>
      createObjectCache({
        kind,
        path,
        digest,
        client: () => this.client,
        ttlMs: config.metadata_cache_ttl,
        max: 4096,
        limiter,
        onError: (err) => this.telemetry.apiError('get', apiErrorStatus(err)),
        onFetched: (key, value) => this.fetched(kind, key, value),
        wanted: (key) => this.wanted(kind, key),
      });
    const nsPath = (key: string) => {
      const [ns, name] = key.split('/') as [string, string];
      return [encodeURIComponent(ns), encodeURIComponent(name)];
    };
    const ownerDigest = (o: KubeObject) => {
      const owner = o.metadata.ownerReferences?.find((r) => r.controller) ?? o.metadata.ownerReferences?.[0];
      return {
        uid: o.metadata.uid,
        owner: owner ? { kind: owner.kind, name: owner.name, uid: owner.uid } : undefined,
        attrs: [],
      };
    };
    const rulesDigest = (from: 'namespace' | 'node') => (o: KubeObject) => {
      const attrs: string[] = [];
      extractFieldRules(this.rules[from], o.metadata, from, attrs);
      return { uid: o.metadata.uid, owner: undefined, attrs };
    };
    this.caches = {
      replicasets: cacheOptions(
        'replicasets',
        (k) => {
          const [ns, name] = nsPath(k);
          return `/apis/apps/v1/namespaces/${ns}/replicasets/${name}`;
        },
        ownerDigest,
      ),
      jobs: cacheOptions(
        'jobs',
        (k) => {
          const [ns, name] = nsPath(k);
          return `/apis/batch/v1/namespaces/${ns}/jobs/${name}`;
        },
        ownerDigest,
      ),
      namespaces: cacheOptions('namespaces', (k) => `/api/v1/namespaces/${encodeURIComponent(k)}`, rulesDigest('namespace')),
      nodes: cacheOptions('nodes', (k) => `/api/v1/nodes/${encodeURIComponent(k)}`, rulesDigest('node')),
    };
    this.store = new PodStore({
      rules: this.rules,
      associations: this.associations,
      exclude: config.exclude.pods.map((p) => compileRe2(p.name)),
      graceMs: config.pod_delete_grace_period,
      ownerAttributes: (lookup, namespace) => this.ownerAttrs(lookup, namespace),
      ...(deps.now ? { now: deps.now } : {}),
    });
    const t = settings.telemetry;
    t.observe(
      'stitch_processor_k8sattributes_pods',
      'Pods in the k8sattributes cache (live, or deleted within the grace period).',
      () => this.store.livePods,
      {
        state: 'live',
      },
    );
    t.observe(
      'stitch_processor_k8sattributes_pods',
      'Pods in the k8sattributes cache (live, or deleted within the grace period).',
      () => this.store.deletedPods,
      {
        state: 'deleted',
      },
    );
    for (const kind of Object.keys(this.caches) as (keyof typeof this.caches)[]) {
      t.observe(
        'stitch_processor_k8sattributes_cached_objects',
        'Objects in the k8sattributes lookup caches, by kind.',
        () => this.caches[kind].size,
        { kind },
      );
    }
  }

  /** Connects and starts watching; with wait_for_metadata, resolves only once synced (or rejects at the timeout). */
  async start(): Promise<void> {
    if (this.config.passthrough) return;
    const target = podWatchTarget(this.config);
    if (!target.node) {
      this.logger.warn(
        'k8sattributes: no filter.node / filter.node_from_env_var: watching pods cluster-wide (memory grows with the cluster)',
      );
    }
    this.client = await (this.deps.createClient ?? ((c) => createKubeClient(c)))(this.config);
    this.watcher = startPodWatcher({
      client: this.client,
      path: target.path,
      selectors: target.selectors,
      sink: {
        upsert: (pod) => {
          this.store.upsert(pod);
          this.prewarm(pod.metadata.namespace ?? '', pod.spec?.nodeName ?? '');
        },
        remove: (pod) => this.store.remove(pod),
        replaced: (uids) => this.store.replaced(uids),
      },
      logger: this.logger,
      onError: (op, status) => this.telemetry.apiError(op, status),
      onRelist: (reason) => this.telemetry.relist(reason),
      ...(this.deps.backoff ? { backoff: this.deps.backoff } : {}),
      ...(this.deps.watchTimeoutSeconds ? { watchTimeoutSeconds: this.deps.watchTimeoutSeconds } : {}),
    });
    const graceMs = this.config.pod_delete_grace_period;
    this.sweeper = setInterval(() => this.store.sweep(), Math.max(1000, Math.min(graceMs / 4, 30_000)));
    this.sweeper.unref();
    if (!this.config.wait_for_metadata) return;

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(errors.STITCH_ERR_K8S_METADATA_TIMEOUT([this.settings.id, this.config.wait_for_metadata_timeout])),
        this.config.wait_for_metadata_timeout,
      );
    });
    try {
      await Promise.race([this.synced(), timeout]);
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once the first list is applied and the owners of the listed pods are looked up. */
  private async synced(): Promise<void> {
    await this.watcher?.synced;
    const pending = new Set<string>();
    const waits: Promise<unknown>[] = [];
    for (const e of this.store.entries()) {
      if (!e.lookup) continue;
      const key = `${e.lookup.kind}/${e.namespace}/${e.lookup.name}`;
      if (pending.has(key)) continue;
      pending.add(key);
      waits.push(this.ownerCache(e.lookup.kind).resolve(`${e.namespace}/${e.lookup.name}`));
    }
    const namespaces = new Set<string>();
    const nodes = new Set<string>();
    for (const e of this.store.entries()) {
      namespaces.add(e.namespace);
      nodes.add(e.nodeName);
    }
    if (this.rules.metadata.has('k8s.cluster.uid')) namespaces.add('kube-system');
    if (this.rules.needsNamespace) for (const ns of namespaces) if (ns) waits.push(this.caches.namespaces.resolve(ns));
    if (this.rules.needsNode) for (const n of nodes) if (n) waits.push(this.caches.nodes.resolve(n));
    await Promise.all(waits);
  }

  /** Starts the namespace/node GETs a new pod will need, so its first records are complete. */
  private prewarm(namespace: string, node: string): void {
    if (this.rules.needsNamespace && namespace) {
      this.caches.namespaces.peek(namespace);
      if (this.rules.metadata.has('k8s.cluster.uid')) this.caches.namespaces.peek('kube-system');
    }
    if (this.rules.needsNode && node) this.caches.nodes.peek(node);
  }

  /** Stops the watch and timers. Idempotent. */
  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const c of Object.values(this.caches)) c.close();
    const w = this.watcher;
    this.watcher = undefined;
    await w?.stop();
    this.client?.close();
  }

  /**
   * Adds the metadata of the resource's pod (per-record path: cache reads only). Returns true on
   * a hit, false on a miss, undefined in passthrough mode.
   */
  enrich(resource: Resource, clientAddress: string | undefined): boolean | undefined {
    const attrs = resource.attributes;
    const { key, connectionIp } = lookupKey(this.associations, attrs, clientAddress);
    if (connectionIp !== undefined && this.wantsPodIp) insert(attrs, 'k8s.pod.ip', connectionIp);
    if (this.config.passthrough) return undefined;
    const pod = key === undefined ? undefined : this.store.lookup(key);
    if (!pod) return false;
    insertFlat(attrs, pod.attrs);
    if (pod.containers && pod.containers.length > 0) {
      const byName = stringAttr(attrs, 'k8s.container.name');
      const byId = byName ? '' : stringAttr(attrs, 'container.id');
      const c = byName
        ? pod.containers.find((x) => x.name === byName)
        : byId
          ? pod.containers.find((x) => x.ids.includes(byId))
          : pod.containers.length === 1
            ? pod.containers[0]
            : undefined;
      if (c) {
        insertFlat(attrs, c.attrs);
        if (this.rules.metadata.has('container.id') && c.ids[0]) insert(attrs, 'container.id', c.ids[0]);
      }
    }
    const m = this.rules.metadata;
    if (this.rules.needsNamespace) {
      const ns = this.caches.namespaces.peek(pod.namespace);
      if (ns) insertFlat(attrs, ns.attrs);
      if (m.has('k8s.cluster.uid')) {
        const sys = this.caches.namespaces.peek('kube-system');
        if (sys?.uid) insert(attrs, 'k8s.cluster.uid', sys.uid);
      }
    }
    if (this.rules.needsNode && pod.nodeName) {
      const node = this.caches.nodes.peek(pod.nodeName);
      if (node) {
        insertFlat(attrs, node.attrs);
        if (m.has('k8s.node.uid') && node.uid) insert(attrs, 'k8s.node.uid', node.uid);
      }
    }
    return true;
  }

  /** Counts one batch's associations. */
  countAssociations(signal: string, hits: number, misses: number): void {
    this.telemetry.associations(signal, hits, misses);
  }

  private ownerCache(kind: string): ObjectCache {
    return kind === 'Job' ? this.caches.jobs : this.caches.replicasets;
  }

  private ownerAttrs(lookup: OwnerRef, namespace: string): string[] | undefined {
    const v = this.ownerCache(lookup.kind).peek(`${namespace}/${lookup.name}`);
    if (!v) return undefined;
    const out: string[] = [];
    ownerAttributes(this.rules, lookup, v.owner, out);
    return out;
  }

  private fetched(kind: 'replicasets' | 'jobs' | 'namespaces' | 'nodes', key: string, value: CachedObject): void {
    if (kind !== 'replicasets' && kind !== 'jobs') return;
    const [namespace, name] = key.split('/') as [string, string];
    const childKind = kind === 'jobs' ? 'Job' : 'ReplicaSet';
    const out: string[] = [];
    ownerAttributes(this.rules, { kind: childKind, name, uid: value.uid }, value.owner, out);
    this.store.ownerResolved(childKind, namespace, name, out);
  }

  private wanted(kind: 'replicasets' | 'jobs' | 'namespaces' | 'nodes', key: string): boolean {
    if (!this.watcher) return false;
    if (kind === 'namespaces') return key === 'kube-system' || this.store.hasNamespace(key);
    if (kind === 'nodes') return true;
    const [namespace, name] = key.split('/') as [string, string];
    return this.store.refersTo(kind === 'jobs' ? 'Job' : 'ReplicaSet', namespace, name);
  }
}

const shared = new Map<string, { config: K8sAttributesConfig; metadata: K8sMetadata; refs: number; started?: Promise<void> }>();

/**
 * The metadata for component `settings.id`, shared by its pipelines when they were built from the
 * same config object. `acquire` starts it on first use; `release` stops it with the last user.
 */
export function sharedMetadata(
  settings: Pick<CreateSettings, 'id' | 'logger' | 'telemetry'>,
  config: K8sAttributesConfig,
  deps?: K8sMetadataDeps,
): { metadata: K8sMetadata; acquire(): Promise<void>; release(): Promise<void> } {
  let entry = shared.get(settings.id);
  if (!entry || entry.config !== config || deps) {
    entry = { config, metadata: new K8sMetadata(config, settings, deps), refs: 0 };
    if (!deps) shared.set(settings.id, entry);
  }
  const e = entry;
  return {
    metadata: e.metadata,
    async acquire() {
      e.refs++;
      e.started ??= e.metadata.start();
      try {
        await e.started;
      } catch (err) {
        e.refs--;
        if (e.refs === 0) {
          e.started = undefined;
          if (shared.get(settings.id) === e) shared.delete(settings.id);
        }
        throw err;
      }
    },
    async release() {
      e.refs--;
      if (e.refs > 0) return;
      e.started = undefined;
      if (shared.get(settings.id) === e) shared.delete(settings.id);
      await e.metadata.stop();
    },
  };
}
