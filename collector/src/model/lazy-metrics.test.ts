import { describe, expect, it } from 'vitest';
import { cloneData } from './clone.js';
import { countDataPoints } from './count.js';
import { createLazyMetrics, type MetricsSource, metricsSource } from './lazy-metrics.js';
import type { MetricsData } from './types.js';

function source(): MetricsSource & { calls: number } {
  const s = {
    kind: 'test',
    points: 2,
    calls: 0,
    materialise(): MetricsData {
      s.calls++;
      return {
        resourceMetrics: [
          {
            resource: { attributes: [] },
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: 'up',
                    gauge: {
                      dataPoints: [
                        { attributes: [], timeUnixNano: 1, asDouble: 1 },
                        { attributes: [], timeUnixNano: 2, asDouble: 0 },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      };
    },
  };
  return s;
}

describe('lazy metrics', () => {
  it('counts and copies without materialising; each copy materialises on its own', () => {
    const s = source();
    const batch = createLazyMetrics(s);
    expect(countDataPoints(batch)).toBe(2);
    const copy = cloneData('metrics', batch);
    expect(s.calls).toBe(0);
    expect(metricsSource(copy)).toBe(s);
    (copy.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0] as { name: string }).name = 'changed';
    expect(batch.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.name).toBe('up');
    expect(s.calls).toBe(2);
  });

  it('is an ordinary batch once read: the source is gone and edits stay', () => {
    const s = source();
    const batch = createLazyMetrics(s);
    expect(JSON.parse(JSON.stringify(batch)).resourceMetrics).toHaveLength(1);
    expect(metricsSource(batch)).toBeUndefined();
    batch.resourceMetrics.push({ resource: { attributes: [] }, scopeMetrics: [] });
    expect(batch.resourceMetrics).toHaveLength(2);
    expect(countDataPoints(batch)).toBe(2);
    expect({ ...batch }.resourceMetrics).toHaveLength(2);
    expect(s.calls).toBe(1);
  });

  it('takes a replacement without materialising', () => {
    const s = source();
    const batch = createLazyMetrics(s);
    batch.resourceMetrics = [];
    expect(metricsSource(batch)).toBeUndefined();
    expect(countDataPoints(batch)).toBe(0);
    expect(s.calls).toBe(0);
  });
});
