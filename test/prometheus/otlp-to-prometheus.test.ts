/**
 * End to end: the official OpenTelemetry JS SDK (sdk-metrics + the OTLP/HTTP protobuf exporter)
 * → `stitch collect` (otlp receiver → prometheusremotewrite exporter) → Debian's Prometheus with
 * the remote-write receiver, exemplar storage and native histograms on. Asserted with PromQL over
 * Prometheus' HTTP API, as a user would look at the data.
 */
import { ValueType } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest } from '../../collector/src/model/otlp-codec.js';
import { millisToNanos } from '../../collector/src/model/time.js';
import { AggregationTemporality, type MetricsData } from '../../collector/src/model/types.js';
import { freePort } from '../../collector/src/testing/index.js';
import { runStitch, type StitchProcess, writeConfig } from '../helpers/collector-process.js';
import { type PrometheusHandle, startPrometheus, type VectorSample } from '../helpers/prometheus.js';

let prom: PrometheusHandle;
let stitch: StitchProcess;
let otlpUrl: string;
let provider: MeterProvider;

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const REQUEST_ID = '9d5e3c1a-7b2f-4e8d-a6c4-1f0b2e3d4c5a';

beforeAll(async () => {
  prom = await startPrometheus();
  const otlpPort = await freePort();
  const metricsPort = await freePort();
  otlpUrl = `http://127.0.0.1:${otlpPort}/v1/metrics`;
  const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
exporters:
  prometheusremotewrite:
    endpoint: ${prom.writeUrl}
    tls:
      insecure: true
    remote_write_queue:
      num_consumers: 2
service:
  telemetry:
    logs:
      level: info
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheusremotewrite]
`);
  stitch = runStitch(['collect', '--config', config]);
  await stitch.waitFor('Everything is ready', 20_000);

  provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout',
      'service.namespace': 'shop',
      'service.instance.id': 'pod-1',
      'deployment.environment': 'e2e',
    }),
    views: [{ instrumentName: 'rpc.duration', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: otlpUrl }),
        exportIntervalMillis: 3_600_000,
      }),
    ],
  });
  const meter = provider.getMeter('e2e');
  const requests = meter.createCounter('http.requests', { unit: '{request}' });
  requests.add(5, { route: '/cart' });
  requests.add(2, { route: '/cart' });
  requests.add(1, { route: '/pay' });
  meter.createGauge('queue.depth', { unit: '{item}', valueType: ValueType.INT }).record(42);
  meter.createUpDownCounter('inflight', { unit: '{request}' }).add(3);
  const duration = meter.createHistogram('http.server.request.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.1, 0.5, 1] },
  });
  for (const v of [0.05, 0.3, 0.3, 2]) duration.record(v, { route: '/cart' });
  const rpc = meter.createHistogram('rpc.duration', { unit: 'ms' });
  for (const v of [1, 2, 2, 4, 8, 100]) rpc.record(v);
  await provider.forceFlush();
}, 90_000);

afterAll(async () => {
  await provider?.shutdown().catch(() => {});
  await stitch?.stop();
  await prom?.stop();
});

const value = (v: VectorSample[]) => (v.length === 1 ? Number(v[0]!.value[1]) : Number.NaN);
const one = (expected: number) => (v: VectorSample[]) => value(v) === expected;

describe('OTLP SDK → stitch → Prometheus', () => {
  it('stores the exact counter values as _total series with job and instance', async () => {
    await prom.waitFor('http_requests_total{job="shop/checkout",instance="pod-1",route="/cart"}', one(7));
    await prom.waitFor('http_requests_total{route="/pay"}', one(1));
  });

  it('stores gauges and non-monotonic sums as gauges', async () => {
    await prom.waitFor('queue_depth{job="shop/checkout"}', one(42));
    await prom.waitFor('inflight{job="shop/checkout"}', one(3));
  });

  it('stores histograms as cumulative buckets with +Inf, _sum and _count', async () => {
    const base = 'http_server_request_duration_seconds';
    const buckets = await prom.waitFor(`${base}_bucket{route="/cart"}`, (v) => v.length === 4);
    const byLe = Object.fromEntries(buckets.map((s) => [s.metric.le, Number(s.value[1])]));
    expect(byLe).toEqual({ '0.1': 1, '0.5': 3, '1': 3, '+Inf': 4 });
    await prom.waitFor(`${base}_count{route="/cart"}`, one(4));
    await prom.waitFor(`${base}_sum{route="/cart"}`, (v) => Math.abs(value(v) - 2.65) < 1e-9);
  });

  it('stores exponential histograms as native histograms', async () => {
    await prom.waitFor('histogram_count(rpc_duration_milliseconds{job="shop/checkout"})', one(6));
    await prom.waitFor('histogram_sum(rpc_duration_milliseconds{job="shop/checkout"})', one(117));
  });

  it('writes a target_info series with the other resource attributes', async () => {
    const v = await prom.waitFor('target_info{job="shop/checkout"}', (r) => r.length === 1);
    expect(v[0]!.metric).toMatchObject({ instance: 'pod-1', deployment_environment: 'e2e' });
    expect(Object.keys(v[0]!.metric)).not.toContain('service_name');
  });

  it('stores exemplars carrying trace_id and request_id', async () => {
    // The SDK records no exemplars: send a histogram point with one through the same OTLP endpoint,
    // as @stitch/instrumentation does for HTTP durations.
    const now = Date.now();
    const data: MetricsData = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'exemplars' } }] },
          scopeMetrics: [
            {
              scope: { name: 'e2e' },
              metrics: [
                {
                  name: 'http.server.request.duration',
                  unit: 's',
                  histogram: {
                    aggregationTemporality: AggregationTemporality.CUMULATIVE,
                    dataPoints: [
                      {
                        attributes: [],
                        startTimeUnixNano: millisToNanos(now - 10_000),
                        timeUnixNano: millisToNanos(now),
                        count: 1,
                        sum: 0.25,
                        bucketCounts: [0, 1, 0, 0],
                        explicitBounds: [0.1, 0.5, 1],
                        exemplars: [
                          {
                            filteredAttributes: [{ key: 'request_id', value: { stringValue: REQUEST_ID } }],
                            timeUnixNano: millisToNanos(now - 5),
                            asDouble: 0.25,
                            traceId: Buffer.from(TRACE_ID, 'hex'),
                            spanId: Buffer.from(SPAN_ID, 'hex'),
                          },
                        ],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(otlpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: encodeRequest('metrics', data, 'protobuf'),
    });
    expect(res.status).toBe(200);
    const deadline = Date.now() + 20_000;
    let found: { labels: Record<string, string>; value: string } | undefined;
    while (!found && Date.now() < deadline) {
      const result = await prom.queryExemplars('http_server_request_duration_seconds_bucket{job="exemplars"}');
      found = result.flatMap((r) => r.exemplars)[0];
      if (!found) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found?.labels).toEqual({ trace_id: TRACE_ID, span_id: SPAN_ID, request_id: REQUEST_ID });
    expect(Number(found?.value)).toBe(0.25);
  });
});
