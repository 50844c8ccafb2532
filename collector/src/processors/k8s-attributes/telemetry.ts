/**
 * The processor's own metrics (documented in its README): association hits and misses per
 * signal, API errors by operation and status, relists by reason; gauges for the pod table and
 * the object caches. Counted per batch, never per record.
 */
import { type ComponentTelemetry, sharedCounter } from '../../telemetry/self-metrics.js';

const counter = sharedCounter;

/** Counters bound to one component. */
export interface K8sTelemetry {
  associations(signal: string, hits: number, misses: number): void;
  apiError(operation: 'list' | 'watch' | 'get', status: number): void;
  relist(reason: 'initial' | 'gone' | 'error'): void;
}

/** Creates the counters on the component's registry. */
export function createK8sTelemetry(t: ComponentTelemetry): K8sTelemetry {
  const assoc = counter(
    t.registry,
    'stitch_processor_k8sattributes_associations_total',
    'Resources the k8sattributes processor looked up, by result (hit: a pod matched; miss: none did).',
    ['component_id', 'signal', 'result'],
  );
  const apiErrors = counter(
    t.registry,
    'stitch_processor_k8sattributes_api_errors_total',
    'Failed Kubernetes API calls, by operation (list, watch, get) and HTTP status (0: network).',
    ['component_id', 'operation', 'status'],
  );
  const relists = counter(
    t.registry,
    'stitch_processor_k8sattributes_relists_total',
    'Pod lists (initial, after a 410 Gone, after a failed list).',
    ['component_id', 'reason'],
  );
  const id = t.componentId;
  return {
    associations(signal, hits, misses) {
      if (hits > 0) assoc.inc({ component_id: id, signal, result: 'hit' }, hits);
      if (misses > 0) assoc.inc({ component_id: id, signal, result: 'miss' }, misses);
    },
    apiError(operation, status) {
      apiErrors.inc({ component_id: id, operation, status: String(status) });
    },
    relist(reason) {
      relists.inc({ component_id: id, reason });
    },
  };
}
