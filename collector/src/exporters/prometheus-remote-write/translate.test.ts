import { describe, expect, it } from 'vitest';
import { isStaleNaN, type TimeSeries } from '../../model/remote-write/types.js';
import {
  AggregationTemporality,
  DATA_POINT_FLAG_NO_RECORDED_VALUE,
  type Exemplar,
  type KeyValue,
  type Metric,
  type MetricsData,
} from '../../model/types.js';
import { prometheusRemoteWriteConfigSchema } from './config.js';
import { exemplarLabels } from './exemplars.js';
import { createNamer, type NameKind, sanitizeLabelName } from './naming.js';
import { SeriesGuard } from './series-guard.js';
import {
  createTranslator,
  exponentialToClassic,
  type TranslateOptions,
  type Translation,
  translateOptionsOf,
} from './translate.js';

const T0 = 1_700_000_000_000; // ms
const ns = (ms: number) => ms * 1e6;

const DEFAULTS: TranslateOptions = translateOptionsOf(
  prometheusRemoteWriteConfigSchema.parse({ endpoint: 'http://127.0.0.1:9/api/v1/write' }),
);

const attrs = (o: Record<string, string>): KeyValue[] =>
  Object.entries(o).map(([key, v]) => ({ key, value: { stringValue: v } }));

const RESOURCE = attrs({
  'service.name': 'checkout',
  'service.namespace': 'shop',
  'service.instance.id': 'pod-1',
  'deployment.environment': 'test',
});

function batch(metrics: Metric[], resource: KeyValue[] = RESOURCE): MetricsData {
  return { resourceMetrics: [{ resource: { attributes: resource }, scopeMetrics: [{ scope: { name: 't' }, metrics }] }] };
}

function translate(metrics: Metric[], options: Partial<TranslateOptions> = {}, resource?: KeyValue[]): Translation {
  return createTranslator({ ...DEFAULTS, ...options }).translate(batch(metrics, resource));
}

/** `name{a="b",…}` (labels without __name__, sorted) → sample values. */
function flat(t: Translation): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const ts of t.series) {
    const name = ts.labels.find((l) => l.name === '__name__')?.value ?? '';
    const rest = ts.labels.filter((l) => l.name !== '__name__' && l.name !== 'job' && l.name !== 'instance');
    out[`${name}{${rest.map((l) => `${l.name}="${l.value}"`).join(',')}}`] = ts.samples.map((s) => s.value);
  }
  return out;
}

function gauge(name: string, value: number, extra: Partial<Metric> = {}, pointAttrs: KeyValue[] = []): Metric {
  return { name, unit: '', gauge: { dataPoints: [{ attributes: pointAttrs, timeUnixNano: ns(T0), asDouble: value }] }, ...extra };
}

