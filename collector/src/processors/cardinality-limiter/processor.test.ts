import { describe, expect, it } from 'vitest';
import type { MetricsData } from '../../model/types.js';
import { attributesToObject, objectToAttributes, pointValue } from '../../model/values.js';
import { CollectingConsumer, testSettings } from '../../testing/index.js';
import { cardinalityLimiterConfigSchema } from './config.js';
import { createCardinalityLimiterProcessor } from './processor.js';

function batch(points: Record<string, unknown>[], name = 'http.requests', value = 1): MetricsData {
  return {
    resourceMetrics: [
      {
        resource: { attributes: objectToAttributes({ 'service.name': 'checkout' }) },
        scopeMetrics: [
          {
            metrics: [
              {
                name,
                sum: {
                  aggregationTemporality: 1,
                  isMonotonic: true,
                  dataPoints: points.map((a) => ({ attributes: objectToAttributes(a), timeUnixNano: 1, asInt: value })),
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

const pointsOf = (md: MetricsData | undefined) =>
  md?.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.flatMap((m) => m.sum?.dataPoints ?? []))) ?? [];

function setup(raw: Record<string, unknown>, clock = () => 0) {
  const settings = testSettings('cardinality_limiter', 'processor');
  const next = new CollectingConsumer('metrics');
  const p = createCardinalityLimiterProcessor(settings, cardinalityLimiterConfigSchema.parse(raw), 'metrics', next, clock);
  const metric = async (name: string, label?: string) => {
    const text = await settings.selfTelemetry.registry.getSingleMetricAsString(name);
    const line = text.split('\n').find((l) => !l.startsWith('#') && (!label || l.includes(label)));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  return { p, next, metric };
}

describe('cardinality_limiter', () => {
  it('under a flood of unique user IDs: tracked series stay bounded, existing series pass untouched, the rest fold into one overflow series', async () => {
    const { p, next, metric } = setup({ max_series_per_metric: 10 });
    // Ten established series.
    await p.consume(batch(Array.from({ length: 10 }, (_, i) => ({ route: `/r${i}` }))));
    // 100 batches of 1000 new user IDs each, plus one established series.
    for (let b = 0; b < 100; b++) {
      const flood = Array.from({ length: 1000 }, (_, i) => ({ route: '/x', user_id: `u-${b}-${i}` }));
      await p.consume(batch([{ route: '/r3' }, ...flood]));
    }
    expect(await metric('stitch_processor_cardinality_series')).toBe(10);
    const last = pointsOf(next.batches.at(-1) as MetricsData);
    expect(last.map((d) => attributesToObject(d.attributes))).toEqual([{ route: '/r3' }, { 'otel.metric.overflow': true }]);
    // The 1000 folded delta points add up into the one overflow point.
    expect(pointValue(last[1] as never)).toBe(1000);
    expect(await metric('stitch_processor_cardinality_folded_items_total')).toBe(100_000);
  });

  it('with a per-label budget, folds only the offending label and keeps the others', async () => {
    const { p, next } = setup({ max_series_per_metric: 1000, label_limits: { user_id: 2 } });
    await p.consume(
      batch([
        { route: '/a', user_id: 'u1' },
        { route: '/a', user_id: 'u2' },
        { route: '/b', user_id: 'u3' },
      ]),
    );
    const out = pointsOf(next.batches[0] as MetricsData).map((d) => attributesToObject(d.attributes));
    expect(out).toEqual([
      { route: '/a', user_id: 'u1' },
      { route: '/a', user_id: 'u2' },
      { route: '/b', 'otel.metric.overflow': true },
    ]);
  });

  it('with action drop, drops new series, counts them, and resolves without calling next when nothing is left', async () => {
    const { p, next, metric } = setup({ max_series_per_metric: 1, action: 'drop' });
    await p.consume(batch([{ id: 'a' }, { id: 'b' }, { id: 'c' }]));
    expect(pointsOf(next.batches[0] as MetricsData).map((d) => attributesToObject(d.attributes))).toEqual([{ id: 'a' }]);
    await p.consume(batch([{ id: 'd' }]));
    expect(next.batches).toHaveLength(1);
    expect(await metric('stitch_component_dropped_items_total', 'reason="cardinality_limit"')).toBe(3);
  });

  it('forgets series after series_ttl, which frees the budget', async () => {
    let now = 0;
    const { p, next } = setup({ max_series_per_metric: 1, series_ttl: '1m', action: 'drop' }, () => now);
    await p.start({ getExtension: () => undefined });
    await p.consume(batch([{ id: 'old' }]));
    await p.consume(batch([{ id: 'refused' }]));
    now = 61_000;
    await p.consume(batch([{ id: 'new' }]));
    await p.shutdown();
    expect(next.batches).toHaveLength(2);
    expect(pointsOf(next.batches[1] as MetricsData).map((d) => attributesToObject(d.attributes))).toEqual([{ id: 'new' }]);
  });

  it('bounds the number of metric names', async () => {
    const { p, next } = setup({ max_metrics: 2, action: 'drop' });
    for (const name of ['a', 'b', 'c']) await p.consume(batch([{}], name));
    expect(next.batches).toHaveLength(2);
  });

  it('requires finite budgets', () => {
    expect(cardinalityLimiterConfigSchema.safeParse({ max_series_per_metric: 0 }).error?.issues[0]?.message).toMatch(
      /bounds the memory/,
    );
  });
});
