/**
 * What the local view asks the store: an overview (per route and per controller rate, error
 * ratio and p95 from the duration histograms; the newest requests and reconciles) and a search
 * by `request_id`, `rid` or `trace_id` (its spans, log lines and the series whose exemplars point
 * at it). Each call scans the bounded rings once or twice: milliseconds at the default sizes.
 */
import { type CounterPoint, counterDelta, type HistogramPoint, histogramDelta, histogramQuantile } from './red.js';
import type { ExemplarEntry, LocalStore, LogEntry, SeriesEntry, SpanEntry, StoreStats } from './store.js';

/** The OpenTelemetry HTTP server duration histogram (semantic conventions). */
export const HTTP_SERVER_DURATION = 'http.server.request.duration';
/** controller-runtime's reconcile duration histogram, as @stitch/instrumentation names it. */
export const RECONCILE_TIME = 'controller_runtime_reconcile_time_seconds';
/** controller-runtime's reconcile counter (label `result`). */
export const RECONCILE_TOTAL = 'controller_runtime_reconcile_total';
/** The window rates, ratios and quantiles are computed over. */
export const DEFAULT_WINDOW_MS = 5 * 60_000;
/** Rows of recent requests / reconciles in an overview. */
export const RECENT_LIMIT = 100;
const SEARCH_SPAN_LIMIT = 500;
const SEARCH_LOG_LIMIT = 1000;
const SEVERITY_ERROR = 17;
const SPAN_KIND_SERVER = 2;

/** A service route's RED figures over the window. */
export interface RouteRow {
  service: string;
  method: string;
  route: string;
  /** Requests per second. */
  rate: number;
  /** Share of 5xx responses (0–1); null without requests. */
  errorRatio: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  requests: number;
}

/** A controller's reconcile figures over the window. */
export interface ControllerRow {
  service: string;
  controller: string;
  rate: number;
  p95Ms: number | null;
  /** Reconciles by result (`success`, `error`, `requeue`, `requeue_after`). */
  results: Record<string, number>;
  reconciles: number;
}

/** One recent request (a SERVER span). */
export interface RequestRow {
  time: number;
  service: string;
  method: string;
  route: string;
  statusCode: number | null;
  durationMs: number;
  requestId: string | null;
  traceId: string;
  error: boolean;
  /** At or above its route's p95. */
  slow: boolean;
  logs: number;
  errorLogs: number;
}

/** One recent reconcile (a reconcile span). */
export interface ReconcileRow {
  time: number;
  service: string;
  controller: string;
  object: string;
  result: string;
  durationMs: number;
  rid: string;
  traceId: string;
  error: boolean;
  message: string | null;
  slow: boolean;
  logs: number;
  errorLogs: number;
}

/** The overview the view refreshes. */
export interface Overview {
  now: number;
  windowSeconds: number;
  stats: StoreStats;
  routes: RouteRow[];
  controllers: ControllerRow[];
  requests: RequestRow[];
  reconciles: ReconcileRow[];
}

/** A span in a search answer, with its depth in the trace tree. */
export interface SpanView extends SpanEntry {
  depth: number;
}

/** A series whose exemplars point at the searched IDs. */
export interface SeriesMatch {
  name: string;
  unit: string;
  service: string;
  kind: SeriesEntry['kind'];
  labels: Record<string, string>;
  exemplars: ExemplarEntry[];
}

/** Everything the store holds about one ID. */
export interface SearchResult {
  id: string;
  kind: 'request' | 'reconcile' | 'trace';
  request: RequestRow | null;
  reconcile: ReconcileRow | null;
  traceIds: string[];
  requestIds: string[];
  rids: string[];
  spans: SpanView[];
  logs: LogEntry[];
  series: SeriesMatch[];
}

function toMs(value: number, unit: string): number {
  if (unit === 'ms') return value;
  if (unit === 'us') return value / 1000;
  if (unit === 'ns') return value / 1e6;
  return value * 1000; // seconds, the semantic conventions' unit
}

interface Acc {
  count: number;
  errors: number;
  rate: number;
  bounds: number[];
  buckets: Float64Array | undefined;
  unit: string;
}