describe('metric names', () => {
  const cases: [string, string, NameKind, string][] = [
    ['http.server.duration', 's', 'histogram', 'http_server_duration_seconds'],
    ['http.requests', '{request}', 'counter', 'http_requests_total'],
    ['system.memory.utilization', '1', 'gauge', 'system_memory_utilization_ratio'],
    ['errors.ratio', '1', 'gauge', 'errors_ratio'],
    ['events', '1', 'counter', 'events_total'],
    ['requests_total', '', 'counter', 'requests_total'],
    ['foo_total', 's', 'counter', 'foo_seconds_total'],
    ['network.io', 'By', 'counter', 'network_io_bytes_total'],
    ['throughput', 'By/s', 'gauge', 'throughput_bytes_per_second'],
    ['request.duration_seconds', 's', 'histogram', 'request_duration_seconds'],
    ['queue.size', 'packets', 'gauge', 'queue_size_packets'],
    ['room.temp', 'Cel', 'gauge', 'room_temp_celsius'],
    ['2xx.count', '', 'gauge', '_2xx_count'],
    ['(lambda).function.executions(#)', '', 'gauge', 'lambda_function_executions'],
    ['latency', 'ms', 'summary', 'latency_milliseconds'],
    ['rpc:calls', '', 'gauge', 'rpc:calls'],
  ];
  it.each(cases)('%s [%s] as %s → %s', (name, unit, kind, expected) => {
    expect(createNamer({ namespace: '', addMetricSuffixes: true }).metricName(name, unit, kind)).toBe(expected);
  });

  it('prefixes the namespace and can leave suffixes out', () => {
    expect(createNamer({ namespace: 'app', addMetricSuffixes: true }).metricName('cpu.time', 'ms', 'counter')).toBe(
      'app_cpu_time_milliseconds_total',
    );
    expect(createNamer({ namespace: '', addMetricSuffixes: false }).metricName('http.requests', '{req}', 'counter')).toBe(
      'http_requests',
    );
  });

  it.each([
    ['http.request.method', 'http_request_method'],
    ['0abc', 'key_0abc'],
    ['__secret', 'key__secret'],
    ['__name__', 'key__name__'],
    ['a-b..c', 'a_b_c'],
    ['_x', '_x'],
    ['ünï', '_n_'],
  ])('label %s → %s', (key, expected) => {
    expect(sanitizeLabelName(key)).toBe(expected);
  });
});

