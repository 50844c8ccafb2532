/**
 * Grafana provisioning: the dashboard provider, and the datasources with fixed UIDs that link the
 * signals on all three IDs —
 * - Prometheus exemplars: `trace_id` → Tempo (or the drill-down), `request_id` and `rid` → the
 *   drill-down with its variable set;
 * - Loki derived fields on structured metadata (`matcherType: label`): the same three IDs;
 * - Grafana correlations (Grafana 10+) from Loki log lines to the service's RED metrics and the
 *   controller's reconcile metrics.
 * URLs come from the environment through Grafana's own interpolation (`${PROMETHEUS_URL}`), so
 * every other `$` in these files is written `$$`.
 */
import { type DASHBOARD_UIDS, DATASOURCE_UIDS, LOKI } from './datasources.js';
import { ALL_STREAMS } from './logql.js';
import { drilldownUrl, type ResolvedOptions } from './options.js';
import { eq, histogramRate, re, sumRate } from './promql.js';

/** Environment variables the datasource file reads (Grafana expands them at start-up). */
export const DATASOURCE_ENV = { prometheus: 'PROMETHEUS_URL', loki: 'LOKI_URL', tempo: 'TEMPO_URL' } as const;

/** Escapes `$` for a provisioning file: Grafana reads `$$` as a literal `$` and `$NAME` as an env var. */
export function escapeProvisioning<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('$', '$$$$') as T;
  if (Array.isArray(value)) return value.map((v) => escapeProvisioning(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeProvisioning(v)])) as T;
  }
  return value;
}

/** A datasource entry of the provisioning file (the subset Stitch writes). */
export interface DatasourceEntry {
  name: string;
  uid: string;
  type: string;
  access: 'proxy';
  url: string;
  isDefault: boolean;
  editable: boolean;
  jsonData: Record<string, unknown>;
  correlations?: Record<string, unknown>[];
}

/** The datasources, with `$` already escaped everywhere except the env-var URLs. */
export function datasourceEntries(options: ResolvedOptions): DatasourceEntry[] {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's data-link variable, not a JS template.
  const value = '${__value.raw}';
  const traceDestination = options.tempo
    ? { name: 'trace_id', datasourceUid: DATASOURCE_UIDS.tempo, urlDisplayLabel: 'Trace' }
    : { name: 'trace_id', url: drilldownUrl(options, 'trace_id', value), urlDisplayLabel: 'Drill-down: trace_id' };
  const prometheus: DatasourceEntry = {
    name: 'Stitch Prometheus',
    uid: DATASOURCE_UIDS.prometheus,
    type: 'prometheus',
    access: 'proxy',
    url: `\${${DATASOURCE_ENV.prometheus}}`,
    isDefault: true,
    editable: false,
    jsonData: escapeProvisioning({
      httpMethod: 'POST',
      timeInterval: options.metricInterval,
      exemplarTraceIdDestinations: [
        traceDestination,
        { name: 'request_id', url: drilldownUrl(options, 'request_id', value), urlDisplayLabel: 'Drill-down: request_id' },
        { name: 'rid', url: drilldownUrl(options, 'rid', value), urlDisplayLabel: 'Drill-down: rid' },
      ],
    }),
  };

  const traceField = options.tempo
    ? {
        name: 'trace_id',
        matcherType: 'label',
        matcherRegex: 'trace_id',
        datasourceUid: DATASOURCE_UIDS.tempo,
        url: value,
        urlDisplayLabel: 'Trace',
      }
    : {
        name: 'trace_id',
        matcherType: 'label',
        matcherRegex: 'trace_id',
        url: drilldownUrl(options, 'trace_id', value),
        urlDisplayLabel: 'Drill-down: trace_id',
      };
  const loki: DatasourceEntry = {
    name: 'Stitch Loki',
    uid: DATASOURCE_UIDS.loki,
    type: 'loki',
    access: 'proxy',
    url: `\${${DATASOURCE_ENV.loki}}`,
    isDefault: false,
    editable: false,
    jsonData: escapeProvisioning({
      maxLines: 1000,
      derivedFields: [
        traceField,
        {
          name: 'request_id',
          matcherType: 'label',
          matcherRegex: 'request_id',
          url: drilldownUrl(options, 'request_id', value),
          urlDisplayLabel: 'Drill-down: request_id',
        },
        {
          name: 'rid',
          matcherType: 'label',
          matcherRegex: 'rid',
          url: drilldownUrl(options, 'rid', value),
          urlDisplayLabel: 'Drill-down: rid',
        },
      ],
    }),
    correlations: escapeProvisioning(lokiCorrelations()),
  };
  const out = [prometheus, loki];
  if (options.tempo) {
    out.push({
      name: 'Stitch Tempo',
      uid: DATASOURCE_UIDS.tempo,
      type: 'tempo',
      access: 'proxy',
      url: `\${${DATASOURCE_ENV.tempo}}`,
      isDefault: false,
      editable: false,
      jsonData: escapeProvisioning({
        tracesToLogsV2: {
          datasourceUid: LOKI.uid,
          customQuery: true,
          query: `${ALL_STREAMS} | trace_id="\${__trace.traceId}"`,
          spanStartTimeShift: '-5m',
          spanEndTimeShift: '5m',
        },
        tracesToMetrics: { datasourceUid: DATASOURCE_UIDS.prometheus },
        serviceMap: { datasourceUid: DATASOURCE_UIDS.prometheus },
        nodeGraph: { enabled: true },
      }),
    });
  }
  return out;
}

