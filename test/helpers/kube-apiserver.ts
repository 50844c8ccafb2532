/**
 * A Kubernetes API server stand-in for tests and benchmarks: node:http only (so Node can load this
 * file directly with type stripping), speaking the list/watch protocol as the Kubernetes API
 * documents it (https://kubernetes.io/docs/reference/using-api/api-concepts/):
 *
 * - Lists: `{kind: "PodList", apiVersion: "v1", metadata: {resourceVersion, continue?,
 *   remainingItemCount?}, items}`; `limit` + `continue` pagination, a continue token from a
 *   compacted revision answers 410 Expired.
 * - Watches (`?watch=true`): a chunked stream of newline-delimited `{"type", "object"}` events.
 *   `resourceVersion` unset or "0" starts with synthetic ADDED events for the current state; a
 *   given version streams what happened after it, or sends an ERROR event carrying a 410 Expired
 *   `Status` when that version has been compacted away. `allowWatchBookmarks=true` gets BOOKMARK
 *   events. `timeoutSeconds` ends the stream. An object modified so that it stops (or starts)
 *   matching the selectors is sent as DELETED (or ADDED), as the watch cache does.
 * - `fieldSelector` (the pod fields the API server supports, `=`, `==`, `!=`; others are 400) and
 *   `labelSelector` (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`).
 * - Single-object GETs for pods, replicasets, deployments, statefulsets, daemonsets, jobs,
 *   cronjobs, namespaces and nodes; a missing object is a 404 `Status` (reason NotFound).
 * - Bearer-token checking (401), and scripted 401/403/5xx answers on demand.
 *
 * Every call is recorded (method, path, query, whether it was a watch, the status answered) so a
 * test can assert exactly which API calls a client made. Objects look like a real cluster's:
 * UIDs, resourceVersions, ownerReferences, pod IPs, container statuses with container IDs and
 * images.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A Kubernetes object as JSON. */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    [k: string]: unknown;
  };
  spec?: Record<string, any>;
  status?: Record<string, any>;
};

/** An ownerReference as the API server stores it. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The resource kinds the stand-in serves. */
export type Resource =
  | 'pods'
  | 'replicasets'
  | 'deployments'
  | 'statefulsets'
  | 'daemonsets'
  | 'jobs'
  | 'cronjobs'
  | 'namespaces'
  | 'nodes';

interface ResourceInfo {
  group: string; // '' for core
  version: string;
  kind: string;
  namespaced: boolean;
}

const RESOURCES: Record<Resource, ResourceInfo> = {
  pods: { group: '', version: 'v1', kind: 'Pod', namespaced: true },
  namespaces: { group: '', version: 'v1', kind: 'Namespace', namespaced: false },
  nodes: { group: '', version: 'v1', kind: 'Node', namespaced: false },
  replicasets: { group: 'apps', version: 'v1', kind: 'ReplicaSet', namespaced: true },
  deployments: { group: 'apps', version: 'v1', kind: 'Deployment', namespaced: true },
  statefulsets: { group: 'apps', version: 'v1', kind: 'StatefulSet', namespaced: true },
  daemonsets: { group: 'apps', version: 'v1', kind: 'DaemonSet', namespaced: true },
  jobs: { group: 'batch', version: 'v1', kind: 'Job', namespaced: true },
  cronjobs: { group: 'batch', version: 'v1', kind: 'CronJob', namespaced: true },
};

/** Pod fields the real API server accepts in a field selector (pkg/registry/core/pod/strategy.go). */
const POD_FIELDS: Record<string, (p: KubeObject) => string> = {
  'metadata.name': (p) => p.metadata.name,
  'metadata.namespace': (p) => p.metadata.namespace ?? '',
  'spec.nodeName': (p) => p.spec?.nodeName ?? '',
  'spec.restartPolicy': (p) => p.spec?.restartPolicy ?? 'Always',
  'spec.schedulerName': (p) => p.spec?.schedulerName ?? 'default-scheduler',
  'spec.serviceAccountName': (p) => p.spec?.serviceAccountName ?? 'default',
  'spec.hostNetwork': (p) => String(p.spec?.hostNetwork === true),
  'status.phase': (p) => p.status?.phase ?? '',
  'status.podIP': (p) => p.status?.podIP ?? '',
  'status.nominatedNodeName': (p) => p.status?.nominatedNodeName ?? '',
};

