/**
 * @stitch/dashboards: Grafana dashboards (Service, Operator, Drill-down, Collector health) and
 * datasource / correlation provisioning for Stitch's correlated views, generated from typed code
 * whose metric and label names come from one catalogue of what the pipeline emits.
 */
export {
  COMMON_LABELS,
  CORRELATION_IDS,
  type CorrelationIdName,
  type LabelOf,
  LOKI_METADATA_KEYS,
  LOKI_STREAM_LABELS,
  METRICS,
  type MetricName,
  type MetricSource,
  type MetricSpec,
  seriesIndex,
  seriesNames,
} from './catalogue.js';
export { DASHBOARD_UIDS, DATASOURCE_UIDS, LOKI, PROMETHEUS, TEMPO } from './datasources.js';
export { buildDashboards, type GeneratedFile, generateFiles, LAYOUT, writeFiles } from './generate.js';
export {
  DEFAULT_CORRELATION_API_URL,
  DEFAULT_DASHBOARDS_PATH,
  DRILLDOWN_PATH,
  drilldownUrl,
  type GenerateOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
export {
  DASHBOARD_FILES,
  DATASOURCE_ENV,
  dashboardProviderFile,
  datasourcesFile,
  escapeProvisioning,
  lokiCorrelations,
} from './provisioning.js';
export { type DashboardQuery, dashboardQueries } from './queries.js';
