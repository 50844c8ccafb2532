import { describe, expect, it } from 'vitest';
import { counterDelta, type HistogramPoint, histogramDelta, histogramQuantile } from './red.js';

const hp = (t: number, start: number, buckets: number[], sum = 0): HistogramPoint => ({
  t,
  start,
  count: buckets.reduce((a, b) => a + b, 0),
  sum,
  buckets: Float64Array.from(buckets),
});

describe('histogramQuantile (as PromQL histogram_quantile)', () => {
  const bounds = [0.1, 0.5, 1];
  it('interpolates inside the bucket that holds the rank', () => {
    // 10 in (0,0.1], 10 in (0.1,0.5]: p50 = 0.1, p75 = 0.1 + 0.4 * 0.5
    expect(histogramQuantile(0.5, bounds, [10, 10, 0, 0])).toBeCloseTo(0.1);
    expect(histogramQuantile(0.75, bounds, [10, 10, 0, 0])).toBeCloseTo(0.3);
  });
  it('starts the first bucket at 0 and caps at the highest finite bound', () => {
    expect(histogramQuantile(0.5, bounds, [4, 0, 0, 0])).toBeCloseTo(0.05);
    expect(histogramQuantile(0.95, bounds, [0, 0, 0, 5])).toBe(1);
  });
  it('is undefined without observations', () => {
    expect(histogramQuantile(0.95, bounds, [0, 0, 0, 0])).toBeUndefined();
  });
});

describe('windowed deltas of cumulative points', () => {
  it('uses the newest point at or before the window start as baseline', () => {
    const pts = [hp(0, -1000, [1, 0]), hp(60_000, -1000, [5, 1]), hp(120_000, -1000, [9, 3])];
    const d = histogramDelta(pts, 120_000, 60_000);
    expect(d?.count).toBe(6);
    expect(d?.seconds).toBe(60);
    expect([...(d?.buckets ?? [])]).toEqual([4, 2]);
  });
  it('counts from zero when the run started inside the window (a restart resets)', () => {
    const pts = [hp(50_000, 0, [100, 0]), hp(100_000, 90_000, [3, 0])];
    const d = histogramDelta(pts, 100_000, 60_000);
    expect(d?.count).toBe(3);
    expect(d?.seconds).toBe(10);
  });
  it('reports nothing for a series that went quiet before the window', () => {
    expect(histogramDelta([hp(0, -1, [1, 0])], 600_000, 300_000)).toBeUndefined();
    expect(counterDelta([{ t: 0, start: -1, value: 3 }], 600_000, 300_000)).toBeUndefined();
  });
  it('counters: the increase over the window', () => {
    const pts = [
      { t: 0, start: -5, value: 10 },
      { t: 30_000, start: -5, value: 25 },
    ];
    expect(counterDelta(pts, 30_000, 300_000)).toBe(15);
  });
});
