import Long from 'long';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsData, Span, TracesData } from '../../model/types.js';
import { idToHex, int64ToNumber } from '../../model/values.js';
import { CollectingConsumer, testHost, testSettings } from '../../testing/index.js';
import { DEFAULT_BUCKETS_MS, spanMetricsConnectorConfigSchema } from './config.js';
import { createSpanMetricsConnector, durationNanos, type SpanMetricsConnector } from './connector.js';
import { ExponentialHistogram } from './expo.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const str = (s: string) => ({ stringValue: s });
const START = Long.fromString('1700000000000000000', true);

function traces(resource: Record<string, string>, ...spans: (Partial<Span> & { ms?: number })[]): TracesData {
  return {
    resourceSpans: [
      {
        resource: { attributes: Object.entries(resource).map(([key, v]) => ({ key, value: str(v) })) },
        scopeSpans: [
          {
            scope: { name: 'lib' },
            spans: spans.map(({ ms = 5, ...s }) => ({
              traceId: bytes(TRACE),
              spanId: bytes(SPAN),
              name: 'GET /cart',
              kind: 2,
              startTimeUnixNano: START,
              endTimeUnixNano: START.add(Long.fromNumber(ms * 1e6)),
              attributes: [],
              ...s,
            })),
          },
        ],
      },
    ],
  };
}

const running: SpanMetricsConnector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.shutdown()));
});

function connector(raw: Record<string, unknown> = {}) {
  const out = new CollectingConsumer('metrics');
  const c = createSpanMetricsConnector(
    testSettings('spanmetrics', 'connector'),
    spanMetricsConnectorConfigSchema.parse(raw),
    out,
  );
  running.push(c);
  return { c, out };
}

const metricsOf = (md: MetricsData) => md.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
const attrs = (kvs: { key: string; value?: { stringValue?: string | null; boolValue?: boolean | null } | null }[]) =>
  Object.fromEntries(kvs.map((a) => [a.key, a.value?.stringValue ?? a.value?.boolValue]));

