/**
 * What the pipeline emits, in one typed place: every Prometheus metric and label, Loki stream
 * label and structured-metadata key the dashboards and provisioning may use. Query builders take
 * their names from here (a typo is a compile error), and tests check this list against the real
 * producers: the prometheusremotewrite translation of @stitch/instrumentation's OTLP, the
 * collector's self-metrics registry, and the loki exporter's label rules.
 *
 * Names are the Prometheus names after the OpenTelemetry → Prometheus translation with
 * `add_metric_suffixes: true` (the exporter's default): `http.server.request.duration` [s] →
 * `http_server_request_duration_seconds`; counters already ending in `_total` keep one `_total`.
 */

/** Who produces a metric. */
export type MetricSource =
  /** @stitch/instrumentation over OTLP, then the prometheusremotewrite exporter (job/instance from the resource). */
  | 'instrumentation'
  /** The prometheusremotewrite exporter itself: one `target_info` series per resource. */
  | 'translation'
  /** The collector's own registry on :8888, scraped by Prometheus (job/instance from the scrape config). */
  | 'collector';

/** Prometheus metric kind; histograms expand to `_bucket` (with `le`), `_sum` and `_count`. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** One metric family. */
export interface MetricSpec {
  readonly kind: MetricKind;
  readonly source: MetricSource;
  /** Labels besides `job` and `instance` (every series has those) and `le` (histogram buckets). */
  readonly labels: readonly string[];
  /** Exemplar label names, when the producer attaches exemplars. */
  readonly exemplars?: readonly string[];
}

const HTTP_DURATION_LABELS = ['http_request_method', 'http_route', 'http_response_status_code', 'url_scheme', 'error_type'];
const CONTROLLER = ['controller'];
const WORKQUEUE = ['name', 'controller'];

/** Every metric family the dashboards may query, keyed by its Prometheus name (without histogram suffixes). */
export const METRICS = {
  // @stitch/instrumentation: HTTP server (OpenTelemetry semantic conventions).
  http_server_request_duration_seconds: {
    kind: 'histogram',
    source: 'instrumentation',
    labels: HTTP_DURATION_LABELS,
    exemplars: ['trace_id', 'span_id', 'request_id'],
  },
  http_server_active_requests: { kind: 'gauge', source: 'instrumentation', labels: ['http_request_method', 'url_scheme'] },
  // @stitch/instrumentation: controller-runtime's reconcile metrics (wrapReconciler / createController).
  controller_runtime_reconcile_total: { kind: 'counter', source: 'instrumentation', labels: ['controller', 'result'] },
  controller_runtime_reconcile_errors_total: { kind: 'counter', source: 'instrumentation', labels: CONTROLLER },
  controller_runtime_terminal_reconcile_errors_total: { kind: 'counter', source: 'instrumentation', labels: CONTROLLER },
  controller_runtime_reconcile_panics_total: { kind: 'counter', source: 'instrumentation', labels: CONTROLLER },
  controller_runtime_reconcile_time_seconds: {
    kind: 'histogram',
    source: 'instrumentation',
    labels: CONTROLLER,
    exemplars: ['trace_id', 'span_id', 'rid'],
  },
  controller_runtime_active_workers: { kind: 'gauge', source: 'instrumentation', labels: CONTROLLER },
  controller_runtime_max_concurrent_reconciles: { kind: 'gauge', source: 'instrumentation', labels: CONTROLLER },
  // @stitch/instrumentation: client-go's work-queue metrics (label `name`, plus `controller` as controller-runtime sets).
  workqueue_depth: { kind: 'gauge', source: 'instrumentation', labels: WORKQUEUE },
  workqueue_adds_total: { kind: 'counter', source: 'instrumentation', labels: WORKQUEUE },
  workqueue_retries_total: { kind: 'counter', source: 'instrumentation', labels: WORKQUEUE },
  workqueue_queue_duration_seconds: { kind: 'histogram', source: 'instrumentation', labels: WORKQUEUE },
  workqueue_work_duration_seconds: { kind: 'histogram', source: 'instrumentation', labels: WORKQUEUE },
  workqueue_unfinished_work_seconds: { kind: 'gauge', source: 'instrumentation', labels: WORKQUEUE },
  workqueue_longest_running_processor_seconds: { kind: 'gauge', source: 'instrumentation', labels: WORKQUEUE },
  // prometheusremotewrite: the resource's other attributes, joined on job/instance. `k8s_namespace_name`
  // is there when the app's downward-API env or the k8sattributes processor set `k8s.namespace.name`.
  target_info: {
    kind: 'gauge',
    source: 'translation',
    labels: ['k8s_namespace_name', 'k8s_pod_name', 'k8s_node_name', 'service_version'],
  },
  // The collector's self-metrics (collector/src/telemetry/self-metrics.ts and the components).
  stitch_receiver_accepted_items_total: { kind: 'counter', source: 'collector', labels: ['component_id', 'signal', 'transport'] },
  stitch_receiver_refused_items_total: {
    kind: 'counter',
    source: 'collector',
    labels: ['component_id', 'signal', 'transport', 'reason'],
  },
  stitch_processor_incoming_items_total: { kind: 'counter', source: 'collector', labels: ['component_id', 'signal'] },
  stitch_processor_outgoing_items_total: { kind: 'counter', source: 'collector', labels: ['component_id', 'signal'] },
  stitch_component_dropped_items_total: { kind: 'counter', source: 'collector', labels: ['component_id', 'signal', 'reason'] },
  stitch_exporter_sent_items_total: { kind: 'counter', source: 'collector', labels: ['component_id', 'signal'] },
  stitch_exporter_send_failed_items_total: { kind: 'counter', source: 'collector', labels: ['component_id', 'signal', 'reason'] },
  stitch_exporter_queue_size: { kind: 'gauge', source: 'collector', labels: ['component_id', 'signal', 'unit'] },
  stitch_exporter_queue_capacity: { kind: 'gauge', source: 'collector', labels: ['component_id', 'signal', 'unit'] },
  stitch_exporter_queue_oldest_item_age_seconds: { kind: 'gauge', source: 'collector', labels: ['component_id', 'signal'] },
  stitch_processor_k8sattributes_associations_total: {
    kind: 'counter',
    source: 'collector',
    labels: ['component_id', 'signal', 'result'],
  },
  stitch_processor_k8sattributes_pods: { kind: 'gauge', source: 'collector', labels: ['component_id', 'state'] },
  stitch_processor_k8sattributes_cached_objects: { kind: 'gauge', source: 'collector', labels: ['component_id', 'kind'] },
  stitch_processor_k8sattributes_api_errors_total: {
    kind: 'counter',
    source: 'collector',
    labels: ['component_id', 'operation', 'status'],
  },
  // prom-client's default process and Node.js metrics, registered with the `stitch_` prefix.
  stitch_process_resident_memory_bytes: { kind: 'gauge', source: 'collector', labels: [] },
  stitch_process_cpu_seconds_total: { kind: 'counter', source: 'collector', labels: [] },
  stitch_nodejs_heap_size_used_bytes: { kind: 'gauge', source: 'collector', labels: [] },
  stitch_nodejs_eventloop_lag_p99_seconds: { kind: 'gauge', source: 'collector', labels: [] },
  stitch_nodejs_eventloop_lag_mean_seconds: { kind: 'gauge', source: 'collector', labels: [] },
} as const satisfies Record<string, MetricSpec>;