describe('translation', () => {
  it('maps job, instance and a target_info series with the other resource attributes', () => {
    const t = translate([gauge('queue.depth', 42)]);
    const depth = t.series.find((s) => s.labels.some((l) => l.value === 'queue_depth')) as TimeSeries;
    expect(depth.labels).toEqual([
      { name: '__name__', value: 'queue_depth' },
      { name: 'instance', value: 'pod-1' },
      { name: 'job', value: 'shop/checkout' },
    ]);
    const info = t.series.find((s) => s.labels.some((l) => l.value === 'target_info')) as TimeSeries;
    expect(info.labels).toEqual([
      { name: '__name__', value: 'target_info' },
      { name: 'deployment_environment', value: 'test' },
      { name: 'instance', value: 'pod-1' },
      { name: 'job', value: 'shop/checkout' },
    ]);
    expect(info.samples).toEqual([{ value: 1, timestamp: T0 }]);
  });

  it('uses service.name alone as job, and skips target_info when disabled or empty', () => {
    const t = translate([gauge('g', 1)], { targetInfo: false }, attrs({ 'service.name': 'api', 'host.name': 'h' }));
    expect(Object.keys(flat(t))).toEqual(['g{}']);
    expect(t.series[0]!.labels).toContainEqual({ name: 'job', value: 'api' });
    expect(Object.keys(flat(translate([gauge('g', 1)], {}, attrs({ 'service.name': 'api' }))))).toEqual(['g{}']);
  });

  it('puts resource attributes on every series with resource_to_telemetry_conversion', () => {
    const t = translate([gauge('g', 1, {}, attrs({ 'deployment.environment': 'point-wins' }))], {
      resourceToTelemetry: true,
      excludeServiceAttributes: true,
      targetInfo: false,
    });
    expect(flat(t)).toEqual({ 'g{deployment_environment="point-wins"}': [1] });
  });

  it('adds external labels unless the series has them, and joins colliding attribute names with ;', () => {
    const t = translate([gauge('g', 1, {}, attrs({ 'a.b': 'x', a_b: 'y', region: 'mine' }))], {
      externalLabels: { region: 'eu', cluster: 'c1' },
      targetInfo: false,
    });
    expect(flat(t)).toEqual({ 'g{a_b="x;y",cluster="c1",region="mine"}': [1] });
  });

  it('turns monotonic cumulative sums into _total counters and non-monotonic ones into gauges', () => {
    const sum = (name: string, isMonotonic: boolean, temporality: AggregationTemporality): Metric => ({
      name,
      unit: '{request}',
      sum: {
        isMonotonic,
        aggregationTemporality: temporality,
        dataPoints: [{ attributes: [], timeUnixNano: ns(T0), asInt: 7 }],
      },
    });
    const t = translate(
      [
        sum('http.requests', true, AggregationTemporality.CUMULATIVE),
        sum('inflight', false, AggregationTemporality.CUMULATIVE),
        sum('delta.requests', true, AggregationTemporality.DELTA),
        sum('broken', true, AggregationTemporality.UNSPECIFIED),
      ],
      { targetInfo: false },
    );
    expect(flat(t)).toEqual({ 'http_requests_total{}': [7], 'inflight{}': [7] });
    expect(t.unsupportedPoints).toBe(1);
    expect(t.invalidPoints).toBe(1);
  });

  it('writes histograms as cumulative _bucket{le} with +Inf, _sum and _count, exemplars on their bucket', () => {
    const exemplar: Exemplar = {
      filteredAttributes: attrs({ request_id: 'r-1' }),
      timeUnixNano: ns(T0 - 5),
      asDouble: 0.3,
      traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'),
      spanId: Buffer.from('b7ad6b7169203331', 'hex'),
    };
    const t = translate(
      [
        {
          name: 'http.server.request.duration',
          unit: 's',
          histogram: {
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            dataPoints: [
              {
                attributes: attrs({ route: '/a' }),
                timeUnixNano: ns(T0),
                count: 4,
                sum: 2.65,
                bucketCounts: [1, 2, 0, 1],
                explicitBounds: [0.1, 0.5, 1],
                exemplars: [exemplar],
              },
            ],
          },
        },
      ],
      { targetInfo: false },
    );
    expect(flat(t)).toEqual({
      'http_server_request_duration_seconds_bucket{le="0.1",route="/a"}': [1],
      'http_server_request_duration_seconds_bucket{le="0.5",route="/a"}': [3],
      'http_server_request_duration_seconds_bucket{le="1",route="/a"}': [3],
      'http_server_request_duration_seconds_bucket{le="+Inf",route="/a"}': [4],
      'http_server_request_duration_seconds_sum{route="/a"}': [2.65],
      'http_server_request_duration_seconds_count{route="/a"}': [4],
    });
    const withExemplar = t.series.filter((s) => s.exemplars.length > 0);
    expect(withExemplar).toHaveLength(1);
    expect(withExemplar[0]!.labels).toContainEqual({ name: 'le', value: '0.5' });
    expect(withExemplar[0]!.exemplars[0]).toEqual({
      labels: [
        { name: 'request_id', value: 'r-1' },
        { name: 'span_id', value: 'b7ad6b7169203331' },
        { name: 'trace_id', value: '0af7651916cd43dd8448eb211c80319c' },
      ],
      value: 0.3,
      timestamp: T0 - 5,
    });
  });

  it('writes summaries as quantile series plus _sum and _count', () => {
    const t = translate(
      [
        {
          name: 'rpc.latency',
          unit: 'ms',
          summary: {
            dataPoints: [
              {
                attributes: [],
                timeUnixNano: ns(T0),
                count: 10,
                sum: 55,
                quantileValues: [
                  { quantile: 0.5, value: 4 },
                  { quantile: 0.99, value: 9 },
                ],
              },
            ],
          },
        },
      ],
      { targetInfo: false },
    );
    expect(flat(t)).toEqual({
      'rpc_latency_milliseconds{quantile="0.5"}': [4],
      'rpc_latency_milliseconds{quantile="0.99"}': [9],
      'rpc_latency_milliseconds_sum{}': [55],
      'rpc_latency_milliseconds_count{}': [10],
    });
  });

  it('sends the no-recorded-value flag as the staleness NaN', () => {
    const t = translate(
      [
        {
          name: 'g',
          gauge: { dataPoints: [{ attributes: [], timeUnixNano: ns(T0), flags: DATA_POINT_FLAG_NO_RECORDED_VALUE }] },
        },
      ],
      { targetInfo: false },
    );
    expect(isStaleNaN(t.series[0]!.samples[0]!.value)).toBe(true);
  });

  it('groups points of the same series and orders their samples by time', () => {
    const points = [T0 + 2000, T0, T0 + 1000].map((ms, i) => ({ attributes: [], timeUnixNano: ns(ms), asDouble: i }));
    const t = translate([{ name: 'g', gauge: { dataPoints: points } }], { targetInfo: false });
    expect(t.series).toHaveLength(1);
    expect(t.series[0]!.samples.map((s) => s.timestamp)).toEqual([T0, T0 + 1000, T0 + 2000]);
  });

  const expHisto: Metric = {
    name: 'rpc.duration',
    unit: 'ms',
    exponentialHistogram: {
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPoints: [
        {
          attributes: [],
          timeUnixNano: ns(T0),
          count: 9,
          sum: 42,
          scale: 0,
          zeroCount: 1,
          // OTLP index 1 covers (2, 4], index 2 (4, 8]; indices 3..5 empty; 6 covers (64, 128]
          positive: { offset: 1, bucketCounts: [3, 2, 0, 0, 0, 2] },
          negative: { offset: 0, bucketCounts: [1] },
        },
      ],
    },
  };

  it('writes exponential histograms as native histograms (Prometheus index = OTLP index + 1)', () => {
    const t = translate([expHisto], { targetInfo: false });
    expect(t.series).toHaveLength(1);
    expect(t.series[0]!.samples).toEqual([]);
    expect(t.series[0]!.histograms[0]).toMatchObject({
      count: 9,
      zeroCount: 1,
      sum: 42,
      schema: 0,
      positiveSpans: [
        { offset: 2, length: 2 },
        { offset: 3, length: 1 },
      ],
      positiveDeltas: [3, -1, 0],
      negativeSpans: [{ offset: 1, length: 1 }],
      negativeDeltas: [1],
      timestamp: T0,
    });
  });

  it('downscales scales above 8 by merging neighbouring buckets', () => {
    const fine: Metric = structuredClone(expHisto);
    const dp = fine.exponentialHistogram!.dataPoints[0]!;
    dp.scale = 9;
    dp.positive = { offset: 4, bucketCounts: [1, 1, 1] }; // indices 4,5 → 2; 6 → 3 at scale 8
    dp.negative = null;
    const h = translate([fine], { targetInfo: false }).series[0]!.histograms[0]!;
    expect(h.schema).toBe(8);
    expect(h.positiveSpans).toEqual([{ offset: 3, length: 2 }]);
    expect(h.positiveDeltas).toEqual([2, -1]);
  });

  it('converts exponential histograms to classic buckets with exponential_histograms: classic', () => {
    const classic = exponentialToClassic(expHisto.exponentialHistogram!.dataPoints[0]!);
    expect(classic.explicitBounds).toEqual([-1, 0, 4, 8, 16, 32, 64, 128]);
    expect(classic.bucketCounts).toEqual([1, 1, 3, 2, 0, 0, 0, 2, 0]);
    const t = translate([expHisto], { targetInfo: false, exponentialHistograms: 'classic' });
    expect(flat(t)['rpc_duration_milliseconds_bucket{le="+Inf"}']).toEqual([9]);
    expect(flat(t)['rpc_duration_milliseconds_bucket{le="8"}']).toEqual([7]);
  });

  it('sends metadata per family when send_metadata is on', () => {
    const t = translate([gauge('queue.depth', 1, { description: 'items waiting', unit: 'By' })], {
      sendMetadata: true,
      targetInfo: false,
    });
    expect(t.metadata).toEqual([{ type: 2, metricFamilyName: 'queue_depth_bytes', help: 'items waiting', unit: 'bytes' }]);
  });
});

