/**
 * Collector health: the collector's own metrics (scraped from :8888): per component what came in,
 * went out, was refused or dropped and why; exporter queues (depth, fill, oldest item age); the
 * k8sattributes cache and its association misses; memory and event-loop lag.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARD_UIDS } from '../datasources.js';
import type { ResolvedOptions } from '../options.js';
import { promVariable, row, statPanel, stitchDashboard, timeseriesPanel } from '../panels.js';
import { aggregate, eq, ratio, re, series, sumRate } from '../promql.js';

/** Builds the Collector health dashboard. */
export function collectorDashboard(_options: ResolvedOptions): Dashboard {
  const t = { job: re('$job'), instance: re('$instance') };
  // `or vector(0)`: a counter with no series yet (nothing ever refused) must read 0, not "No data".
  const refusedOrDropped = `(${sumRate('stitch_receiver_refused_items_total', [], t)} or vector(0)) + (${sumRate('stitch_component_dropped_items_total', [], t)} or vector(0))`;

  return stitchDashboard(
    DASHBOARD_UIDS.collector,
    'Stitch / Collector health',
    'The Stitch collector’s own metrics: items in and out per component, refusals and drops by reason, exporter queues, the Kubernetes metadata cache, memory and event-loop lag.',
  )
    .withVariable(
      promVariable({ name: 'job', label: 'Job', query: 'label_values(stitch_process_resident_memory_bytes, job)', all: '.*' }),
    )
    .withVariable(
      promVariable({
        name: 'instance',
        label: 'Instance',
        query: 'label_values(stitch_process_resident_memory_bytes{job=~"$job"}, instance)',
        all: '.*',
      }),
    )
    .withRow(row('Overview'))
    .withPanel(
      statPanel({
        title: 'Accepted items / s',
        description: 'Items receivers handed to the pipelines.',
        unit: 'cps',
        query: { expr: sumRate('stitch_receiver_accepted_items_total', [], t) },
      }),
    )
    .withPanel(
      statPanel({
        title: 'Sent items / s',
        description: 'Items the backends accepted.',
        unit: 'cps',
        query: { expr: sumRate('stitch_exporter_sent_items_total', [], t) },
      }),
    )
    .withPanel(
      statPanel({
        title: 'Refused + dropped items / s',
        description: 'Items refused at the door or dropped inside, all reasons (should be 0).',
        unit: 'cps',
        query: { expr: refusedOrDropped },
        redAbove: 0,
      }),
    )
    .withPanel(
      statPanel({
        title: 'Resident memory',
        description: 'Resident set size of the collector processes.',
        unit: 'bytes',
        query: { expr: aggregate('max', [], series('stitch_process_resident_memory_bytes', t)) },
      }),
    )
    .withRow(row('Pipelines'))
    .withPanel(
      timeseriesPanel({
        title: 'Receivers: accepted items / s',
        description: 'stitch_receiver_accepted_items_total per receiver and signal.',
        unit: 'cps',
        queries: [
          {
            expr: sumRate('stitch_receiver_accepted_items_total', ['component_id', 'signal'], t),
            legend: '{{component_id}} {{signal}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Receivers: refused items / s by reason',
        description: 'Bad input, too large, unauthenticated, memory limit, backpressure… per receiver.',
        unit: 'cps',
        queries: [
          {
            expr: sumRate('stitch_receiver_refused_items_total', ['component_id', 'reason'], t),
            legend: '{{component_id}} {{reason}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Processors: incoming vs outgoing items / s',
        description: 'What each processor received and passed on (filters and samplers pass on less).',
        unit: 'cps',
        queries: [
          { expr: sumRate('stitch_processor_incoming_items_total', ['component_id'], t), legend: 'in {{component_id}}' },
          { expr: sumRate('stitch_processor_outgoing_items_total', ['component_id'], t), legend: 'out {{component_id}}' },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Dropped items / s by reason',
        description: 'stitch_component_dropped_items_total: every drop is counted with its reason.',
        unit: 'cps',
        queries: [
          {
            expr: sumRate('stitch_component_dropped_items_total', ['component_id', 'reason'], t),
            legend: '{{component_id}} {{reason}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Exporters: sent items / s',
        description: 'Items each exporter delivered and the backend accepted.',
        unit: 'cps',
        queries: [
          {
            expr: sumRate('stitch_exporter_sent_items_total', ['component_id', 'signal'], t),
            legend: '{{component_id}} {{signal}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Exporters: failed sends / s by reason',
        description: 'Send attempts that failed (they may still be retried from the queue).',
        unit: 'cps',
        queries: [
          {
            expr: sumRate('stitch_exporter_send_failed_items_total', ['component_id', 'reason'], t),
            legend: '{{component_id}} {{reason}}',
          },
        ],
      }),
    )
    .withRow(row('Exporter queues'))
    .withPanel(
      timeseriesPanel({
        title: 'Queue depth (items)',
        description: 'Items in each exporter’s sending queue, queued and in flight.',
        unit: 'short',
        span: 8,
        queries: [
          {
            expr: aggregate('max', ['component_id', 'signal'], series('stitch_exporter_queue_size', { ...t, unit: eq('items') })),
            legend: '{{component_id}} {{signal}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Queue fill',
        description: 'Queue size over capacity, in the queue’s own sizer unit. At 100% new data is refused or blocks.',
        unit: 'percentunit',
        span: 8,
        min: 0,
        max: 1,
        queries: [
          {
            expr: `${aggregate('max', ['component_id', 'signal', 'unit'], series('stitch_exporter_queue_size', t))} / ${aggregate('max', ['component_id', 'signal', 'unit'], series('stitch_exporter_queue_capacity', t))}`,
            legend: '{{component_id}} {{signal}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Oldest queued item age',
        description: 'Age of the oldest request waiting in each queue: how far behind the backend the exporter is.',
        unit: 's',
        span: 8,
        queries: [
          {
            expr: aggregate('max', ['component_id', 'signal'], series('stitch_exporter_queue_oldest_item_age_seconds', t)),
            legend: '{{component_id}} {{signal}}',
          },
        ],
      }),
    )
    .withRow(row('Kubernetes metadata (k8sattributes)'))
    .withPanel(
      timeseriesPanel({
        title: 'Cache size',
        description:
          'Pods in the cache (live, and deleted ones kept for the grace period) and cached owners, namespaces and nodes.',
        unit: 'short',
        span: 8,
        queries: [
          {
            expr: aggregate('max', ['component_id', 'state'], series('stitch_processor_k8sattributes_pods', t)),
            legend: 'pods {{state}} {{component_id}}',
          },
          {
            expr: aggregate('max', ['component_id', 'kind'], series('stitch_processor_k8sattributes_cached_objects', t)),
            legend: '{{kind}} {{component_id}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Association misses',
        description: 'Share of resources no pod matched (they pass on without Kubernetes attributes).',
        unit: 'percentunit',
        span: 8,
        min: 0,
        queries: [
          {
            expr: ratio(
              sumRate('stitch_processor_k8sattributes_associations_total', ['component_id', 'signal'], {
                ...t,
                result: eq('miss'),
              }),
              sumRate('stitch_processor_k8sattributes_associations_total', ['component_id', 'signal'], t),
            ),
            legend: '{{component_id}} {{signal}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Kubernetes API errors / s',
        description: 'Failed list, watch and get calls by HTTP status (0: network).',
        unit: 'cps',
        span: 8,
        queries: [
          {
            expr: sumRate('stitch_processor_k8sattributes_api_errors_total', ['operation', 'status'], t),
            legend: '{{operation}} {{status}}',
          },
        ],
      }),
    )
    .withRow(row('Process'))
    .withPanel(
      timeseriesPanel({
        title: 'Memory',
        description: 'Resident set size and V8 heap in use, per collector.',
        unit: 'bytes',
        span: 8,
        queries: [
          { expr: aggregate('max', ['instance'], series('stitch_process_resident_memory_bytes', t)), legend: 'rss {{instance}}' },
          { expr: aggregate('max', ['instance'], series('stitch_nodejs_heap_size_used_bytes', t)), legend: 'heap {{instance}}' },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Event-loop lag',
        description: 'p99 and mean event-loop delay: above a few ms, receivers answer late and queues grow.',
        unit: 's',
        span: 8,
        queries: [
          {
            expr: aggregate('max', ['instance'], series('stitch_nodejs_eventloop_lag_p99_seconds', t)),
            legend: 'p99 {{instance}}',
          },
          {
            expr: aggregate('max', ['instance'], series('stitch_nodejs_eventloop_lag_mean_seconds', t)),
            legend: 'mean {{instance}}',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'CPU',
        description: 'CPU seconds per second (1 = one core busy).',
        unit: 'short',
        span: 8,
        queries: [{ expr: sumRate('stitch_process_cpu_seconds_total', ['instance'], t), legend: '{{instance}}' }],
      }),
    )
    .build();
}
