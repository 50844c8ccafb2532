/**
 * The collector's own metrics (prom-client), served on :8888/metrics. Names follow
 * `stitch_<kind>_<what>_total` with a `component_id` label, after the Collector's
 * `otelcol_receiver_accepted_*` family; every name is documented in docs/telemetry.md.
 * Counters are incremented once per batch, never per item.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Signal } from '../model/types.js';

/**
 * Why data was refused or dropped: a closed set so "where did my data go" is one PromQL query.
 * Documented in docs/telemetry.md.
 */
export type DropReason =
  | 'decode_error'
  | 'too_large'
  | 'unsupported_media_type'
  | 'unauthenticated'
  | 'memory_limit'
  | 'queue_full'
  | 'shutdown'
  | 'permanent_error'
  | 'retries_exhausted'
  | 'downstream_error'
  | 'filtered'
  | 'unsupported_data'
  | 'invalid_data'
  | 'cardinality_limit'
  | 'corrupt_record';

/** Self-telemetry bound to one component; counts items per batch. */
export interface ComponentTelemetry {
  readonly componentId: string;
  /** The shared registry, for component-specific metrics (name them `stitch_<kind>_…`). */
  readonly registry: Registry;
  /** Receiver: items accepted by the pipeline. */
  accepted(signal: Signal, items: number, transport?: string): void;
  /** Receiver: items refused (bad input, or the pipeline said no). */
  refused(signal: Signal, items: number, reason: DropReason, transport?: string): void;
  /** Processor/connector: items in and out. */
  incoming(signal: Signal, items: number): void;
  outgoing(signal: Signal, items: number): void;
  /** Any component: items dropped on purpose or by failure, with the reason. */
  dropped(signal: Signal, items: number, reason: DropReason): void;
  /** Exporter: items the backend accepted. */
  sent(signal: Signal, items: number): void;
  /** Exporter: items that failed to send (before any retry decision). */
  sendFailed(signal: Signal, items: number, reason: DropReason): void;
  /** A gauge read at scrape time, labelled with this component's ID. */
  observe(name: string, help: string, read: () => number, labels?: Record<string, string>): void;
}

/**
 * The counter `name` in `registry`, created on first use. Components of the same type share one
 * counter per collector and tell themselves apart by their `component_id` label, so every
 * component-specific counter goes through here rather than `new Counter` (which throws on a
 * second registration of the same name).
 */
export function sharedCounter<L extends string = string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames: [...labelNames], registers: [registry] });
}

const counter = sharedCounter;

/**
 * Owns the registry and builds per-component telemetry. One per collector process; tests make
 * their own so they don't share counters.
 */
export class SelfTelemetry {
  readonly registry = new Registry();
  private readonly counters: Record<string, Counter<string>>;
  private readonly gauges = new Map<string, { gauge: Gauge<string>; reads: Map<string, () => number> }>();

  constructor(options: { processMetrics?: boolean } = {}) {
    const r = this.registry;
    if (options.processMetrics !== false) collectDefaultMetrics({ register: r, prefix: 'stitch_' });
    this.counters = {
      accepted: counter(
        r,
        'stitch_receiver_accepted_items_total',
        'Items a receiver handed to the pipeline, which accepted them.',
        ['component_id', 'signal', 'transport'],
      ),
      refused: counter(
        r,
        'stitch_receiver_refused_items_total',
        'Items a receiver refused or the pipeline refused from it, by reason.',
        ['component_id', 'signal', 'transport', 'reason'],
      ),
      incoming: counter(r, 'stitch_processor_incoming_items_total', 'Items entering a processor or connector.', [
        'component_id',
        'signal',
      ]),
      outgoing: counter(r, 'stitch_processor_outgoing_items_total', 'Items leaving a processor or connector.', [
        'component_id',
        'signal',
      ]),
      dropped: counter(r, 'stitch_component_dropped_items_total', 'Items a component dropped, by reason.', [
        'component_id',
        'signal',
        'reason',
      ]),
      sent: counter(r, 'stitch_exporter_sent_items_total', 'Items an exporter delivered and the backend accepted.', [
        'component_id',
        'signal',
      ]),
      sendFailed: counter(
        r,
        'stitch_exporter_send_failed_items_total',
        'Items whose send attempt failed, by reason (they may still be retried).',
        ['component_id', 'signal', 'reason'],
      ),
    };
  }

  /** Telemetry bound to `componentId`. */
  forComponent(componentId: string): ComponentTelemetry {
    const c = this.counters;
    const registerGauge = this.registerGauge.bind(this);
    return {
      componentId,
      registry: this.registry,
      accepted: (signal, items, transport = '') => c.accepted.inc({ component_id: componentId, signal, transport }, items),
      refused: (signal, items, reason, transport = '') =>
        c.refused.inc({ component_id: componentId, signal, transport, reason }, items),
      incoming: (signal, items) => c.incoming.inc({ component_id: componentId, signal }, items),
      outgoing: (signal, items) => c.outgoing.inc({ component_id: componentId, signal }, items),
      dropped: (signal, items, reason) => c.dropped.inc({ component_id: componentId, signal, reason }, items),
      sent: (signal, items) => c.sent.inc({ component_id: componentId, signal }, items),
      sendFailed: (signal, items, reason) => c.sendFailed.inc({ component_id: componentId, signal, reason }, items),
      observe: (name, help, read, labels = {}) => registerGauge(name, help, { component_id: componentId, ...labels }, read),
    };
  }

  private registerGauge(name: string, help: string, labels: Record<string, string>, read: () => number): void {
    let entry = this.gauges.get(name);
    if (!entry) {
      const reads = new Map<string, () => number>();
      const labelNames = Object.keys(labels);
      const gauge = new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [key, fn] of reads) this.set(JSON.parse(key) as Record<string, string>, fn());
        },
      });
      entry = { gauge, reads };
      this.gauges.set(name, entry);
    }
    entry.reads.set(JSON.stringify(labels), read);
  }

  /** Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