describe('exemplar label budget', () => {
  const UUID = '3f2b8c1e-9d4a-4e6b-8f0c-2a1b3c4d5e6f';
  const base: Exemplar = {
    filteredAttributes: [],
    timeUnixNano: ns(T0),
    asDouble: 1,
    traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'),
    spanId: Buffer.from('b7ad6b7169203331', 'hex'),
  };

  it('keeps trace_id, span_id and a UUID request_id (109 runes)', () => {
    const dropped: string[] = [];
    const labels = exemplarLabels({ ...base, filteredAttributes: attrs({ requestId: UUID }) }, (k) => dropped.push(k));
    expect(labels?.map((l) => l.name)).toEqual(['request_id', 'span_id', 'trace_id']);
    expect(dropped).toEqual([]);
  });

  it('drops span_id first when a fourth ID would pass 128 runes, and counts it', () => {
    const dropped: string[] = [];
    const labels = exemplarLabels({ ...base, filteredAttributes: attrs({ 'x-request-id': UUID, reconcileID: UUID }) }, (k) =>
      dropped.push(k),
    );
    expect(labels?.map((l) => l.name)).toEqual(['rid', 'request_id', 'trace_id']);
    expect(dropped).toEqual(['span_id']);
  });

  it('counts runes, not UTF-16 units or bytes', () => {
    const dropped: string[] = [];
    // 10 + 59 emoji (118 UTF-16 units) + trace_id 40 = 109 runes: fits.
    exemplarLabels({ ...base, spanId: null, filteredAttributes: attrs({ request_id: '😀'.repeat(59) }) }, (k) => dropped.push(k));
    expect(dropped).toEqual([]);
  });
});

