import type protobuf from 'protobufjs';
import { createLazyMetrics, metricsSource } from './lazy-metrics.js';
import { OTLP_TYPES } from './proto-root.js';
import type { MetricsData, Signal, SignalData } from './types.js';

const TYPES: Record<Signal, protobuf.Type> = {
  traces: OTLP_TYPES.tracesRequest,
  metrics: OTLP_TYPES.metricsRequest,
  logs: OTLP_TYPES.logsRequest,
};

/**
 * A deep copy of a batch, for fan-out to a consumer that mutates data while another reads it.
 * Encode-then-decode through the compiled protobuf codec yields exactly the shape a receiver
 * produces (message prototypes with their defaults), which structuredClone would not. A lazy
 * metrics batch not yet materialised is copied as another lazy batch over the same (immutable)
 * source: each copy materialises on its own when read.
 */
export function cloneData<S extends Signal>(signal: S, data: SignalData[S]): SignalData[S] {
  if (signal === 'metrics') {
    const source = metricsSource(data as MetricsData);
    if (source) return createLazyMetrics(source) as SignalData[S];
  }
  const type = TYPES[signal];
  return type.decode(type.encode(data as unknown as protobuf.Message).finish()) as unknown as SignalData[S];
}
