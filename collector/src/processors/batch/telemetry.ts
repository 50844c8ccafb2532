/**
 * The batch processor's own metrics, after the Collector's `otelcol_processor_batch_*`
 * (processor/batchprocessor/documentation.md). Recorded once per sent batch.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Signal } from '../../model/types.js';

/** Why a batch was sent. */
export type SendTrigger = 'size' | 'timeout';

/** The Collector's bucket boundaries for batch_send_size. */
const SIZE_BUCKETS = [
  10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 20000, 30000, 50000, 100000,
];

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** Telemetry of one batch processor instance. */
export interface BatchTelemetry {
  /** A batch of `items` was accepted downstream, sent because of `trigger`. */
  sent(items: number, trigger: SendTrigger): void;
}

/** Builds (or reuses, on the shared registry) the batch metrics, bound to a component and signal. */
export function createBatchTelemetry(registry: Registry, componentId: string, signal: Signal): BatchTelemetry {
  const labelNames = ['component_id', 'signal'];
  const sizes = getOrCreate(
    registry,
    'stitch_processor_batch_batch_send_size',
    () =>
      new Histogram({
        name: 'stitch_processor_batch_batch_send_size',
        help: 'Number of items (spans, data points, log records) in each batch sent.',
        labelNames,
        buckets: SIZE_BUCKETS,
        registers: [registry],
      }),
  );
  const bySize = getOrCreate(
    registry,
    'stitch_processor_batch_batch_size_trigger_send_total',
    () =>
      new Counter({
        name: 'stitch_processor_batch_batch_size_trigger_send_total',
        help: 'Batches sent because they reached send_batch_size (or immediately, when timeout or send_batch_size is 0).',
        labelNames,
        registers: [registry],
      }),
  );
  const byTimeout = getOrCreate(
    registry,
    'stitch_processor_batch_timeout_trigger_send_total',
    () =>
      new Counter({
        name: 'stitch_processor_batch_timeout_trigger_send_total',
        help: 'Batches sent because the timeout elapsed (or the processor shut down).',
        labelNames,
        registers: [registry],
      }),
  );
  const labels = { component_id: componentId, signal };
  // Bound children: no label lookup per batch.
  const sizeChild = sizes.labels(labels);
  const sizeTrigger = bySize.labels(labels);
  const timeoutTrigger = byTimeout.labels(labels);
  return {
    sent(items, trigger) {
      sizeChild.observe(items);
      (trigger === 'size' ? sizeTrigger : timeoutTrigger).inc();
    },
  };
}
