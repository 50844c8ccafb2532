/**
 * Lazily materialised metrics batches: a receiver that has the wire bytes hands the pipeline a
 * MetricsData whose `resourceMetrics` is built (decoded and translated to OTLP objects) only when
 * some consumer first reads it. A consumer with a fast path for that source (the
 * prometheusremotewrite exporter relaying remote-write) asks `metricsSource(batch)` and, while
 * nobody has looked, works from the source's bytes without building an object per sample.
 *
 * The contract stays the one of model/types.ts: any consumer that reads `resourceMetrics` sees
 * ordinary OTLP data, and from that moment the batch is ordinary (the source is dropped), so
 * whatever a processor changes in place is what every later consumer sees. `resourceMetrics` is
 * an own enumerable accessor, so spreading, JSON.stringify, structuredClone and protobuf encoding
 * all materialise as they read. Counting (model/count.ts) and fan-out copies (model/clone.ts)
 * never materialise. See README.md "Lazy metrics".
 */
import type { MetricsData, ResourceMetrics } from './types.js';

/** Where a lazy batch comes from. Implementations are immutable; `materialise` builds fresh objects each call. */
export interface MetricsSource {
  /** Identifies the source format, for consumers with a fast path (`'prometheus-remote-write'`). */
  readonly kind: string;
  /** Data points the batch holds: what `countDataPoints` reports without materialising. */
  readonly points: number;
  /** Builds the OTLP form (fresh objects every call; a clone materialises independently). */
  materialise(): MetricsData;
}

const STATE = Symbol('stitch.lazyMetrics');

interface LazyState {
  source: MetricsSource | undefined;
  data: ResourceMetrics[] | undefined;
}

/** A batch that materialises from `source` on the first read of `resourceMetrics`. */
export function createLazyMetrics(source: MetricsSource): MetricsData {
  const state: LazyState = { source, data: undefined };
  const batch = {} as MetricsData;
  Object.defineProperty(batch, STATE, { value: state });
  Object.defineProperty(batch, 'resourceMetrics', {
    enumerable: true,
    configurable: true,
    get(): ResourceMetrics[] {
      if (state.data === undefined) {
        state.data = (state.source as MetricsSource).materialise().resourceMetrics;
        state.source = undefined;
      }
      return state.data;
    },
    set(value: ResourceMetrics[]) {
      state.data = value;
      state.source = undefined;
    },
  });
  return batch;
}

/** The source of a lazy batch nobody has materialised yet; undefined for any other batch. */
export function metricsSource(data: MetricsData): MetricsSource | undefined {
  return (data as { [STATE]?: LazyState })[STATE]?.source;
}