/** A metric family name from {@link METRICS}. */
export type MetricName = keyof typeof METRICS;

/** Labels every series carries: from the resource (remote-write) or the scrape target. */
export const COMMON_LABELS = ['job', 'instance'] as const;

/** The label names usable on `M` (its own, `job`, `instance`, and `le` on histogram buckets). */
export type LabelOf<M extends MetricName> = (typeof METRICS)[M]['labels'][number] | (typeof COMMON_LABELS)[number];

/** Histogram family names. */
export type HistogramName = { [K in MetricName]: (typeof METRICS)[K]['kind'] extends 'histogram' ? K : never }[MetricName];

/** The Prometheus series names of a family: histograms expand to `_bucket`, `_sum`, `_count`. */
export function seriesNames(metric: MetricName): string[] {
  const spec: MetricSpec = METRICS[metric];
  return spec.kind === 'histogram' ? [`${metric}_bucket`, `${metric}_sum`, `${metric}_count`] : [metric];
}

/** Series name → its family and the labels it may carry (common ones and `le` included). */
export function seriesIndex(): Map<string, { family: MetricName; labels: Set<string> }> {
  const out = new Map<string, { family: MetricName; labels: Set<string> }>();
  for (const family of Object.keys(METRICS) as MetricName[]) {
    const spec: MetricSpec = METRICS[family];
    for (const name of seriesNames(family)) {
      const labels = new Set<string>([...spec.labels, ...COMMON_LABELS]);
      if (name.endsWith('_bucket') && spec.kind === 'histogram') labels.add('le');
      out.set(name, { family, labels });
    }
  }
  return out;
}

/**
 * Loki stream labels the loki exporter sets by default (Loki's OTLP index labels, dots to
 * underscores). Only some exist on a given stream: those whose resource attribute is set.
 */
export const LOKI_STREAM_LABELS = [
  'service_name',
  'service_namespace',
  'deployment_environment',
  'k8s_cluster_name',
  'k8s_namespace_name',
  'k8s_deployment_name',
  'k8s_statefulset_name',
  'k8s_daemonset_name',
  'k8s_cronjob_name',
  'k8s_job_name',
  'k8s_container_name',
  'container_name',
  'k8s_replicaset_name',
  'cloud_region',
  'cloud_availability_zone',
  'k8s_pod_name',
  'service_instance_id',
] as const;

/**
 * Structured-metadata keys the dashboards and links rely on: the correlation IDs of DESIGN.md,
 * severity, and the reconcile attributes @stitch/instrumentation logs (`k8s.object.*` normalised).
 */
export const LOKI_METADATA_KEYS = [
  'trace_id',
  'span_id',
  'request_id',
  'rid',
  'severity_text',
  'level',
  'controller',
  'k8s_object_namespace',
  'k8s_object_name',
] as const;

/** A Loki stream label. */
export type LokiStreamLabel = (typeof LOKI_STREAM_LABELS)[number];
/** A Loki structured-metadata key. */
export type LokiMetadataKey = (typeof LOKI_METADATA_KEYS)[number];

/** The correlation IDs that link signals (DESIGN.md "Wire keys"). */
export const CORRELATION_IDS = ['request_id', 'rid', 'trace_id'] as const;
/** One of {@link CORRELATION_IDS}. */
export type CorrelationIdName = (typeof CORRELATION_IDS)[number];