/** One recorded API call. */
export interface RecordedCall {
  method: string;
  /** The URL path, e.g. `/api/v1/pods`. */
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  /** True for `?watch=true|1` requests. */
  watch: boolean;
  /** The HTTP status answered. */
  status: number;
}

/** A scripted answer for the next matching requests. */
export interface ScriptedFailure {
  status: 401 | 403 | 429 | 500 | 503;
  /** How many requests to answer this way (default 1). */
  count?: number;
  /** Only requests whose path (plus `?watch` when a watch) matches. */
  match?: RegExp;
}

/** Options of the stand-in. */
export interface KubeApiServerOptions {
  /** Loopback host to listen on (default 127.0.0.1). */
  host?: string;
  port?: number;
  /** When set, every request must carry `Authorization: Bearer <token>` (else 401). */
  token?: string;
  /** How often open watches that asked for bookmarks get one (default 1000 ms). */
  bookmarkIntervalMs?: number;
  /** How many events the watch history keeps before older versions answer 410 (default 10,000). */
  historySize?: number;
}

/** What a test passes to create a pod; everything else gets realistic defaults. */
export interface PodInput {
  name: string;
  namespace?: string;
  node: string;
  ip?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  owner?: { kind: string; name: string; uid: string; apiVersion?: string };
  containers?: { name: string; image: string }[];
  hostNetwork?: boolean;
  phase?: string;
}

/** The running stand-in. */
export interface KubeApiServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every call so far, in order. */
  readonly calls: RecordedCall[];
  /** The current resourceVersion (the store's revision). */
  readonly revision: number;
  /** Number of watch streams open right now. */
  readonly openWatches: number;
  /** Creates (or replaces) an object; fills uid, resourceVersion, creationTimestamp, kind. */
  put(
    resource: Resource,
    object: Omit<KubeObject, 'metadata'> & { metadata: Partial<KubeObject['metadata']> & { name: string } },
  ): KubeObject;
  /** Applies `mutate` to a stored object and records a MODIFIED event. */
  modify(resource: Resource, namespace: string | undefined, name: string, mutate: (o: KubeObject) => void): KubeObject;
  /** Deletes an object and records a DELETED event; returns false when it did not exist. */
  remove(resource: Resource, namespace: string | undefined, name: string): boolean;
  /** A stored object, or undefined. */
  get(resource: Resource, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Creates a pod with realistic status (IP, container statuses with IDs and images). */
  addPod(input: PodInput): KubeObject;
  /** Adds many pods without recording watch events (bulk seeding for benchmarks). */
  seedPods(inputs: Iterable<PodInput>): void;
  /** Creates a Deployment, its ReplicaSet and `ips.length` pods on `node`; returns the pods. */
  addDeployment(input: {
    namespace: string;
    name: string;
    node: string;
    ips: string[];
    labels?: Record<string, string>;
  }): KubeObject[];
  /** Creates a CronJob, one of its Jobs and a pod of that Job. */
  addCronJobPod(input: { namespace: string; name: string; node: string; ip: string }): KubeObject;
  /** Compacts history and sends every open watch an ERROR event with a 410 Expired Status. */
  forceGone(): void;
  /** Destroys every open watch connection without an event (a network drop). */
  dropConnections(): void;
  /** Sends a BOOKMARK to every watch that allows them. */
  bookmark(): void;
  /** Answers the next matching requests with an error status. */
  failNext(failure: ScriptedFailure): void;
  /** Calls matching a predicate (shorthand for `calls.filter`). */
  callsTo(match: RegExp): RecordedCall[];
  close(): Promise<void>;
}

