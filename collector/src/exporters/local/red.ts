/**
 * Rate, error ratio and quantiles from cumulative histogram points, the way PromQL's
 * `rate()` and `histogram_quantile()` compute them, over the points the local store keeps.
 */

/** One cumulative histogram point. */
export interface HistogramPoint {
  /** Time of the point (ms since the epoch). */
  t: number;
  /** Start of the cumulative run (ms); a different start means the counter was reset. */
  start: number;
  count: number;
  sum: number;
  /** Per-bucket counts (not cumulative), one more than the bounds (the last is +Inf). */
  buckets: Float64Array;
}

/** One cumulative counter point. */
export interface CounterPoint {
  t: number;
  start: number;
  value: number;
}

/** What changed over a window. */
export interface HistogramDelta {
  count: number;
  sum: number;
  buckets: Float64Array;
  /** Seconds the change spans (for rates). */
  seconds: number;
}

/**
 * The change of a cumulative series over the `windowMs` before its newest point, or undefined
 * when the newest point is older than the window (the series went quiet). The baseline is the
 * newest point at or before the window's start of the same run; else the run's start (a zero
 * point) when the run began inside the window; else the oldest point of the run.
 */
export function windowBaseline<P extends { t: number; start: number }>(
  points: readonly P[],
  nowMs: number,
  windowMs: number,
): { last: P; base: P | undefined; baseT: number } | undefined {
  const last = points[points.length - 1];
  if (last === undefined || last.t < nowMs - windowMs) return undefined;
  const from = last.t - windowMs;
  let base: P | undefined;
  let oldest: P | undefined;
  for (let i = points.length - 2; i >= 0; i--) {
    const p = points[i];
    if (p.start !== last.start) break;
    oldest = p;
    if (p.t <= from) {
      base = p;
      break;
    }
  }
  if (base !== undefined) return { last, base, baseT: base.t };
  if (last.start > 0 && last.start >= from) return { last, base: undefined, baseT: last.start };
  if (oldest !== undefined) return { last, base: oldest, baseT: oldest.t };
  if (last.start > 0 && last.start < last.t) return { last, base: undefined, baseT: last.start };
  return undefined;
}

/** The change of a histogram over the window (see windowBaseline). */
export function histogramDelta(points: readonly HistogramPoint[], nowMs: number, windowMs: number): HistogramDelta | undefined {
  const w = windowBaseline(points, nowMs, windowMs);
  if (w === undefined) return undefined;
  const { last, base } = w;
  const buckets = new Float64Array(last.buckets.length);
  for (let i = 0; i < buckets.length; i++) buckets[i] = last.buckets[i] - (base?.buckets[i] ?? 0);
  return {
    count: last.count - (base?.count ?? 0),
    sum: last.sum - (base?.sum ?? 0),
    buckets,
    seconds: Math.max((last.t - w.baseT) / 1000, 1e-3),
  };
}

/** The change of a counter over the window (see windowBaseline). */
export function counterDelta(points: readonly CounterPoint[], nowMs: number, windowMs: number): number | undefined {
  const w = windowBaseline(points, nowMs, windowMs);
  if (w === undefined) return undefined;
  return w.last.value - (w.base?.value ?? 0);
}

/**
 * The q-quantile of per-bucket counts with upper `bounds` (the last bucket is +Inf), as
 * Prometheus' histogram_quantile: linear interpolation inside the bucket holding the rank, the
 * first bucket starting at 0, and the highest finite bound when the rank falls in +Inf.
 */
export function histogramQuantile(q: number, bounds: readonly number[], buckets: ArrayLike<number>): number | undefined {
  let total = 0;
  for (let i = 0; i < buckets.length; i++) total += buckets[i];
  if (total <= 0 || bounds.length === 0) return undefined;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < buckets.length; i++) {
    const prev = cumulative;
    cumulative += buckets[i];
    if (cumulative >= rank && buckets[i] > 0) {
      if (i >= bounds.length) return bounds[bounds.length - 1];
      const lower = i === 0 ? Math.min(0, bounds[0]) : bounds[i - 1];
      const upper = bounds[i];
      return lower + (upper - lower) * ((rank - prev) / buckets[i]);
    }
  }
  return bounds[bounds.length - 1];
}
