/**
 * Operator dashboard: per controller, what controller-runtime users watch — reconcile rate by
 * result, error ratio, P95 reconcile time (exemplars carry `rid` → drill-down), work-queue depth,
 * backlog age (unfinished work, longest running processor, queue wait) and retries.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARD_UIDS } from '../datasources.js';
import type { ResolvedOptions } from '../options.js';
import { promVariable, row, statPanel, stitchDashboard, textPanel, timeseriesPanel } from '../panels.js';
import { aggregate, quantile, ratio, re, series, sumRate } from '../promql.js';
import { namespaceVariable, serviceVariable } from './variables.js';

const RECONCILE_TIME = 'controller_runtime_reconcile_time_seconds';

/** Builds the Operator dashboard. */
export function operatorDashboard(_options: ResolvedOptions): Dashboard {
  const ctl = { job: re('$service'), controller: re('$controller') };
  // client-go names a controller's queue after the controller (label `name`).
  const queue = { job: re('$service'), name: re('$controller') };
  const reconciles = (by: 'controller'[]) => sumRate('controller_runtime_reconcile_total', by, ctl);
  const errorRatio = (by: 'controller'[]) => ratio(sumRate('controller_runtime_reconcile_errors_total', by, ctl), reconciles(by));

  return stitchDashboard(
    DASHBOARD_UIDS.operator,
    'Stitch / Operator',
    'controller-runtime reconcile and work-queue metrics from @stitch/instrumentation (wrapReconciler / createController). Click an exemplar dot to open the drill-down for its rid.',
  )
    .withVariable(namespaceVariable())
    .withVariable(serviceVariable('controller_runtime_reconcile_total'))
    .withVariable(
      promVariable({
        name: 'controller',
        label: 'Controller',
        query: 'label_values(controller_runtime_reconcile_total{job=~"$service"}, controller)',
        all: '.*',
      }),
    )
    .withRow(row('Overview'))
    .withPanel(
      statPanel({
        title: 'Reconciles / s',
        description: 'Reconciles per second, all results.',
        unit: 'cps',
        query: { expr: reconciles([]) },
      }),
    )
    .withPanel(
      statPanel({
        title: 'Error ratio',
        description: 'Share of reconciles that returned an error (terminal and panics included).',
        unit: 'percentunit',
        query: { expr: errorRatio([]) },
        redAbove: 0.05,
      }),
    )
    .withPanel(
      statPanel({
        title: 'p95 reconcile time',
        description: '95th percentile of controller_runtime_reconcile_time_seconds.',
        unit: 's',
        query: { expr: quantile(0.95, RECONCILE_TIME, [], ctl) },
      }),
    )
    .withPanel(
      statPanel({
        title: 'Queue depth',
        description: 'Items waiting in the work queues.',
        unit: 'short',
        query: { expr: aggregate('sum', [], series('workqueue_depth', queue)) },
      }),
    )
    .withRow(row('Reconciles'))
    .withPanel(
      timeseriesPanel({
        title: 'Reconciles / s by result',
        description: 'controller_runtime_reconcile_total by result: success, error, requeue, requeue_after.',
        unit: 'cps',
        queries: [
          {
            expr: sumRate('controller_runtime_reconcile_total', ['controller', 'result'], ctl),
            legend: '{{controller}} {{result}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Error ratio by controller',
        description: 'Reconcile errors / reconciles (0 when none failed).',
        unit: 'percentunit',
        min: 0,
        queries: [{ expr: errorRatio(['controller']), legend: '{{controller}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Reconcile time p50 / p95 / p99 (exemplars → drill-down)',
        description:
          'Reconcile duration percentiles per controller. The dots are exemplars carrying the rid (and trace_id) of one reconcile; click one and choose "rid" to open the drill-down.',
        unit: 's',
        queries: [
          { expr: quantile(0.95, RECONCILE_TIME, ['controller'], ctl), legend: 'p95 {{controller}}', exemplar: true },
          { expr: quantile(0.99, RECONCILE_TIME, ['controller'], ctl), legend: 'p99 {{controller}}' },
          { expr: quantile(0.5, RECONCILE_TIME, ['controller'], ctl), legend: 'p50 {{controller}}' },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Terminal errors and panics / s',
        description: 'Errors that are never retried (TerminalError) and reconcilers that threw a non-Error (panics).',
        unit: 'cps',
        queries: [
          {
            expr: sumRate('controller_runtime_terminal_reconcile_errors_total', ['controller'], ctl),
            legend: 'terminal {{controller}}',
          },
          { expr: sumRate('controller_runtime_reconcile_panics_total', ['controller'], ctl), legend: 'panic {{controller}}' },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Workers in use',
        description: 'Active reconciles against MaxConcurrentReconciles.',
        unit: 'short',
        min: 0,
        queries: [
          {
            expr: aggregate('sum', ['controller'], series('controller_runtime_active_workers', ctl)),
            legend: 'active {{controller}}',
          },
          {
            expr: aggregate('max', ['controller'], series('controller_runtime_max_concurrent_reconciles', ctl)),
            legend: 'max {{controller}}',
          },
        ],
      }),
    )
    .withRow(row('Work queue'))
    .withPanel(
      timeseriesPanel({
        title: 'Queue depth',
        description: 'workqueue_depth: items added and not yet handed to a worker.',
        unit: 'short',
        min: 0,
        queries: [{ expr: aggregate('sum', ['name'], series('workqueue_depth', queue)), legend: '{{name}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Backlog age',
        description:
          'Work in progress not yet finished: the summed age of running items (unfinished work) and the longest-running one. Growing lines mean stuck reconciles.',
        unit: 's',
        min: 0,
        queries: [
          {
            expr: aggregate('max', ['name'], series('workqueue_unfinished_work_seconds', queue)),
            legend: 'unfinished {{name}}',
          },
          {
            expr: aggregate('max', ['name'], series('workqueue_longest_running_processor_seconds', queue)),
            legend: 'longest running {{name}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Queue wait p95',
        description: 'How long items wait in the queue before a worker takes them (workqueue_queue_duration_seconds).',
        unit: 's',
        queries: [{ expr: quantile(0.95, 'workqueue_queue_duration_seconds', ['name'], queue), legend: '{{name}}' }],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Adds and retries / s',
        description: 'workqueue_adds_total and workqueue_retries_total (rate-limited requeues after errors).',
        unit: 'cps',
        queries: [
          { expr: sumRate('workqueue_adds_total', ['name'], queue), legend: 'adds {{name}}' },
          { expr: sumRate('workqueue_retries_total', ['name'], queue), legend: 'retries {{name}}' },
        ],
      }),
    )
    .withPanel(
      textPanel({
        title: 'From a slow reconcile to its logs',
        markdown:
          'Click an exemplar dot on the reconcile-time panel: its `rid` link opens **Stitch / Drill-down** with every log line of that reconcile (Loki structured metadata `rid`). Log lines that carry `controller` link back here through the Loki datasource correlations.',
        height: 3,
      }),
    )
    .build();
}
