/**
 * controller-runtime's controller metrics (pkg/internal/controller/metrics), same names, labels
 * and buckets, so existing dashboards and alerts work unchanged. The duration histogram is a
 * Stitch exemplar histogram carrying `rid` exemplars.
 */
import type { Attributes, Counter } from '@opentelemetry/api';
import type { HistogramSeries } from '../metrics/histogram.js';
import type { Telemetry } from '../setup/telemetry.js';

/** controller-runtime's `controller_runtime_reconcile_time_seconds` buckets. */
export const RECONCILE_TIME_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5,
  3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
]);

/** The `result` label values of `controller_runtime_reconcile_total`. */
export type ReconcileResultLabel = 'success' | 'error' | 'requeue' | 'requeue_after';

/** The instruments of one controller, with precomputed attribute sets. */
export interface ControllerMetrics {
  readonly byController: Attributes;
  readonly total: Counter;
  readonly totalAttrs: Readonly<Record<ReconcileResultLabel, Attributes>>;
  readonly errors: Counter;
  readonly terminal: Counter;
  readonly panics: Counter;
  readonly time: HistogramSeries;
  /** In-flight reconciles (controller_runtime_active_workers). */
  active: number;
  /** controller_runtime_max_concurrent_reconciles; undefined when the wrapper runs without a controller. */
  maxConcurrent: number | undefined;
}

interface TelemetryControllers {
  readonly controllers: Map<string, ControllerMetrics>;
  readonly total: Counter;
  readonly errors: Counter;
  readonly terminal: Counter;
  readonly panics: Counter;
}

const BY_TELEMETRY = new WeakMap<Telemetry, TelemetryControllers>();

function forTelemetry(telemetry: Telemetry): TelemetryControllers {
  let t = BY_TELEMETRY.get(telemetry);
  if (t !== undefined) return t;
  const meter = telemetry.meter;
  const controllers = new Map<string, ControllerMetrics>();
  t = {
    controllers,
    total: meter.createCounter('controller_runtime_reconcile_total', {
      description: 'Total number of reconciliations per controller',
    }),
    errors: meter.createCounter('controller_runtime_reconcile_errors_total', {
      description: 'Total number of reconciliation errors per controller',
    }),
    terminal: meter.createCounter('controller_runtime_terminal_reconcile_errors_total', {
      description: 'Total number of terminal reconciliation errors per controller',
    }),
    panics: meter.createCounter('controller_runtime_reconcile_panics_total', {
      description: 'Total number of reconciliation panics per controller',
    }),
  };
  const active = meter.createObservableGauge('controller_runtime_active_workers', {
    description: 'Number of currently used workers per controller',
  });
  const max = meter.createObservableGauge('controller_runtime_max_concurrent_reconciles', {
    description: 'Maximum number of concurrent reconciles per controller',
  });
  meter.addBatchObservableCallback(
    (r) => {
      for (const c of controllers.values()) {
        r.observe(active, c.active, c.byController);
        if (c.maxConcurrent !== undefined) r.observe(max, c.maxConcurrent, c.byController);
      }
    },
    [active, max],
  );
  BY_TELEMETRY.set(telemetry, t);
  return t;
}

/** The metrics of `controller` in `telemetry`, created (and zero-initialised, as controller-runtime does) on first use. */
export function controllerMetrics(telemetry: Telemetry, controller: string): ControllerMetrics {
  const t = forTelemetry(telemetry);
  let c = t.controllers.get(controller);
  if (c !== undefined) return c;
  const byController = Object.freeze({ controller });
  const totalAttrs = {
    success: Object.freeze({ controller, result: 'success' }),
    error: Object.freeze({ controller, result: 'error' }),
    requeue: Object.freeze({ controller, result: 'requeue' }),
    requeue_after: Object.freeze({ controller, result: 'requeue_after' }),
  };
  for (const a of Object.values(totalAttrs)) t.total.add(0, a);
  t.errors.add(0, byController);
  t.terminal.add(0, byController);
  t.panics.add(0, byController);
  const time = telemetry.metricProducer
    .histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      description: 'Length of time per reconciliation per controller',
      unit: 's',
      boundaries: RECONCILE_TIME_BUCKETS,
      exemplarKey: 'rid',
    })
    .series(byController);
  c = {
    byController,
    total: t.total,
    totalAttrs,
    errors: t.errors,
    terminal: t.terminal,
    panics: t.panics,
    time,
    active: 0,
    maxConcurrent: undefined,
  };
  t.controllers.set(controller, c);
  return c;
}