function addHistogram(acc: Acc, s: SeriesEntry, nowMs: number, windowMs: number): number {
  const d = histogramDelta(s.points.toArray() as HistogramPoint[], nowMs, windowMs);
  if (d === undefined || d.count <= 0) return 0;
  acc.count += d.count;
  acc.rate += d.count / d.seconds;
  if (acc.buckets === undefined) {
    acc.bounds = s.bounds;
    acc.buckets = d.buckets.slice();
    acc.unit = s.unit;
  } else if (acc.buckets.length === d.buckets.length) {
    for (let i = 0; i < d.buckets.length; i++) acc.buckets[i] += d.buckets[i];
  }
  return d.count;
}

function quantileMs(acc: Acc, q: number): number | null {
  if (acc.buckets === undefined) return null;
  const v = histogramQuantile(q, acc.bounds, acc.buckets);
  return v === undefined ? null : toMs(v, acc.unit);
}

const newAcc = (): Acc => ({ count: 0, errors: 0, rate: 0, bounds: [], buckets: undefined, unit: 's' });

function isHttpError(labels: Record<string, string>): boolean {
  const code = Number(labels['http.response.status_code']);
  return code >= 500;
}

/** Per-route and per-controller figures over the window. */
export function red(
  store: LocalStore,
  nowMs: number,
  windowMs = DEFAULT_WINDOW_MS,
): { routes: RouteRow[]; controllers: ControllerRow[] } {
  const routes = new Map<string, { service: string; method: string; route: string; acc: Acc }>();
  const controllers = new Map<string, { service: string; controller: string; acc: Acc; results: Record<string, number> }>();
  const controllerOf = (service: string, controller: string) => {
    const key = `${service}\u0000${controller}`;
    let c = controllers.get(key);
    if (c === undefined) controllers.set(key, (c = { service, controller, acc: newAcc(), results: {} }));
    return c;
  };
  for (const s of store.series.values()) {
    if (s.name === HTTP_SERVER_DURATION) {
      const method = s.labels['http.request.method'] ?? '';
      const route = s.labels['http.route'] ?? '';
      const key = `${s.service}\u0000${method}\u0000${route}`;
      let r = routes.get(key);
      if (r === undefined) routes.set(key, (r = { service: s.service, method, route, acc: newAcc() }));
      const n = addHistogram(r.acc, s, nowMs, windowMs);
      if (isHttpError(s.labels)) r.acc.errors += n;
    } else if (s.name === RECONCILE_TIME) {
      addHistogram(controllerOf(s.service, s.labels.controller ?? '').acc, s, nowMs, windowMs);
    } else if (s.name === RECONCILE_TOTAL) {
      const n = counterDelta(s.points.toArray() as CounterPoint[], nowMs, windowMs);
      if (n !== undefined && n > 0) {
        const c = controllerOf(s.service, s.labels.controller ?? '');
        const result = s.labels.result ?? 'unknown';
        c.results[result] = (c.results[result] ?? 0) + n;
      }
    }
  }
  const routeRows = [...routes.values()]
    .map(
      ({ service, method, route, acc }): RouteRow => ({
        service,
        method,
        route,
        rate: acc.rate,
        errorRatio: acc.count > 0 ? acc.errors / acc.count : null,
        p50Ms: quantileMs(acc, 0.5),
        p95Ms: quantileMs(acc, 0.95),
        requests: acc.count,
      }),
    )
    .sort((a, b) => a.service.localeCompare(b.service) || a.route.localeCompare(b.route) || a.method.localeCompare(b.method));
  const controllerRows = [...controllers.values()]
    .map(
      ({ service, controller, acc, results }): ControllerRow => ({
        service,
        controller,
        rate: acc.rate,
        p95Ms: quantileMs(acc, 0.95),
        results,
        reconciles: acc.count,
      }),
    )
    .sort((a, b) => a.service.localeCompare(b.service) || a.controller.localeCompare(b.controller));
  return { routes: routeRows, controllers: controllerRows };
}

interface LogCounts {
  byId: Map<string, { logs: number; errors: number }>;
}

