import { metricsSource } from './lazy-metrics.js';
import type { LogsData, MetricsData, Signal, SignalData, TracesData } from './types.js';

/** Number of spans in a batch. */
export function countSpans(data: TracesData): number {
  let n = 0;
  for (const rs of data.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  return n;
}

/** Number of data points in a batch (the unit the Collector counts metrics in). */
export function countDataPoints(data: MetricsData): number {
  const source = metricsSource(data);
  if (source) return source.points; // a lazy batch counts without materialising
  let n = 0;
  for (const rm of data.resourceMetrics) {
    for (const sm of rm.scopeMetrics) {
      for (const m of sm.metrics) {
        const points =
          m.gauge?.dataPoints ??
          m.sum?.dataPoints ??
          m.histogram?.dataPoints ??
          m.exponentialHistogram?.dataPoints ??
          m.summary?.dataPoints;
        n += points?.length ?? 0;
      }
    }
  }
  return n;
}

/** Number of log records in a batch. */
export function countLogRecords(data: LogsData): number {
  let n = 0;
  for (const rl of data.resourceLogs) for (const sl of rl.scopeLogs) n += sl.logRecords.length;
  return n;
}

/** Items in a batch: spans, data points or log records. */
export function countItems<S extends Signal>(signal: S, data: SignalData[S]): number {
  if (signal === 'traces') return countSpans(data as TracesData);
  if (signal === 'metrics') return countDataPoints(data as MetricsData);
  return countLogRecords(data as LogsData);
}

/** The name of the item unit per signal, as self-telemetry labels use it. */
export const ITEM_UNIT: Record<Signal, string> = { traces: 'spans', metrics: 'metric_points', logs: 'log_records' };
