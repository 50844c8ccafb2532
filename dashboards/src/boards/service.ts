/**
 * Service dashboard: RED per route from `http.server.request.duration` (rate, errors, p50/p95/p99)
 * with exemplars on; an exemplar's `request_id` opens the drill-down (the Prometheus datasource's
 * exemplar link, see provisioning.ts).
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARD_UIDS } from '../datasources.js';
import type { ResolvedOptions } from '../options.js';
import { promVariable, row, statPanel, stitchDashboard, textPanel, timeseriesPanel } from '../panels.js';
import { histogramRate, ne, quantile, ratio, re, series } from '../promql.js';
import { namespaceVariable, serviceVariable } from './variables.js';

const HTTP = 'http_server_request_duration_seconds';

/** Builds the Service dashboard. */
export function serviceDashboard(_options: ResolvedOptions): Dashboard {
  const sel = { job: re('$service'), http_route: re('$route') };
  const errors = { ...sel, error_type: ne('') };
  const total = (by: 'http_route'[]) => histogramRate(HTTP, by, sel);
  const errorRatio = (by: 'http_route'[]) => ratio(histogramRate(HTTP, by, errors), total(by));

  return stitchDashboard(
    DASHBOARD_UIDS.service,
    'Stitch / Service',
    'RED metrics per route from @stitch/instrumentation (http.server.request.duration). Click an exemplar dot to open the drill-down for its request_id.',
  )
    .withVariable(namespaceVariable())
    .withVariable(serviceVariable(HTTP))
    .withVariable(
      promVariable({
        name: 'route',
        label: 'Route',
        query: `label_values(${HTTP}_count{job=~"$service"}, http_route)`,
        all: '.*',
      }),
    )
    .withRow(row('Overview'))
    .withPanel(
      statPanel({
        title: 'Requests / s',
        description: 'Requests per second across the selected services and routes.',
        unit: 'reqps',
        query: { expr: total([]) },
      }),
    )
    .withPanel(
      statPanel({
        title: 'Error ratio',
        description: 'Share of requests that ended with an error (error.type set: 5xx status or an exception).',
        unit: 'percentunit',
        query: { expr: errorRatio([]) },
        redAbove: 0.01,
      }),
    )
    .withPanel(
      statPanel({
        title: 'p95 latency',
        description: '95th percentile of http.server.request.duration.',
        unit: 's',
        query: { expr: quantile(0.95, HTTP, [], sel) },
      }),
    )
    .withPanel(
      statPanel({
        title: 'Active requests',
        description: 'Requests in flight (http.server.active_requests).',
        unit: 'short',
        query: { expr: `sum(${series('http_server_active_requests', { job: re('$service') })})` },
      }),
    )
    .withRow(row('Per route'))
    .withPanel(
      timeseriesPanel({
        title: 'Requests / s by route',
        description: 'Rate: requests per second per http.route.',
        unit: 'reqps',
        queries: [{ expr: total(['http_route']), legend: '{{http_route}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Error ratio by route',
        description: 'Errors: the share of each route’s requests that failed (0 when none did).',
        unit: 'percentunit',
        min: 0,
        queries: [{ expr: errorRatio(['http_route']), legend: '{{http_route}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Latency p50 / p95 / p99 (exemplars → drill-down)',
        description:
          'Duration percentiles across the selection. The dots are exemplars: each carries the trace_id, span_id and request_id of one real request; click one and choose "request_id" to open the drill-down.',
        unit: 's',
        queries: [
          { expr: quantile(0.99, HTTP, [], sel), legend: 'p99', exemplar: true },
          { expr: quantile(0.95, HTTP, [], sel), legend: 'p95' },
          { expr: quantile(0.5, HTTP, [], sel), legend: 'p50' },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'p95 latency by route (exemplars)',
        description: 'Duration: the 95th percentile per route, with exemplars.',
        unit: 's',
        queries: [{ expr: quantile(0.95, HTTP, ['http_route'], sel), legend: '{{http_route}}', exemplar: true }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Requests / s by status code',
        description: 'http.response.status_code per second.',
        unit: 'reqps',
        queries: [{ expr: histogramRate(HTTP, ['http_response_status_code'], sel), legend: '{{http_response_status_code}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Errors / s by route and error type',
        description: 'Failed requests per second by http.route and error.type (the status code, or the exception class).',
        unit: 'reqps',
        queries: [{ expr: histogramRate(HTTP, ['http_route', 'error_type'], errors), legend: '{{http_route}} {{error_type}}' }],
      }),
    )
    .withPanel(
      textPanel({
        title: 'From a spike to its logs',
        markdown:
          'Click an exemplar dot on a latency panel: its `request_id` link opens **Stitch / Drill-down** with that request’s log lines (Loki structured metadata), and its `trace_id` link opens the trace (Tempo when provisioned). Log lines link back here through the Loki datasource correlations.',
        height: 3,
      }),
    )
    .build();
}