function countLogs(store: LocalStore): LogCounts {
  const byId = new Map<string, { logs: number; errors: number }>();
  const add = (id: string | undefined, error: boolean) => {
    if (id === undefined) return;
    let c = byId.get(id);
    if (c === undefined) byId.set(id, (c = { logs: 0, errors: 0 }));
    c.logs++;
    if (error) c.errors++;
  };
  store.logs.forEach((l) => {
    const error = l.severityNumber >= SEVERITY_ERROR;
    add(l.requestId, error);
    if (l.rid !== l.requestId) add(l.rid, error);
  });
  return { byId };
}

const isRequestSpan = (s: SpanEntry) => s.kind === SPAN_KIND_SERVER && (s.requestId !== undefined || s.route !== undefined);
const isReconcileSpan = (s: SpanEntry) => s.rid !== undefined && s.controller !== undefined && s.parentSpanId === '';

function requestRow(s: SpanEntry, counts: LogCounts, p95: Map<string, number | null>): RequestRow {
  const c = s.requestId === undefined ? undefined : counts.byId.get(s.requestId);
  const routeP95 = p95.get(`${s.service}\u0000${s.method ?? ''}\u0000${s.route ?? ''}`);
  return {
    time: s.start,
    service: s.service,
    method: s.method ?? '',
    route: s.route ?? s.name,
    statusCode: s.statusCode ?? null,
    durationMs: s.durationMs,
    requestId: s.requestId ?? null,
    traceId: s.traceId,
    error: s.error || (s.statusCode ?? 0) >= 500,
    slow: routeP95 != null && s.durationMs >= routeP95,
    logs: c?.logs ?? 0,
    errorLogs: c?.errors ?? 0,
  };
}

function reconcileRow(s: SpanEntry, counts: LogCounts, p95: Map<string, number | null>): ReconcileRow {
  const c = counts.byId.get(s.rid as string);
  const controllerP95 = p95.get(`${s.service}\u0000${s.controller ?? ''}`);
  return {
    time: s.start,
    service: s.service,
    controller: s.controller ?? '',
    object: s.object ?? '',
    result: s.result ?? (s.error ? 'error' : 'success'),
    durationMs: s.durationMs,
    rid: s.rid as string,
    traceId: s.traceId,
    error: s.error || s.result === 'error',
    message: s.statusMessage ?? null,
    slow: controllerP95 != null && s.durationMs >= controllerP95,
    logs: c?.logs ?? 0,
    errorLogs: c?.errors ?? 0,
  };
}

function p95Maps(routes: RouteRow[], controllers: ControllerRow[]) {
  return {
    routes: new Map(routes.map((r) => [`${r.service}\u0000${r.method}\u0000${r.route}`, r.p95Ms])),
    controllers: new Map(controllers.map((c) => [`${c.service}\u0000${c.controller}`, c.p95Ms])),
  };
}

/** The overview: figures per route and controller, and the newest requests and reconciles. */
export function overview(store: LocalStore, nowMs: number, windowMs = DEFAULT_WINDOW_MS, limit = RECENT_LIMIT): Overview {
  const { routes, controllers } = red(store, nowMs, windowMs);
  const p95 = p95Maps(routes, controllers);
  const counts = countLogs(store);
  const requests: RequestRow[] = [];
  const reconciles: ReconcileRow[] = [];
  for (const s of store.spans.newestFirst()) {
    if (requests.length < limit && isRequestSpan(s)) requests.push(requestRow(s, counts, p95.routes));
    else if (reconciles.length < limit && isReconcileSpan(s)) reconciles.push(reconcileRow(s, counts, p95.controllers));
    if (requests.length >= limit && reconciles.length >= limit) break;
  }
  // Spans arrive in batches per process: order by start time, newest first.
  requests.sort((a, b) => b.time - a.time);
  reconciles.sort((a, b) => b.time - a.time);
  return { now: nowMs, windowSeconds: windowMs / 1000, stats: store.stats(), routes, controllers, requests, reconciles };
}

const TRACE_ID_RE = /^[0-9a-fA-F]{32}$/;

/**
 * Everything held about `id` (a request ID, reconcile ID or trace ID), following links: the
 * spans carrying the ID give their trace IDs, log lines carrying it give theirs, and then every
 * span and line of those traces joins in. Undefined when nothing matches.
 */
