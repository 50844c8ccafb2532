import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errors } from '../../errors.js';
import { encodeWriteRequest } from '../../model/remote-write/encode.js';
import { compressBodySync } from '../../model/remote-write/snappy.js';
import { MetricType, STALE_NAN, type TimeSeries, type WriteRequest } from '../../model/remote-write/types.js';
import { nanosToMillis } from '../../model/time.js';
import { AggregationTemporality, DATA_POINT_FLAG_NO_RECORDED_VALUE, type MetricsData } from '../../model/types.js';
import { attributesToObject, idToHex, int64ToNumber } from '../../model/values.js';
import { CollectingConsumer, testHost, testSettings } from '../../testing/index.js';
import { prometheusRemoteWriteReceiverConfigSchema } from './config.js';
import { createPrometheusRemoteWriteReceiver, type PrometheusRemoteWriteReceiver } from './receiver.js';

const T = 1_700_000_000_000;
const HEADERS = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
};

let receiver: PrometheusRemoteWriteReceiver;
let url: string;
const sink = new CollectingConsumer('metrics');

beforeAll(async () => {
  const config = prometheusRemoteWriteReceiverConfigSchema.parse({ endpoint: '127.0.0.1:0' });
  receiver = createPrometheusRemoteWriteReceiver(testSettings('prometheusremotewrite', 'receiver'), config, { metrics: sink });
  await receiver.start(testHost());
  url = `http://127.0.0.1:${receiver.port}/api/v1/write`;
});
afterAll(() => receiver.shutdown());
beforeEach(() => {
  sink.batches.length = 0;
  sink.refuseWith = undefined;
});

const l = (o: Record<string, string>) =>
  Object.entries(o)
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));

function series(labels: Record<string, string>, values: number[], extra: Partial<TimeSeries> = {}): TimeSeries {
  return {
    labels: l(labels),
    samples: values.map((value, i) => ({ value, timestamp: T + i * 1000 })),
    exemplars: [],
    histograms: [],
    ...extra,
  };
}

async function post(request: WriteRequest | Buffer, headers: Record<string, string> = HEADERS) {
  const body = Buffer.isBuffer(request) ? request : compressBodySync(encodeWriteRequest(request));
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
}

function metricsByName(data: MetricsData) {
  const out: Record<
    string,
    { resource: Record<string, unknown>; metric: MetricsData['resourceMetrics'][0]['scopeMetrics'][0]['metrics'][0] }
  > = {};
  for (const rm of data.resourceMetrics) {
    for (const sm of rm.scopeMetrics)
      for (const m of sm.metrics) out[m.name] = { resource: attributesToObject(rm.resource?.attributes), metric: m };
  }
  return out;
}

