import { AggregationTemporality, DataPointType, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { exemplarJsonMetricsSerializer, exemplarsOf } from './exemplars.js';
import { bucketIndex, ExemplarHistogram } from './histogram.js';
import { StitchMetricProducer } from './producer.js';

const BOUNDS = [0.005, 0.01, 0.025];
const T = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const S = 'bbbbbbbbbbbbbbbb';

describe('exemplar histogram', () => {
  it('places values like OTel explicit buckets: (lower, upper], overflow last', () => {
    expect([0, 0.005, 0.0051, 0.01, 0.025, 0.03, 99].map((v) => bucketIndex(BOUNDS, v))).toEqual([0, 0, 1, 1, 2, 3, 3]);
  });

  it('keeps the last measurement per bucket as exemplar, and clears them on collection', () => {
    const h = new ExemplarHistogram({ name: 'd', description: '', unit: 's', boundaries: BOUNDS, exemplarKey: 'request_id' });
    const s = h.series({ route: '/a' });
    expect(h.series({ route: '/a' })).toBe(s); // cached per attribute set
    s.recordWithExemplar(0.001, 1000, T, S, 'r1');
    s.recordWithExemplar(0.002, 2000, T, S, 'r2');
    s.recordWithExemplar(0.02, 3000, undefined, undefined, 'r3');
    s.record(5);
    expect([...s.counts]).toEqual([2, 0, 1, 1]);
    expect([s.count, s.min, s.max]).toEqual([4, 0.001, 5]);
    const ex = s.takeExemplars()!;
    expect(ex.map((e) => e.attributes.request_id)).toEqual(['r2', 'r3']);
    expect(ex[0]).toMatchObject({ value: 0.002, timeMs: 2000, traceId: T, spanId: S });
    expect(s.takeExemplars()).toBeUndefined();
  });

  it('folds attribute sets beyond the cardinality limit into the overflow series', () => {
    const h = new ExemplarHistogram({ name: 'd', description: '', unit: 's', boundaries: BOUNDS, cardinalityLimit: 3 });
    h.series({ n: 1 });
    h.series({ n: 2 });
    expect(h.series({ n: 3 }).attributes).toEqual({ 'otel.metric.overflow': true });
  });

  it('rejects unsorted boundaries', () => {
    expect(() => new ExemplarHistogram({ name: 'd', description: '', unit: 's', boundaries: [1, 1] })).toThrow(RangeError);
  });
});

describe('producer and serializer', () => {
  it('produces SDK histogram data and the serializer writes OTLP/JSON exemplars into it', async () => {
    const p = new StitchMetricProducer();
    p.histogram({
      name: 'http.server.request.duration',
      description: 'd',
      unit: 's',
      boundaries: BOUNDS,
      exemplarKey: 'request_id',
    })
      .series({ 'http.route': '/a' })
      .recordWithExemplar(0.003, 1_700_000_000_123.5, T, S, 'req-1');
    const { resourceMetrics } = await p.collect();
    const metric = resourceMetrics.scopeMetrics[0]!.metrics[0] as HistogramMetricData;
    expect(metric).toMatchObject({
      dataPointType: DataPointType.HISTOGRAM,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
    });
    expect(metric.dataPoints[0]!.value).toMatchObject({ count: 1, buckets: { boundaries: BOUNDS, counts: [1, 0, 0, 0] } });
    expect(exemplarsOf(metric.dataPoints[0]!)).toHaveLength(1);

    const body = exemplarJsonMetricsSerializer.serializeRequest(resourceMetrics)!;
    const json = JSON.parse(Buffer.from(body).toString());
    const point = json.resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0];
    expect(point.exemplars).toEqual([
      {
        timeUnixNano: '1700000000123500000',
        asDouble: 0.003,
        traceId: T,
        spanId: S,
        filteredAttributes: [{ key: 'request_id', value: { stringValue: 'req-1' } }],
      },
    ]);
    // the next collection carries no stale exemplars
    const again = await p.collect();
    expect(exemplarsOf((again.resourceMetrics.scopeMetrics[0]!.metrics[0] as HistogramMetricData).dataPoints[0]!)).toEqual([]);
  });

  it('resets series per collection with delta temporality', async () => {
    const p = new StitchMetricProducer(AggregationTemporality.DELTA);
    const s = p.histogram({ name: 'x', description: '', unit: 's', boundaries: BOUNDS }).series({});
    s.record(0.001);
    expect(
      ((await p.collect()).resourceMetrics.scopeMetrics[0]!.metrics[0] as HistogramMetricData).dataPoints[0]!.value.count,
    ).toBe(1);
    expect((await p.collect()).resourceMetrics.scopeMetrics).toEqual([]);
  });
});
