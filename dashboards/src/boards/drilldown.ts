/**
 * Drill-down dashboard: everything about one request (`request_id`), one reconcile (`rid`) or one
 * trace (`trace_id`). Exemplar links and Loki derived fields open it with the variable set. Shows
 * the ID's log lines (Loki structured metadata), when they were written, the latency series whose
 * exemplars carry the IDs, and links to Explore, Tempo and the collector's correlation API.
 */
import type { Dashboard, DashboardLinkBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { CORRELATION_IDS, type CorrelationIdName } from '../catalogue.js';
import { DASHBOARD_UIDS, LOKI, TEMPO } from '../datasources.js';
import { countBy, linesOf, metadataEquals } from '../logql.js';
import { exploreUrl, type ResolvedOptions } from '../options.js';
import {
  logsPanel,
  lokiTimeseriesPanel,
  promVariable,
  row,
  stitchDashboard,
  textPanel,
  textVariable,
  timeseriesPanel,
  urlLink,
} from '../panels.js';
import { quantile, re } from '../promql.js';

const LABELS: Record<CorrelationIdName, string> = { request_id: 'Request ID', rid: 'Reconcile ID (rid)', trace_id: 'Trace ID' };

function links(options: ResolvedOptions): DashboardLinkBuilder[] {
  const out: DashboardLinkBuilder[] = [];
  for (const id of CORRELATION_IDS) {
    const token = `@@${id}@@`;
    out.push(
      urlLink({
        title: `Explore: logs of ${id}`,
        tooltip: `Open the log lines whose ${id} is $${id} in Explore`,
        url: exploreUrl({ datasource: LOKI, fields: { expr: metadataEquals(id, token), queryType: 'range' } }, { [token]: id }),
      }),
    );
  }
  if (options.tempo) {
    out.push(
      urlLink({
        title: 'Explore: trace',
        tooltip: 'Open trace $trace_id in Tempo',
        url: exploreUrl(
          { datasource: TEMPO, fields: { query: '@@trace_id@@', queryType: 'traceql' } },
          { '@@trace_id@@': 'trace_id' },
        ),
      }),
    );
  }
  for (const id of CORRELATION_IDS) {
    out.push(
      urlLink({
        title: `Correlation API: ${id}`,
        tooltip: `GET /api/v1/correlations/$${id} on the collector: linked IDs, log counts, series, ready-made queries`,
        url: `\${correlation_api}/api/v1/correlations/\${${id}:percentencode}`,
      }),
    );
  }
  return out;
}

/** Builds the Drill-down dashboard. */
export function drilldownDashboard(options: ResolvedOptions): Dashboard {
  const builder = stitchDashboard(
    DASHBOARD_UIDS.drilldown,
    'Stitch / Drill-down',
    'Everything about one request_id, rid or trace_id: its log lines (Loki structured metadata), the series whose exemplars carry it, and links to Explore, traces and the collector’s correlation API.',
  )
    .time({ from: 'now-6h', to: 'now' })
    .refresh('');
  for (const id of CORRELATION_IDS) builder.withVariable(textVariable(id, LABELS[id]));
  builder
    .withVariable(
      promVariable({ name: 'service', label: 'Service (for the series)', query: 'label_values(target_info, job)', all: '.*' }),
    )
    .withVariable(textVariable('correlation_api', 'Correlation API', options.correlationApiUrl));
  for (const link of links(options)) builder.link(link);

  return builder
    .withPanel(
      textPanel({
        title: 'How to use',
        markdown:
          'Set **Request ID**, **Reconcile ID (rid)** or **Trace ID** above, or arrive here from an exemplar or a log line. Log lines below carry links on their `trace_id`, `request_id` and `rid` fields (open a line’s details). The links at the top open Explore and the collector’s correlation API for the same IDs.',
        height: 3,
      }),
    )
    .withRow(row('Logs'))
    .withPanel(
      logsPanel({
        title: 'Log lines of the request, reconcile or trace',
        description:
          'Every log line whose structured metadata request_id, rid or trace_id equals the variable (empty variables match nothing).',
        queries: CORRELATION_IDS.map((id) => ({ expr: linesOf(id) })),
      }),
    )
    .withPanel(
      lokiTimeseriesPanel({
        title: 'Log lines over time',
        description: 'When the ID’s lines were written, by service and level.',
        span: 24,
        queries: CORRELATION_IDS.map((id) => ({
          expr: countBy(['service_name', 'level'], linesOf(id)),
          legend: `${id} {{service_name}} {{level}}`,
        })),
      }),
    )
    .withRow(row('Series (exemplars carry the IDs)'))
    .withPanel(
      timeseriesPanel({
        title: 'HTTP p95 latency by service and route',
        description: 'The request’s series: each exemplar dot carries the request_id and trace_id of one request.',
        unit: 's',
        queries: [
          {
            expr: quantile(0.95, 'http_server_request_duration_seconds', ['job', 'http_route'], { job: re('$service') }),
            legend: '{{job}} {{http_route}}',
            exemplar: true,
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Reconcile p95 time by controller',
        description: 'The reconcile’s series: each exemplar dot carries the rid and trace_id of one reconcile.',
        unit: 's',
        queries: [
          {
            expr: quantile(0.95, 'controller_runtime_reconcile_time_seconds', ['job', 'controller'], { job: re('$service') }),
            legend: '{{job}} {{controller}}',
            exemplar: true,
          },
        ],
      }),
    )
    .build();
}