describe('prometheusremotewrite receiver', () => {
  it('turns series into OTLP: job/instance → resource, target_info → resource attributes, _total → counters', async () => {
    const r = await post({
      timeseries: [
        series({ __name__: 'http_requests_total', job: 'shop/checkout', instance: 'pod-1', route: '/a' }, [1, 3]),
        series({ __name__: 'queue_depth', job: 'shop/checkout', instance: 'pod-1' }, [42]),
        series({ __name__: 'target_info', job: 'shop/checkout', instance: 'pod-1', deployment_environment: 'test' }, [1]),
        series({ __name__: 'http_request_duration_seconds_bucket', job: 'shop/checkout', instance: 'pod-1', le: '0.5' }, [7]),
      ],
      metadata: [],
    });
    expect(r.status).toBe(204);
    const m = metricsByName(sink.batches[0]!);
    expect(Object.keys(m).sort()).toEqual(['http_request_duration_seconds_bucket', 'http_requests_total', 'queue_depth']);
    expect(m.http_requests_total!.resource).toEqual({
      'service.namespace': 'shop',
      'service.name': 'checkout',
      'service.instance.id': 'pod-1',
      deployment_environment: 'test',
    });
    const sum = m.http_requests_total!.metric.sum!;
    expect([sum.isMonotonic, sum.aggregationTemporality]).toEqual([true, AggregationTemporality.CUMULATIVE]);
    expect(sum.dataPoints.map((p) => [p.asDouble, nanosToMillis(p.timeUnixNano), attributesToObject(p.attributes)])).toEqual([
      [1, T, { route: '/a' }],
      [3, T + 1000, { route: '/a' }],
    ]);
    expect(m.queue_depth!.metric.gauge!.dataPoints[0]!.asDouble).toBe(42);
    expect(m.http_request_duration_seconds_bucket!.metric.gauge).toBeDefined(); // classic histograms stay as series
  });

  it('uses remembered metadata: a _total series of a gauge family stays a gauge', async () => {
    await post({ timeseries: [], metadata: [{ type: MetricType.GAUGE, metricFamilyName: 'odd_total', help: '', unit: '' }] });
    await post({ timeseries: [series({ __name__: 'odd_total' }, [5])], metadata: [] });
    expect(metricsByName(sink.batches[0]!).odd_total!.metric.gauge).toBeDefined();
  });

  it('maps staleness markers, exemplars and native histograms', async () => {
    const trace = '0af7651916cd43dd8448eb211c80319c';
    const r = await post({
      timeseries: [
        // Samples as objects: a [1, STALE_NAN] array literal is a double array, where V8 turns
        // the marker into a plain NaN.
        series({ __name__: 'g' }, [], {
          samples: [
            { value: 1, timestamp: T },
            { value: STALE_NAN, timestamp: T + 1000 },
          ],
          exemplars: [{ labels: l({ trace_id: trace, request_id: 'r-1' }), value: 1, timestamp: T }],
        }),
        {
          labels: l({ __name__: 'rpc_duration_seconds' }),
          samples: [],
          exemplars: [],
          histograms: [
            {
              isFloat: false,
              count: 6,
              zeroCount: 1,
              sum: 12,
              schema: 0,
              zeroThreshold: 0,
              positiveSpans: [
                { offset: 2, length: 2 },
                { offset: 1, length: 1 },
              ],
              positiveDeltas: [3, -1, -1],
              positiveCounts: [],
              negativeSpans: [],
              negativeDeltas: [],
              negativeCounts: [],
              resetHint: 0,
              timestamp: T,
            },
          ],
        },
      ],
      metadata: [],
    });
    expect(r.status).toBe(204);
    const m = metricsByName(sink.batches[0]!);
    const [p1, p2] = m.g!.metric.gauge!.dataPoints;
    expect(p2!.flags).toBe(DATA_POINT_FLAG_NO_RECORDED_VALUE);
    expect(p1!.flags ?? 0).toBe(0);
    const ex = p2!.exemplars![0]!;
    expect([idToHex(ex.traceId), attributesToObject(ex.filteredAttributes)]).toEqual([trace, { request_id: 'r-1' }]);
    const h = m.rpc_duration_seconds!.metric.exponentialHistogram!.dataPoints[0]!;
    expect([int64ToNumber(h.count), h.sum, h.scale, h.positive!.offset]).toEqual([6, 12, 0, 1]);
    expect(h.positive!.bucketCounts.map((c) => int64ToNumber(c))).toEqual([3, 2, 0, 1]);
  });

  it('answers 400 with a reason for bodies that are not snappy or not a WriteRequest', async () => {
    const notSnappy = await post(Buffer.from('hello'));
    expect(notSnappy.status).toBe(400);
    expect(notSnappy.text).toMatch(/snappy/);
    const notProto = await post(compressBodySync(Buffer.from([0x0a, 0xff, 0xff, 0xff])));
    expect(notProto.status).toBe(400);
    expect(notProto.text).toMatch(/WriteRequest/);
  });

  it('answers 415 for other content types, encodings and remote-write 2.0; 404/405 for wrong routes', async () => {
    const req = { timeseries: [series({ __name__: 'x' }, [1])], metadata: [] };
    expect((await post(req, { ...HEADERS, 'Content-Type': 'application/json' })).status).toBe(415);
    expect((await post(req, { ...HEADERS, 'Content-Encoding': 'gzip' })).status).toBe(415);
    expect(
      (await post(req, { ...HEADERS, 'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request' })).status,
    ).toBe(415);
    expect((await fetch(url)).status).toBe(405);
    expect((await fetch(url.replace('/api/v1/write', '/write'), { method: 'POST' })).status).toBe(404);
    expect(sink.batches).toHaveLength(0);
  });

  it('passes backpressure on: 429 with Retry-After when the pipeline is over its memory limit', async () => {
    sink.refuseWith = errors.STITCH_ERR_MEMORY_LIMIT([900, 800], { retryAfterMs: 2000 });
    const r = await post({ timeseries: [series({ __name__: 'x' }, [1])], metadata: [] });
    expect([r.status, r.retryAfter]).toEqual([429, '2']);
    sink.refuseWith = errors.STITCH_ERR_EXPORT_PERMANENT(['x', 'nope']);
    expect((await post({ timeseries: [series({ __name__: 'x' }, [1])], metadata: [] })).status).toBe(500);
  });
});
