/**
 * A metric's data points whatever its type, for the processors that read or replace them
 * (attributes, filter, cardinality_limiter, OTTL's metric conditions).
 */
import type { KeyValue, Metric } from '../../model/types.js';

/** The data points of a metric, whatever its type; empty when it has none. */
export function dataPointsOf(m: Metric): { attributes: KeyValue[] }[] {
  return (
    m.gauge?.dataPoints ??
    m.sum?.dataPoints ??
    m.histogram?.dataPoints ??
    m.exponentialHistogram?.dataPoints ??
    m.summary?.dataPoints ??
    []
  );
}

/** Replaces a metric's data points (the caller keeps them of the metric's type). */
export function setDataPoints(m: Metric, points: readonly { attributes: KeyValue[] }[]): void {
  const holder = (m.gauge ?? m.sum ?? m.histogram ?? m.exponentialHistogram ?? m.summary) as { dataPoints: unknown[] } | null;
  if (holder) holder.dataPoints = points as unknown[];
}
