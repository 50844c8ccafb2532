/**
 * Ready-made queries for an indexed ID: LogQL for its log lines (Loki structured-metadata
 * filters, never stream labels), PromQL selectors for the series whose exemplars carry it, and
 * Grafana Explore URLs opening them. Pure string building; the collector's `correlation`
 * extension serves the results, and the local view (issue 11) can reuse them.
 */
import type { CorrelationEntry, SeriesRef } from './correlation-index.js';

/** A string literal in LogQL / PromQL (Go-quoted; JSON's escapes are a subset Go accepts). */
export function quoteLiteral(s: string): string {
  return JSON.stringify(s);
}

/** The Loki label Stitch's loki exporter (and Loki's OTLP ingestion) gives `service.name`. */
export const LOKI_SERVICE_LABEL = 'service_name';

/**
 * LogQL selecting the log lines of an entry: `{service_name="checkout"} | request_id="…"`. The ID
 * is a structured-metadata label filter; without a known service the selector matches any.
 */
export function logqlFor(entry: Pick<CorrelationEntry, 'key' | 'id' | 'service'>): string {
  const selector =
    entry.service !== undefined && entry.service !== ''
      ? `{${LOKI_SERVICE_LABEL}=${quoteLiteral(entry.service)}}`
      : `{${LOKI_SERVICE_LABEL}=~".+"}`;
  return `${selector} | ${entry.key}=${quoteLiteral(entry.id)}`;
}

/** The PromQL selector of a series (`name_bucket{job="x",…}`), usable with query_exemplars. */
export function promqlFor(series: SeriesRef): string {
  const labels = Object.entries(series.labels)
    .map(([k, v]) => `${k}=${quoteLiteral(v)}`)
    .join(',');
  return `${series.name}${series.suffix}{${labels}}`;
}

/** A Grafana datasource reference. */
export interface DatasourceRef {
  readonly type: string;
  readonly uid: string;
}

/** One Explore pane: a datasource, its query fields, a time range. */
export interface ExplorePane {
  readonly datasource: DatasourceRef;
  /** Datasource-specific query fields (`expr` for Loki and Prometheus, `query` for Tempo). */
  readonly query: Readonly<Record<string, unknown>>;
  /** Epoch milliseconds or Grafana relative times (`now-1h`). */
  readonly from: number | string;
  readonly to: number | string;
}

/**
 * A Grafana Explore URL (`/explore?schemaVersion=1&panes=…&orgId=…`, the format of Grafana 10+):
 * `panes` is a JSON object of pane ID → { datasource, queries, range }, URL-encoded.
 */
export function exploreUrl(grafanaUrl: string, orgId: number, pane: ExplorePane): string {
  const panes = {
    stitch: {
      datasource: pane.datasource.uid,
      queries: [{ refId: 'A', datasource: { type: pane.datasource.type, uid: pane.datasource.uid }, ...pane.query }],
      range: { from: String(pane.from), to: String(pane.to) },
    },
  };
  const base = grafanaUrl.replace(/\/+$/, '');
  return `${base}/explore?schemaVersion=1&panes=${encodeURIComponent(JSON.stringify(panes))}&orgId=${orgId}`;
}