describe('spanmetrics connector', () => {
  it('has the contrib defaults', () => {
    const c = spanMetricsConnectorConfigSchema.parse({});
    expect(c).toMatchObject({
      metrics_flush_interval: 60_000,
      namespace: 'traces.span.metrics',
      aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
      histogram: { unit: 'ms', disable: false },
      exemplars: { enabled: false, max_per_data_point: 5 },
      dimensions_cache_size: 1000,
      resource_metrics_cache_size: 1000,
      aggregation_cardinality_limit: 0,
    });
  });

  it('emits calls and a duration histogram per dimension set, with exemplars carrying trace, span and request IDs', async () => {
    const { c, out } = connector({
      exemplars: { enabled: true },
      dimensions: [{ name: 'http.route' }, { name: 'tenant', default: 'none' }, { name: 'absent' }],
    });
    await c.consume(
      traces(
        { 'service.name': 'checkout' },
        {
          ms: 3,
          attributes: [
            { key: 'http.route', value: str('/cart') },
            { key: 'x-request-id', value: str('req-1') },
          ],
        },
        {
          ms: 120,
          attributes: [
            { key: 'http.route', value: str('/cart') },
            { key: 'request_id', value: str('req-2') },
          ],
        },
        { ms: 1, kind: 3, status: { code: 2 }, name: 'SELECT' },
      ),
    );
    await c.flush();
    const [calls, duration] = metricsOf(out.batches[0]!);
    expect(calls!.name).toBe('traces.span.metrics.calls');
    expect(calls!.sum!.isMonotonic).toBe(true);
    expect(calls!.sum!.dataPoints.map((p) => [attrs(p.attributes), int64ToNumber(p.asInt)])).toEqual([
      [
        {
          'service.name': 'checkout',
          'span.name': 'GET /cart',
          'span.kind': 'SPAN_KIND_SERVER',
          'status.code': 'STATUS_CODE_UNSET',
          'http.route': '/cart',
          tenant: 'none',
        },
        2,
      ],
      [
        {
          'service.name': 'checkout',
          'span.name': 'SELECT',
          'span.kind': 'SPAN_KIND_CLIENT',
          'status.code': 'STATUS_CODE_ERROR',
          tenant: 'none',
        },
        1,
      ],
    ]);
    expect(duration!).toMatchObject({ name: 'traces.span.metrics.duration', unit: 'ms' });
    const h = duration!.histogram!.dataPoints[0]!;
    expect(h.explicitBounds).toEqual(DEFAULT_BUCKETS_MS);
    expect([int64ToNumber(h.count), h.sum]).toEqual([2, 123]);
    expect(h.bucketCounts.map((n) => int64ToNumber(n))).toEqual([0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(h.exemplars!.map((e) => [idToHex(e.traceId), idToHex(e.spanId), e.asDouble, attrs(e.filteredAttributes)])).toEqual([
      [TRACE, SPAN, 3, { request_id: 'req-1' }],
      [TRACE, SPAN, 120, { request_id: 'req-2' }],
    ]);
    expect(out.batches[0]!.resourceMetrics[0]!.resource!.attributes).toEqual([{ key: 'service.name', value: str('checkout') }]);
  });

  it('keeps cumulative counts across flushes, clears exemplars; delta resets', async () => {
    const cu = connector({ exemplars: { enabled: true } });
    await cu.c.consume(traces({ 'service.name': 's' }, {}));
    await cu.c.flush();
    await cu.c.flush();
    await cu.c.consume(traces({ 'service.name': 's' }, {}));
    await cu.c.flush();
    const calls = cu.out.batches.map((b) => metricsOf(b)[0]!.sum!.dataPoints[0]!);
    expect(calls.map((p) => int64ToNumber(p.asInt))).toEqual([1, 1, 2]);
    expect(calls.map((p) => p.exemplars?.length ?? 0)).toEqual([1, 0, 1]);
    expect(new Set(calls.map((p) => String(p.startTimeUnixNano))).size).toBe(1);

    const d = connector({ aggregation_temporality: 'AGGREGATION_TEMPORALITY_DELTA' });
    await d.c.consume(traces({ 'service.name': 's' }, {}, {}));
    await d.c.flush();
    await d.c.flush(); // nothing new: nothing sent
    await d.c.consume(traces({ 'service.name': 's' }, {}));
    await d.c.flush();
    expect(d.out.batches.map((b) => int64ToNumber(metricsOf(b)[0]!.sum!.dataPoints[0]!.asInt))).toEqual([2, 1]);
    expect(metricsOf(d.out.batches[0]!)[0]!.sum!.aggregationTemporality).toBe(1);
  });

  it('honours unit s with explicit buckets, exclude_dimensions, namespace, the cardinality limit and max_per_data_point', async () => {
    const { c, out } = connector({
      histogram: { unit: 's', explicit: { buckets: ['10ms', '1s'] } },
      exclude_dimensions: ['status.code', 'span.kind'],
      namespace: '',
      aggregation_cardinality_limit: 1,
      exemplars: { enabled: true, max_per_data_point: 1 },
    });
    await c.consume(
      traces({ 'service.name': 's' }, { ms: 5, name: 'a' }, { ms: 500, name: 'a' }, { ms: 5, name: 'b' }, { ms: 5, name: 'c' }),
    );
    await c.flush();
    const [calls, duration] = metricsOf(out.batches[0]!);
    expect(calls!.name).toBe('calls');
    expect(calls!.sum!.dataPoints.map((p) => [attrs(p.attributes), int64ToNumber(p.asInt)])).toEqual([
      [{ 'service.name': 's', 'span.name': 'a' }, 2],
      [{ 'otel.metric.overflow': true }, 2],
    ]);
    const h = duration!.histogram!.dataPoints[0]!;
    expect([duration!.unit, h.explicitBounds, h.bucketCounts.map(Number)]).toEqual(['s', [0.01, 1], [1, 1, 0]]);
    expect(h.exemplars).toHaveLength(1);
    expect(h.exemplars![0]!.asDouble).toBe(0.5); // the newest one is kept
  });

  it('records exponential histograms that fit max_size', async () => {
    const { c, out } = connector({ histogram: { exponential: { max_size: 10 } } });
    await c.consume(traces({ 'service.name': 's' }, { ms: 1 }, { ms: 10 }, { ms: 1000 }, { ms: 0 }));
    await c.flush();
    const dp = metricsOf(out.batches[0]!)[1]!.exponentialHistogram!.dataPoints[0]!;
    expect(int64ToNumber(dp.count)).toBe(4);
    expect(int64ToNumber(dp.zeroCount)).toBe(1);
    expect(dp.positive!.bucketCounts.length).toBeLessThanOrEqual(10);
    expect(dp.positive!.bucketCounts.reduce((a: number, b) => a + Number(b), 0)).toBe(3);
    // every value lies in the bucket its index says
    const base = 2 ** (2 ** -dp.scale);
    for (const v of [1, 10, 1000]) {
      const i = ExponentialHistogram.indexOf(v, dp.scale) - dp.positive!.offset;
      expect(Number(dp.positive!.bucketCounts[i])).toBeGreaterThan(0);
      expect(base ** (i + dp.positive!.offset)).toBeLessThan(v * (1 + 1e-9));
    }
  });

  it('flushes what it holds on shutdown and then refuses data', async () => {
    const { c, out } = connector();
    await c.start(testHost());
    await c.consume(traces({ 'service.name': 's' }, {}));
    await c.shutdown();
    expect(out.batches).toHaveLength(1);
    await expect(c.consume(traces({ 'service.name': 's' }, {}))).rejects.toMatchObject({ code: 'STITCH_ERR_SHUTDOWN' });
  });

  it('rejects duplicate dimensions and explicit+exponential together', () => {
    const r = spanMetricsConnectorConfigSchema.safeParse({
      dimensions: [{ name: 'span.name' }],
      histogram: { explicit: {}, exponential: {} },
    });
    expect(r.error!.issues.map((i) => i.message)).toEqual([
      'duplicate dimension name span.name',
      'use either `explicit` or `exponential` buckets histogram',
    ]);
  });

  it('computes durations exactly from 64-bit nanosecond timestamps', () => {
    expect(durationNanos({ startTimeUnixNano: START, endTimeUnixNano: START.add(1) })).toBe(1);
    expect(durationNanos({ startTimeUnixNano: START.add(5), endTimeUnixNano: START })).toBe(0);
  });
});