/**
 * Correlations from Loki log lines to metrics. A line's `service_name` opens its service's RED
 * per route (the job is `service.namespace/service.name`, or the name alone); a line's
 * `controller` opens that controller's reconciles by result. Variables are the line's fields.
 */
export function lokiCorrelations(): Record<string, unknown>[] {
  // `${field}` is Grafana's correlation variable syntax (the log line's field), not a JS template.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: see above
  const serviceJob = re('(.+/)?${service_name}');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: see above
  const controllerName = eq('${controller}');
  const serviceRed = histogramRate('http_server_request_duration_seconds', ['http_route'], { job: serviceJob });
  const controller = sumRate('controller_runtime_reconcile_total', ['result'], { controller: controllerName });
  const query = (expr: string) => ({
    type: 'query',
    target: {
      expr,
      range: true,
      instant: false,
      refId: 'A',
      datasource: { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus },
    },
  });
  return [
    {
      targetUID: DATASOURCE_UIDS.prometheus,
      label: 'Service RED metrics by route',
      description: 'Requests per second per route of the service that wrote this line (Stitch / Service has the full view).',
      type: 'query',
      config: { ...query(serviceRed), field: 'service_name' },
    },
    {
      targetUID: DATASOURCE_UIDS.prometheus,
      label: 'Controller reconciles by result',
      description:
        'Reconciles per second by result of the controller that wrote this line (Stitch / Operator has the full view).',
      type: 'query',
      config: { ...query(controller), field: 'controller' },
    },
  ];
}

/** The datasource provisioning file (YAML document as an object). */
export function datasourcesFile(options: ResolvedOptions): Record<string, unknown> {
  return {
    apiVersion: 1,
    // Re-provisioning replaces these; nothing else is deleted.
    deleteDatasources: [],
    datasources: datasourceEntries(options),
  };
}

/** The dashboard provider file: Grafana loads the JSON files from `options.dashboardsPath`. */
export function dashboardProviderFile(options: ResolvedOptions): Record<string, unknown> {
  return {
    apiVersion: 1,
    providers: [
      {
        name: 'stitch',
        orgId: 1,
        folder: 'Stitch',
        folderUid: 'stitch',
        type: 'file',
        disableDeletion: false,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: escapeProvisioning(options.dashboardsPath), foldersFromFilesStructure: false },
      },
    ],
  };
}

/** The dashboards the provider loads, by file name. */
export const DASHBOARD_FILES: Record<keyof typeof DASHBOARD_UIDS, string> = {
  service: 'stitch-service.json',
  operator: 'stitch-operator.json',
  drilldown: 'stitch-drilldown.json',
  collector: 'stitch-collector.json',
};
