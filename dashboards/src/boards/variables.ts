/**
 * The namespace and service variables the Service and Operator dashboards share. Services are
 * Prometheus `job`s (service.namespace/service.name); the Kubernetes namespace lives on
 * `target_info` (resource attributes), so the service list joins the two on job and instance.
 */
import type { QueryVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { promVariable } from '../panels.js';
import { histogramSeries, re, series } from '../promql.js';

/** `namespace`: Kubernetes namespaces seen on `target_info` ("All" also matches series without one). */
export function namespaceVariable(): QueryVariableBuilder {
  return promVariable({
    name: 'namespace',
    label: 'Namespace',
    query: 'label_values(target_info, k8s_namespace_name)',
    all: '.*',
  });
}

/** `service`: the jobs that emit `metric` in the selected namespaces. */
export function serviceVariable(
  metric: 'http_server_request_duration_seconds' | 'controller_runtime_reconcile_total',
): QueryVariableBuilder {
  const emitting = metric === 'controller_runtime_reconcile_total' ? series(metric) : histogramSeries(metric, 'count');
  const inNamespace = series('target_info', { k8s_namespace_name: re('$namespace') });
  return promVariable({
    name: 'service',
    label: 'Service',
    query: `query_result(count by (job) (${emitting} and on (job, instance) ${inNamespace}))`,
    regex: '/job="([^"]+)"/',
    all: '.*',
  });
}