describe('series guard', () => {
  const series = (ts: number[], value = 1): TimeSeries => ({
    labels: [{ name: '__name__', value: 'g' }],
    samples: ts.map((timestamp) => ({ value, timestamp })),
    exemplars: [],
    histograms: [],
  });

  it('never passes a sample at or before the last one sent, but skips exact re-sends silently', () => {
    const g = new SeriesGuard(10);
    const first = g.filter('k', series([1, 2, 3]));
    expect(first).toEqual({ series: series([1, 2, 3]), outOfOrder: 0 });
    g.commit('k', first.series!);
    expect(g.filter('k', series([1, 2, 3]))).toEqual({ series: undefined, outOfOrder: 2 });
    expect(g.filter('k', series([3]))).toEqual({ series: undefined, outOfOrder: 0 }); // same ts and value: a re-send
    expect(g.filter('k', series([3], 9))).toEqual({ series: undefined, outOfOrder: 1 }); // same ts, other value
    expect(g.filter('k', series([2, 4, 4, 5]))).toEqual({ series: series([4, 5]), outOfOrder: 2 });
  });

  it('is bounded, forgetting the series first seen longest ago', () => {
    const g = new SeriesGuard(2);
    g.commit('a', series([1]));
    g.commit('b', series([1]));
    g.commit('a', series([2]));
    g.commit('c', series([1]));
    expect(g.size).toBe(2);
    expect(g.filter('a', series([1])).series).toBeDefined(); // forgotten
    expect(g.filter('b', series([1])).series).toBeUndefined(); // still known
  });

  it('hands out slots that share the record, count as nothing sent until written, and are marked when forgotten', () => {
    const g = new SeriesGuard(2);
    const a = g.slot('a');
    expect(g.peek('a')).toBeUndefined(); // a fresh slot is "nothing sent"
    expect(g.filter('a', series([1])).series).toBeDefined();
    a.timestamp = 5; // what the relay writes after a delivery
    a.value = 1;
    expect(g.peek('a')).toEqual({ timestamp: 5, value: 1, evicted: false });
    expect(g.filter('a', series([5])).series).toBeUndefined(); // the full path sees the relay's write
    expect(g.slot('a')).toBe(a);
    g.commit('b', series([1]));
    g.commit('c', series([1])); // over the bound: 'a', first seen longest ago, goes
    expect(a.evicted).toBe(true);
    expect(g.peek('a')).toBeUndefined();
    expect(g.slot('a')).not.toBe(a);
  });
});
