/**
 * Turns index entries into the API's JSON: linked entities, ready-made LogQL / PromQL and, with
 * Grafana configured, Explore URLs. Pure; the HTTP layer is ./extension.ts.
 */
import {
  type CorrelationEntry,
  type CorrelationIndex,
  exploreUrl,
  logqlFor,
  promqlFor,
  type SeriesRef,
} from '@stitch/correlation';
import type { CorrelationExtensionConfig } from './config.js';

/** A series in an answer. */
export interface SeriesView {
  name: string;
  labels: Readonly<Record<string, string>>;
  /** Selector for `/api/v1/query_exemplars` and `/api/v1/query`. */
  promql: string;
  explore_url?: string;
}

/** One answer of `GET /api/v1/correlations/{id}` (also the items of the list). */
export interface CorrelationView {
  id: string;
  key: string;
  kind: string;
  service?: string | undefined;
  namespace?: string | undefined;
  pod?: string | undefined;
  controller?: string | undefined;
  object?: { namespace?: string | undefined; name?: string | undefined };
  first_seen: string;
  last_seen: string;
  logs: { count: number; errors: number };
  spans: { count: number; errors: number };
  trace_ids: readonly string[];
  request_ids: readonly string[];
  rids: readonly string[];
  series: SeriesView[];
  queries: { logql: string; promql: string[]; traces?: string[] };
  links?: { logs?: string; traces?: string[] };
}

/** Margin around first/last seen for query time ranges. */
const RANGE_MARGIN_MS = 5 * 60_000;

/** Renders an entry as the API answers it. */
export function renderEntry(e: CorrelationEntry, config: CorrelationExtensionConfig): CorrelationView {
  const g = config.grafana;
  const from = e.firstSeenMs - RANGE_MARGIN_MS;
  const to = e.lastSeenMs + RANGE_MARGIN_MS;
  const logql = logqlFor(e);
  const traceIds = e.key === 'trace_id' ? [e.id] : e.traceIds;
  const series = e.series.map((s: SeriesRef): SeriesView => {
    const view: SeriesView = { name: s.name, labels: s.labels, promql: promqlFor(s) };
    if (g?.datasources.prometheus) {
      view.explore_url = exploreUrl(g.url, g.org_id, {
        datasource: { type: 'prometheus', uid: g.datasources.prometheus },
        query: { expr: view.promql, exemplar: true, range: true },
        from,
        to,
      });
    }
    return view;
  });
  const view: CorrelationView = {
    id: e.id,
    key: e.key,
    kind: e.kind,
    service: e.service,
    namespace: e.namespace,
    pod: e.pod,
    controller: e.controller,
    first_seen: new Date(e.firstSeenMs).toISOString(),
    last_seen: new Date(e.lastSeenMs).toISOString(),
    logs: { count: e.logCount, errors: e.errorLogCount },
    spans: { count: e.spanCount, errors: e.errorSpanCount },
    trace_ids: traceIds,
    request_ids: e.key === 'request_id' ? [e.id] : e.requestIds,
    rids: e.key === 'rid' ? [e.id] : e.rids,
    series,
    queries: { logql, promql: series.map((s) => s.promql), traces: [...traceIds] },
  };
  if (e.objectNamespace !== undefined || e.objectName !== undefined) {
    view.object = { namespace: e.objectNamespace, name: e.objectName };
  }
  if (g) {
    const links: NonNullable<CorrelationView['links']> = {};
    if (g.datasources.loki) {
      links.logs = exploreUrl(g.url, g.org_id, {
        datasource: { type: 'loki', uid: g.datasources.loki },
        query: { expr: logql, queryType: 'range' },
        from,
        to,
      });
    }
    const tempo = g.datasources.tempo;
    if (tempo) {
      links.traces = traceIds.map((t) =>
        exploreUrl(g.url, g.org_id, {
          datasource: { type: 'tempo', uid: tempo },
          query: { queryType: 'traceql', query: t },
          from,
          to,
        }),
      );
    }
    view.links = links;
  }
  return view;
}

/**
 * An entry with what its linked IDs know merged in: a request's series come from the request
 * entry itself, its span count from the request and its log lines; a trace's service from the
 * request that ran in it. Only fills gaps; counts stay the entry's own.
 */
export function withLinked(e: CorrelationEntry, index: CorrelationIndex): CorrelationEntry {
  if (e.service !== undefined && e.series.length > 0) return e;
  let service = e.service;
  let namespace = e.namespace;
  let pod = e.pod;
  const series = [...e.series];
  const seen = new Set(series.map((s) => s.key));
  for (const id of [...e.requestIds, ...e.rids, ...e.traceIds]) {
    const other = index.get(id);
    if (!other) continue;
    service ??= other.service;
    namespace ??= other.namespace;
    pod ??= other.pod;
    for (const s of other.series) {
      if (!seen.has(s.key)) {
        seen.add(s.key);
        series.push(s);
      }
    }
  }
  return { ...e, service, namespace, pod, series };
}