interface WatchEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: Resource;
  object: KubeObject;
  /** The object before the change (for selector transitions). */
  previous?: KubeObject;
}

interface OpenWatch {
  resource: Resource;
  namespace?: string;
  matches: (o: KubeObject) => boolean;
  bookmarks: boolean;
  res: ServerResponse;
  lastRv: number;
  timer?: NodeJS.Timeout;
}

function key(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function status(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** Parses a label selector into predicates; throws on syntax errors (answered 400). */
export function parseLabelSelector(text: string): (labels: Record<string, string>) => boolean {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') parts.push(cur);
  const preds = parts.map((raw) => {
    const p = raw.trim();
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p);
    if (m) {
      const [, k, op, list] = m as unknown as [string, string, string, string];
      const values = new Set(list.split(',').map((v) => v.trim()));
      return op === 'in'
        ? (l: Record<string, string>) => k in l && values.has(l[k] as string)
        : (l: Record<string, string>) => !(k in l) || !values.has(l[k] as string);
    }
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(p);
    if (m) {
      const [, k, op, v] = m as unknown as [string, string, string, string];
      return op === '!=' ? (l: Record<string, string>) => l[k] !== v : (l: Record<string, string>) => l[k] === v;
    }
    m = /^(!?)([\w./-]+)$/.exec(p);
    if (m) {
      const [, not, k] = m as unknown as [string, string, string];
      return not ? (l: Record<string, string>) => !(k in l) : (l: Record<string, string>) => k in l;
    }
    throw new Error(`unable to parse requirement: ${p}`);
  });
  return (labels) => preds.every((f) => f(labels));
}

/** Parses a field selector for `resource`; throws on unsupported fields (answered 400). */
export function parseFieldSelector(resource: Resource, text: string): (o: KubeObject) => boolean {
  const preds = text
    .split(',')
    .filter((p) => p.trim() !== '')
    .map((raw) => {
      const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(raw.trim());
      if (!m) throw new Error(`invalid selector: '${raw}'; can't understand '${raw}'`);
      const [, field, op, value] = m as unknown as [string, string, string, string];
      const read =
        resource === 'pods'
          ? POD_FIELDS[field]
          : field === 'metadata.name'
            ? (o: KubeObject) => o.metadata.name
            : field === 'metadata.namespace'
              ? (o: KubeObject) => o.metadata.namespace ?? ''
              : undefined;
      if (!read) throw new Error(`field label not supported: ${field}`);
      return op === '!=' ? (o: KubeObject) => read(o) !== value : (o: KubeObject) => read(o) === value;
    });
  return (o) => preds.every((f) => f(o));
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Starts the stand-in on a free loopback port (or `options.port`). */
export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const historySize = options.historySize ?? 10_000;
  const stores = new Map<Resource, Map<string, KubeObject>>();
  for (const r of Object.keys(RESOURCES) as Resource[]) stores.set(r, new Map());
  // Pods indexed by node, so `spec.nodeName=X` costs the size of that node, not of the cluster.
  const podsByNode = new Map<string, Set<string>>();
  let revision = 1;
  let compactedBefore = 0; // versions below this answer 410
  const history: WatchEvent[] = [];
  const watches = new Set<OpenWatch>();
  const sockets = new Set<Socket>();
  const calls: RecordedCall[] = [];
  const failures: (ScriptedFailure & { left: number })[] = [];

  const indexPod = (o: KubeObject, add: boolean) => {
    const node = (o.spec?.nodeName as string | undefined) ?? '';
    let set = podsByNode.get(node);
    if (add) {
      if (!set) podsByNode.set(node, (set = new Set()));
      set.add(key(o.metadata.namespace, o.metadata.name));
    } else set?.delete(key(o.metadata.namespace, o.metadata.name));
  };

  const record = (ev: WatchEvent) => {
    history.push(ev);
    if (history.length > historySize) {
      const dropped = history.splice(0, history.length - historySize);
      compactedBefore = Math.max(compactedBefore, (dropped.at(-1) as WatchEvent).rv + 1);
    }
    for (const w of watches) deliver(w, ev);
  };

  const send = (w: OpenWatch, type: string, object: unknown) => {
    w.res.write(`${JSON.stringify({ type, object })}\n`);
  };

  const deliver = (w: OpenWatch, ev: WatchEvent) => {
    if (ev.resource !== w.resource || ev.rv <= w.lastRv) return;
    const inNs = (o: KubeObject) => !w.namespace || o.metadata.namespace === w.namespace;
    const now = inNs(ev.object) && w.matches(ev.object);
    const before = ev.previous !== undefined && inNs(ev.previous) && w.matches(ev.previous);
    w.lastRv = ev.rv;
    if (ev.type === 'MODIFIED') {
      if (now && before) send(w, 'MODIFIED', ev.object);
      else if (now) send(w, 'ADDED', ev.object);
      else if (before) send(w, 'DELETED', ev.object);
    } else if (now) send(w, ev.type, ev.object);
  };

  const typed = (resource: Resource, o: KubeObject): KubeObject => {
    const info = RESOURCES[resource];
    return { ...o, apiVersion: info.group ? `${info.group}/${info.version}` : info.version, kind: info.kind };
  };

  const api: KubeApiServer = {
    url: '',
    calls,
    get revision() {
      return revision;
    },
    get openWatches() {
      return watches.size;
    },
    put(resource, object) {
      const store = stores.get(resource) as Map<string, KubeObject>;
      const ns = RESOURCES[resource].namespaced ? (object.metadata.namespace ?? 'default') : undefined;
      const k = key(ns, object.metadata.name);
      const previous = store.get(k);
      revision++;
      const stored = typed(resource, {
        ...object,
        metadata: {
          ...object.metadata,
          ...(ns ? { namespace: ns } : {}),
          name: object.metadata.name,
          uid: object.metadata.uid ?? previous?.metadata.uid ?? randomUUID(),
          resourceVersion: String(revision),
          creationTimestamp:
            object.metadata.creationTimestamp ??
            previous?.metadata.creationTimestamp ??
            new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      } as KubeObject);
      if (resource === 'pods' && previous) indexPod(previous, false);
      store.set(k, stored);
      if (resource === 'pods') indexPod(stored, true);
      record({
        rv: revision,
        type: previous ? 'MODIFIED' : 'ADDED',
        resource,
        object: stored,
        ...(previous ? { previous } : {}),
      });
      return stored;
    },
    modify(resource, namespace, name, mutate) {
      const store = stores.get(resource) as Map<string, KubeObject>;
      const current = store.get(key(namespace, name));
      if (!current) throw new Error(`no ${resource} ${key(namespace, name)}`);
      const copy = structuredClone(current);
      mutate(copy);
      return api.put(resource, copy);
    },
    remove(resource, namespace, name) {
      const store = stores.get(resource) as Map<string, KubeObject>;
      const k = key(namespace, name);
      const current = store.get(k);
      if (!current) return false;
      store.delete(k);
      if (resource === 'pods') indexPod(current, false);
      revision++;
      const gone = { ...current, metadata: { ...current.metadata, resourceVersion: String(revision) } };
      record({ rv: revision, type: 'DELETED', resource, object: gone, previous: current });
      return true;
    },
    get(resource, namespace, name) {
      return stores.get(resource)?.get(key(namespace, name));
    },
    addPod(input) {
      return api.put('pods', podObject(input));
    },
    seedPods(inputs) {
      const store = stores.get('pods') as Map<string, KubeObject>;
      for (const input of inputs) {
        revision++;
        const o = podObject(input) as KubeObject;
        o.metadata.uid = randomUUID();
        o.metadata.resourceVersion = String(revision);
        o.metadata.creationTimestamp = '2024-05-01T10:00:00Z';
        const stored = typed('pods', o);
        store.set(key(stored.metadata.namespace, stored.metadata.name), stored);
        indexPod(stored, true);
      }
      // Seeding bypasses the watch history: older versions are no longer replayable.
      compactedBefore = revision;
      history.length = 0;
    },
    addDeployment({ namespace, name, node, ips, labels = {} }) {
      const podLabels = { app: name, ...labels };
      const dep = api.put('deployments', {
        metadata: { name, namespace, labels: podLabels },
        spec: { replicas: ips.length, selector: { matchLabels: { app: name } } },
        status: { replicas: ips.length },
      });
      const hash = hex(5).slice(0, 10);
      const rsName = `${name}-${hash}`;
      const rs = api.put('replicasets', {
        metadata: {
          name: rsName,
          namespace,
          labels: { ...podLabels, 'pod-template-hash': hash },
          ownerReferences: [ownerRef('apps/v1', 'Deployment', dep)],
        },
        spec: { replicas: ips.length },
        status: { replicas: ips.length },
      });
      return ips.map((ip, i) =>
        api.addPod({
          name: `${rsName}-${hex(3).slice(0, 5)}${i}`,
          namespace,
          node,
          ip,
          labels: { ...podLabels, 'pod-template-hash': hash },
          owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rs.metadata.uid },
          containers: [{ name, image: `registry.example.com/team/${name}:1.4.2` }],
        }),
      );
    },
    addCronJobPod({ namespace, name, node, ip }) {
      const cj = api.put('cronjobs', { metadata: { name, namespace }, spec: { schedule: '*/5 * * * *' } });
      const jobName = `${name}-${Math.floor(Date.now() / 60_000)}`;
      const job = api.put('jobs', {
        metadata: { name: jobName, namespace, ownerReferences: [ownerRef('batch/v1', 'CronJob', cj)] },
        spec: { completions: 1 },
      });
      return api.addPod({
        name: `${jobName}-${hex(3).slice(0, 5)}`,
        namespace,
        node,
        ip,
        labels: { 'job-name': jobName },
        owner: { apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid: job.metadata.uid },
        containers: [{ name: 'task', image: `busybox:1.36` }],
      });
    },
    forceGone() {
      compactedBefore = revision + 1;
      history.length = 0;
      for (const w of [...watches]) {
        send(w, 'ERROR', status(410, 'Expired', `too old resource version: ${w.lastRv} (${revision})`));
        closeWatch(w);
      }
    },
    dropConnections() {
      for (const w of [...watches]) {
        watches.delete(w);
        if (w.timer) clearTimeout(w.timer);
        w.res.socket?.destroy();
      }
    },
    bookmark() {
      for (const w of watches) {
        if (!w.bookmarks) continue;
        w.lastRv = Math.max(w.lastRv, revision);
        send(w, 'BOOKMARK', {
          kind: RESOURCES[w.resource].kind,
          apiVersion: RESOURCES[w.resource].version,
          metadata: { resourceVersion: String(revision), annotations: { 'k8s.io/initial-events-end': 'false' } },
        });
      }
    },
    failNext(failure) {
      failures.push({ ...failure, left: failure.count ?? 1 });
    },
    callsTo(match) {
      return calls.filter((c) => match.test(c.path));
    },
    async close() {
      clearInterval(bookmarkTimer);
      for (const w of watches) if (w.timer) clearTimeout(w.timer);
      watches.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const closeWatch = (w: OpenWatch) => {
    if (!watches.delete(w)) return;
    if (w.timer) clearTimeout(w.timer);
    w.res.end();
  };

  const answer = (res: ServerResponse, call: RecordedCall, code: number, body: unknown) => {
    call.status = code;
    const text = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const watch = query.watch === 'true' || query.watch === '1';
    const call: RecordedCall = { method: req.method ?? 'GET', path: url.pathname, query, watch, status: 0 };
    calls.push(call);

    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return answer(res, call, 401, status(401, 'Unauthorized', 'Unauthorized'));
    }
    const scripted = failures.find((f) => f.left > 0 && (!f.match || f.match.test(url.pathname + (watch ? '?watch' : ''))));
    if (scripted) {
      scripted.left--;
      const reasons: Record<number, string> = {
        401: 'Unauthorized',
        403: 'Forbidden',
        429: 'TooManyRequests',
        500: 'InternalError',
        503: 'ServiceUnavailable',
      };
      return answer(
        res,
        call,
        scripted.status,
        status(scripted.status, reasons[scripted.status] as string, `scripted ${scripted.status}`),
      );
    }
    if (req.method !== 'GET') return answer(res, call, 405, status(405, 'MethodNotAllowed', 'the stand-in serves GET only'));

    // /api/v1[/namespaces/{ns}]/{resource}[/{name}] or /apis/{group}/{version}[/namespaces/{ns}]/{resource}[/{name}]
    const m = /^\/(?:api\/v1|apis\/([\w.]+)\/(v\w+))(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/.exec(url.pathname);
    const nsOnly = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname);
    let resource: Resource;
    let namespace: string | undefined;
    let name: string | undefined;
    if (nsOnly) {
      resource = 'namespaces';
      name = decodeURIComponent(nsOnly[1] as string);
    } else if (m && (m[4] as string) in RESOURCES) {
      resource = m[4] as Resource;
      const info = RESOURCES[resource];
      if ((m[1] ?? '') !== info.group || (m[2] ?? 'v1') !== info.version) {
        return answer(res, call, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      }
      namespace = m[3] ? decodeURIComponent(m[3]) : undefined;
      name = m[5] ? decodeURIComponent(m[5]) : undefined;
      if (!info.namespaced && namespace) {
        return answer(res, call, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      }
    } else {
      return answer(res, call, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    }
    const store = stores.get(resource) as Map<string, KubeObject>;
    const info = RESOURCES[resource];

    if (name !== undefined && !watch) {
      const o = store.get(key(info.namespaced ? namespace : undefined, name));
      if (!o) {
        return answer(
          res,
          call,
          404,
          status(404, 'NotFound', `${resource}${info.group ? `.${info.group}` : ''} "${name}" not found`, {
            name,
            group: info.group,
            kind: resource,
          }),
        );
      }
      return answer(res, call, 200, o);
    }

    let matches: (o: KubeObject) => boolean;
    let nodeFilter: string | undefined;
    try {
      const field = query.fieldSelector ? parseFieldSelector(resource, query.fieldSelector) : () => true;
      const label = query.labelSelector ? parseLabelSelector(query.labelSelector) : () => true;
      matches = (o) => field(o) && label(o.metadata.labels ?? {});
      const nm = /(?:^|,)spec\.nodeName==?([^,]*)/.exec(query.fieldSelector ?? '');
      if (resource === 'pods' && nm) nodeFilter = nm[1];
    } catch (err) {
      return answer(res, call, 400, status(400, 'BadRequest', (err as Error).message));
    }
    const candidates = (): Iterable<KubeObject> => {
      if (nodeFilter === undefined) return store.values();
      const keys = podsByNode.get(nodeFilter) ?? new Set<string>();
      return [...keys].map((k) => store.get(k) as KubeObject);
    };
    const selected = (): KubeObject[] => {
      const out: KubeObject[] = [];
      for (const o of candidates()) {
        if ((!namespace || o.metadata.namespace === namespace) && matches(o)) out.push(o);
      }
      return out.sort((a, b) =>
        key(a.metadata.namespace, a.metadata.name).localeCompare(key(b.metadata.namespace, b.metadata.name)),
      );
    };

    if (!watch) {
      // A continue token is {rv, after}: the list continues a snapshot; a compacted one is 410.
      let after = '';
      let listRv = revision;
      if (query.continue) {
        try {
          const t = JSON.parse(Buffer.from(query.continue, 'base64url').toString()) as { rv: number; after: string };
          if (t.rv < compactedBefore) {
            return answer(
              res,
              call,
              410,
              status(
                410,
                'Expired',
                'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
              ),
            );
          }
          after = t.after;
          listRv = t.rv;
        } catch {
          return answer(res, call, 400, status(400, 'BadRequest', 'continue key is not valid'));
        }
      }
      let items = selected();
      if (after) items = items.filter((o) => key(o.metadata.namespace, o.metadata.name) > after);
      const limit = query.limit ? Number(query.limit) : 0;
      const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
      if (limit > 0 && items.length > limit) {
        const last = items[limit - 1] as KubeObject;
        metadata.continue = Buffer.from(
          JSON.stringify({ rv: listRv, after: key(last.metadata.namespace, last.metadata.name) }),
        ).toString('base64url');
        metadata.remainingItemCount = items.length - limit;
        items = items.slice(0, limit);
      }
      const list = {
        kind: `${info.kind}List`,
        apiVersion: info.group ? `${info.group}/${info.version}` : info.version,
        metadata,
        items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
      };
      return answer(res, call, 200, list);
    }

    // Watch.
    call.status = 200;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const rvParam = query.resourceVersion ?? '';
    const w: OpenWatch = {
      resource,
      ...(namespace ? { namespace } : {}),
      matches: name ? (o) => o.metadata.name === name && matches(o) : matches,
      bookmarks: query.allowWatchBookmarks === 'true',
      res,
      lastRv: revision,
    };
    if (rvParam === '' || rvParam === '0') {
      for (const o of selected()) send(w, 'ADDED', o);
    } else {
      const from = Number(rvParam);
      if (!Number.isInteger(from) || from + 1 < compactedBefore) {
        send(w, 'ERROR', status(410, 'Expired', `too old resource version: ${rvParam} (${revision})`));
        res.end();
        return;
      }
      w.lastRv = from;
      for (const ev of history) if (ev.rv > from) deliver(w, ev);
      w.lastRv = revision;
    }
    watches.add(w);
    const timeout = Number(query.timeoutSeconds ?? 0);
    if (timeout > 0) w.timer = setTimeout(() => closeWatch(w), timeout * 1000);
    req.on('close', () => {
      watches.delete(w);
      if (w.timer) clearTimeout(w.timer);
    });
  };

  const server: Server = createServer(handle);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  (api as { url: string }).url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  const bookmarkTimer = setInterval(() => api.bookmark(), options.bookmarkIntervalMs ?? 1000);
  bookmarkTimer.unref();
  return api;
}

function ownerRef(apiVersion: string, kind: string, o: KubeObject): OwnerReference {
  return { apiVersion, kind, name: o.metadata.name, uid: o.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** The JSON of a running pod, as the API server would return it. */
export function podObject(
  input: PodInput,
): Omit<KubeObject, 'metadata'> & { metadata: Partial<KubeObject['metadata']> & { name: string } } {
  const containers = input.containers ?? [{ name: 'app', image: 'registry.example.com/app:1.0.0' }];
  const started = '2024-05-01T10:00:00Z';
  return {
    metadata: {
      name: input.name,
      namespace: input.namespace ?? 'default',
      labels: input.labels ?? {},
      annotations: input.annotations ?? {},
      ...(input.owner
        ? {
            ownerReferences: [
              {
                apiVersion: input.owner.apiVersion ?? 'apps/v1',
                kind: input.owner.kind,
                name: input.owner.name,
                uid: input.owner.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      nodeName: input.node,
      hostname: input.name,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
      ...(input.hostNetwork ? { hostNetwork: true } : {}),
      containers: containers.map((c) => ({ name: c.name, image: c.image, resources: {} })),
    },
    status: {
      phase: input.phase ?? 'Running',
      hostIP: '10.0.0.1',
      ...(input.ip ? { podIP: input.ip, podIPs: [{ ip: input.ip }] } : {}),
      startTime: started,
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: `${c.image.replace(/:[^:/@]+$/, '')}@sha256:${hex(32)}`,
        containerID: `containerd://${hex(32)}`,
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: started } },
      })),
    },
  };
}
