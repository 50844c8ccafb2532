/**
 * Options of the generated dashboards and provisioning (`stitch dashboards` flags), and the URLs
 * derived from them: drill-down links and Grafana Explore links.
 */
import type { CorrelationIdName } from './catalogue.js';
import { DASHBOARD_UIDS, type DATASOURCE_UIDS } from './datasources.js';

/**
 * Default base URL of the collector's correlation API (the `correlation` extension's
 * `endpoint`); the drill-down dashboard offers it as an editable variable.
 */
export const DEFAULT_CORRELATION_API_URL = 'http://localhost:13180';

/** Where Grafana reads the dashboard files from (the provider's `options.path`). */
export const DEFAULT_DASHBOARDS_PATH = '/var/lib/grafana/dashboards/stitch';

/** What `stitch dashboards` generates; every field has a default (see {@link resolveOptions}). */
export interface GenerateOptions {
  /**
   * Grafana's external URL prefix for links written into datasource settings (`''`: links are
   * relative, `/d/…`, right when Grafana is served at the root of its host).
   */
  grafanaUrl?: string;
  /** Provision a Tempo datasource (`TEMPO_URL`) and send `trace_id` links there instead of to the drill-down. */
  tempo?: boolean;
  /** Default of the drill-down's `correlation_api` variable. */
  correlationApiUrl?: string;
  /**
   * How often metrics arrive (OTLP export interval or scrape interval), set as the Prometheus
   * datasource's `timeInterval` so `$__rate_interval` always spans several samples. The OTel SDK
   * exports every 60 s by default.
   */
  metricInterval?: string;
  /** The dashboard provider's `options.path`: where the dashboard JSON files are mounted in Grafana. */
  dashboardsPath?: string;
}

/** {@link GenerateOptions} with every default applied. */
export type ResolvedOptions = Required<GenerateOptions>;

/** Applies the defaults; strips a trailing `/` from URLs. */
export function resolveOptions(options: GenerateOptions = {}): ResolvedOptions {
  return {
    grafanaUrl: (options.grafanaUrl ?? '').replace(/\/+$/, ''),
    tempo: options.tempo ?? false,
    correlationApiUrl: (options.correlationApiUrl ?? DEFAULT_CORRELATION_API_URL).replace(/\/+$/, ''),
    metricInterval: options.metricInterval ?? '60s',
    dashboardsPath: options.dashboardsPath ?? DEFAULT_DASHBOARDS_PATH,
  };
}

/** The drill-down dashboard's path (the slug is cosmetic: Grafana resolves by UID). */
export const DRILLDOWN_PATH = `/d/${DASHBOARD_UIDS.drilldown}/stitch-drill-down`;

/**
 * A link to the drill-down with one ID variable set to `value` (a Grafana expression such as
 * `${__value.raw}`; escape `$` yourself where the file format needs it).
 */
export function drilldownUrl(options: ResolvedOptions, id: CorrelationIdName, value: string): string {
  return `${options.grafanaUrl}${DRILLDOWN_PATH}?var-${id}=${value}`;
}

/** One Explore query. */
export interface ExploreQuery {
  datasource: { type: string; uid: (typeof DATASOURCE_UIDS)[keyof typeof DATASOURCE_UIDS] };
  /** Query fields of the datasource (`expr` for Prometheus and Loki, `query` for Tempo). */
  fields: Record<string, string>;
}

/**
 * A Grafana Explore URL (the `panes` format of Grafana 10+) for a dashboard link. `vars` maps
 * placeholder tokens inside the query fields to Grafana variables: the JSON is percent-encoded
 * first, then each token is replaced by `${var:percentencode}`, so the variable's value is
 * encoded exactly once when Grafana interpolates the link.
 */
export function exploreUrl(query: ExploreQuery, vars: Record<string, string>): string {
  const pane = {
    a: {
      datasource: query.datasource.uid,
      queries: [{ refId: 'A', datasource: query.datasource, ...query.fields }],
      range: { from: '@@from@@', to: '@@to@@' },
    },
  };
  let encoded = encodeURIComponent(JSON.stringify(pane));
  const all: Record<string, string> = { '@@from@@': '__from', '@@to@@': '__to', ...vars };
  for (const [token, variable] of Object.entries(all)) {
    encoded = encoded.split(encodeURIComponent(token)).join(`\${${variable}:percentencode}`);
  }
  return `/explore?schemaVersion=1&orgId=1&panes=${encoded}`;
}