export function search(store: LocalStore, rawId: string, nowMs: number, windowMs = DEFAULT_WINDOW_MS): SearchResult | undefined {
  const id = rawId.trim();
  if (id === '') return undefined;
  const traceForm = TRACE_ID_RE.test(id) ? id.toLowerCase() : undefined;
  const traces = new Set<string>();
  const requestIds = new Set<string>();
  const rids = new Set<string>();
  let kind: SearchResult['kind'] | undefined;
  if (traceForm !== undefined) traces.add(traceForm);

  // Pass 1: direct hits teach us the linked IDs.
  const learn = (x: { traceId: string; requestId?: string | undefined; rid?: string | undefined }) => {
    const hitRequest = x.requestId === id;
    const hitRid = x.rid === id;
    const hitTrace = traceForm !== undefined && x.traceId === traceForm;
    if (!hitRequest && !hitRid && !hitTrace) return;
    kind ??= hitRequest ? 'request' : hitRid ? 'reconcile' : 'trace';
    if (x.traceId !== '') traces.add(x.traceId);
    if (x.requestId !== undefined) requestIds.add(x.requestId);
    if (x.rid !== undefined) rids.add(x.rid);
  };
  store.spans.forEach(learn);
  store.logs.forEach(learn);
  if (kind === undefined) return undefined;

  // Pass 2: everything of those traces and IDs.
  const belongs = (x: { traceId: string; requestId?: string | undefined; rid?: string | undefined }) =>
    traces.has(x.traceId) ||
    (x.requestId !== undefined && requestIds.has(x.requestId)) ||
    (x.rid !== undefined && rids.has(x.rid));
  const spans: SpanEntry[] = [];
  store.spans.forEach((s) => {
    if (spans.length < SEARCH_SPAN_LIMIT && belongs(s)) spans.push(s);
  });
  const logs: LogEntry[] = [];
  store.logs.forEach((l) => {
    if (belongs(l)) logs.push(l);
  });
  logs.sort((a, b) => a.time - b.time);
  if (logs.length > SEARCH_LOG_LIMIT) logs.splice(0, logs.length - SEARCH_LOG_LIMIT);

  const series: SeriesMatch[] = [];
  for (const s of store.series.values()) {
    const hits = s.exemplars.toArray().filter(belongs);
    if (hits.length > 0) {
      series.push({ name: s.name, unit: s.unit, service: s.service, kind: s.kind, labels: s.labels, exemplars: hits });
    }
  }

  const { routes, controllers } = red(store, nowMs, windowMs);
  const p95 = p95Maps(routes, controllers);
  const counts = countLogs(store);
  const rootRequest = spans.find((s) => isRequestSpan(s) && (s.requestId === id || kind === 'trace'));
  const rootReconcile = spans.find((s) => isReconcileSpan(s) && (s.rid === id || kind === 'trace'));
  return {
    id,
    kind,
    request: rootRequest ? requestRow(rootRequest, counts, p95.routes) : null,
    reconcile: rootReconcile ? reconcileRow(rootReconcile, counts, p95.controllers) : null,
    traceIds: [...traces],
    requestIds: [...requestIds],
    rids: [...rids],
    spans: waterfall(spans),
    logs,
    series,
  };
}

/** Spans in tree order (parents before children, siblings by start) with their depth. */
export function waterfall(spans: readonly SpanEntry[]): SpanView[] {
  const byId = new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const children = new Map<string, SpanEntry[]>();
  const roots: SpanEntry[] = [];
  for (const s of spans) {
    const parentKey = `${s.traceId}/${s.parentSpanId}`;
    if (s.parentSpanId !== '' && byId.has(parentKey)) {
      let list = children.get(parentKey);
      if (list === undefined) children.set(parentKey, (list = []));
      list.push(s);
    } else roots.push(s);
  }
  const out: SpanView[] = [];
  const visit = (s: SpanEntry, depth: number) => {
    out.push({ ...s, depth });
    const kids = children.get(`${s.traceId}/${s.spanId}`);
    if (kids) for (const k of kids.sort((a, b) => a.start - b.start)) visit(k, depth + 1);
  };
  for (const r of roots.sort((a, b) => a.start - b.start)) visit(r, 0);
  return out;
}
