import Long from 'long';
import { describe, expect, it } from 'vitest';
import { AggregationTemporality, type MetricsData } from '../../model/types.js';
import { testHost, testSettings } from '../../testing/index.js';
import { prometheusExporterConfigSchema } from './config.js';
import { createPrometheusExporter } from './exporter.js';

const T = 1_800_000_000_000;
const ns = (ms: number) => Long.fromNumber(ms).multiply(1_000_000);
const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });

function batch(at: number, count: number): MetricsData {
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [kv('service.name', 'shop'), kv('service.instance.id', 'pod-1'), kv('k8s.namespace.name', 'prod')],
        },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'http.server.request.duration',
                description: 'Duration of HTTP server requests.',
                unit: 's',
                histogram: {
                  aggregationTemporality: AggregationTemporality.CUMULATIVE,
                  dataPoints: [
                    {
                      attributes: [kv('http.route', '/a "b"\\c')],
                      startTimeUnixNano: ns(T - 1000),
                      timeUnixNano: ns(at),
                      count,
                      sum: 0.25 * count,
                      bucketCounts: [count, 0],
                      explicitBounds: [0.5],
                      exemplars: [
                        {
                          timeUnixNano: ns(at),
                          asDouble: 0.25,
                          traceId: Uint8Array.from(Buffer.from('4bf92f3577b34da6a3ce929d0e0e4736', 'hex')),
                          spanId: Uint8Array.from(Buffer.from('00f067aa0ba902b7', 'hex')),
                          filteredAttributes: [kv('request_id', 'req-1')],
                        },
                      ],
                    },
                  ],
                },
              },
              {
                name: 'orders',
                unit: '{order}',
                sum: {
                  aggregationTemporality: AggregationTemporality.CUMULATIVE,
                  isMonotonic: true,
                  dataPoints: [{ attributes: [], startTimeUnixNano: ns(T - 1000), timeUnixNano: ns(at), asInt: count }],
                },
              },
              {
                name: 'queue.depth',
                sum: {
                  aggregationTemporality: AggregationTemporality.DELTA,
                  isMonotonic: false,
                  dataPoints: [{ attributes: [], timeUnixNano: ns(at), asInt: 1 }],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

function exporter(options: Record<string, unknown>, now: () => number) {
  const config = prometheusExporterConfigSchema.parse({ endpoint: '127.0.0.1:0', ...options });
  const settings = testSettings('prometheus', 'exporter');
  return { e: createPrometheusExporter(settings, config, ['metrics'], { now }), settings };
}

describe('prometheus exporter', () => {
  it('serves the latest value of each series in the text format, names translated as remote-write does', async () => {
    let now = T;
    const { e } = exporter({ const_labels: { cluster: 'dev' } }, () => now);
    await e.consumers.metrics!.consume(batch(T, 3));
    await e.consumers.metrics!.consume(batch(T + 1000, 5));
    const text = e.render();
    expect(text).toContain('# HELP http_server_request_duration_seconds Duration of HTTP server requests.\n');
    expect(text).toContain('# TYPE http_server_request_duration_seconds histogram\n');
    const lines = text.split('\n').filter((l) => l.startsWith('http_server_request_duration_seconds'));
    // Buckets in order, then _count, then _sum; label values escaped; job/instance from the resource.
    expect(lines.map((l) => l.split('{')[0])).toEqual([
      'http_server_request_duration_seconds_bucket',
      'http_server_request_duration_seconds_bucket',
      'http_server_request_duration_seconds_count',
      'http_server_request_duration_seconds_sum',
    ]);
    expect(lines[0]).toBe(
      'http_server_request_duration_seconds_bucket{cluster="dev",http_route="/a \\"b\\"\\\\c",instance="pod-1",job="shop",le="0.5"} 5',
    );
    expect(lines[1]).toContain('le="+Inf"} 5');
    expect(text).toContain('# TYPE orders_total counter\norders_total{cluster="dev",instance="pod-1",job="shop"} 5\n');
    expect(text).toMatch(/^target_info\{cluster="dev",instance="pod-1",job="shop",k8s_namespace_name="prod"\} 1$/m);
    // Delta sums cannot be served as Prometheus series: left out (and counted).
    expect(text).not.toContain('queue_depth');
    // No exemplars in the text format; no timestamps unless send_timestamps.
    expect(text).not.toContain('#{');
    expect(lines[0].endsWith('"} 5')).toBe(true);

    now = T + 5 * 60_000 + 1; // metric_expiration (5m) after the last update
    expect(e.render()).toBe('');
  });

  it('forgets the HELP/TYPE of metrics whose series expired, while others stay (bounded families)', async () => {
    let now = T;
    const { e, settings } = exporter({}, () => now);
    const families = async () =>
      (await settings.selfTelemetry.registry.getSingleMetric('stitch_exporter_prometheus_families')?.get())?.values[0]?.value;
    const gauge = (name: string, at: number): MetricsData => ({
      resourceMetrics: [
        {
          resource: { attributes: [kv('service.name', 'shop')] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name,
                  description: `help of ${name}`,
                  gauge: { dataPoints: [{ attributes: [], timeUnixNano: ns(at), asDouble: 1 }] },
                },
              ],
            },
          ],
        },
      ],
    });
    for (let i = 0; i < 50; i++) await e.consumers.metrics!.consume(gauge(`renamed_${i}`, now));
    expect(e.render().match(/^# HELP renamed_/gm)).toHaveLength(50);
    now = T + 5 * 60_000 + 1; // all 50 expire
    await e.consumers.metrics!.consume(gauge('still_here', now));
    const text = e.render();
    expect(text).toContain('# HELP still_here help of still_here\n');
    expect(text).not.toContain('renamed_');
    // The families map itself shrank: distinct metric names over time do not pile up.
    expect(await families()).toBe(1); // still_here
  });

  it('OpenMetrics: counter family without _total, exemplars on buckets and counters, timestamps in seconds, # EOF', async () => {
    const { e } = exporter({ enable_open_metrics: true, send_timestamps: true }, () => T);
    await e.consumers.metrics!.consume(batch(T, 2));
    const om = e.render(true);
    expect(om).toContain('# TYPE orders counter\norders_total{instance="pod-1",job="shop"} 2 1800000000\n');
    expect(om).toMatch(
      /http_server_request_duration_seconds_bucket\{[^}]*le="0\.5"\} 2 1800000000 # \{request_id="req-1",span_id="00f067aa0ba902b7",trace_id="4bf92f3577b34da6a3ce929d0e0e4736"\} 0\.25 1800000000\n/,
    );
    expect(om.endsWith('# EOF\n')).toBe(true);
    // The text format for scrapers that do not ask for OpenMetrics, timestamps in ms.
    expect(e.render(false)).toContain('orders_total{instance="pod-1",job="shop"} 2 1800000000000\n');
  });

  it('namespace and add_metric_suffixes: false', async () => {
    const { e } = exporter({ namespace: 'app', add_metric_suffixes: false }, () => T);
    await e.consumers.metrics!.consume(batch(T, 1));
    const text = e.render();
    expect(text).toContain('# TYPE app_http_server_request_duration histogram');
    expect(text).toContain('# TYPE app_orders counter');
    expect(text).toContain('app_target_info{');
  });

  it('serves /metrics on its endpoint and counts what it took', async () => {
    const { e, settings } = exporter({}, Date.now);
    await e.start(testHost());
    try {
      await e.consumers.metrics!.consume(batch(Date.now(), 4));
      const res = await fetch(`http://127.0.0.1:${e.port}/metrics`, { headers: { 'accept-encoding': 'identity' } });
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await res.text()).toContain('orders_total{instance="pod-1",job="shop"} 4');
      const sent = await settings.selfTelemetry.registry.getSingleMetric('stitch_exporter_sent_items_total')?.get();
      expect(sent?.values.reduce((n, v) => n + v.value, 0)).toBe(2); // the histogram and counter points
      const dropped = await settings.selfTelemetry.registry.getSingleMetric('stitch_component_dropped_items_total')?.get();
      expect(dropped?.values.find((v) => v.labels.reason === 'unsupported_data')?.value).toBe(1);
    } finally {
      await e.shutdown();
    }
    await expect(e.consumers.metrics!.consume(batch(T, 1))).rejects.toMatchObject({ code: 'STITCH_ERR_SHUTDOWN' });
  });

  it('gzips a large scrape for a scraper that accepts it', async () => {
    const { e } = exporter({}, Date.now);
    await e.start(testHost());
    try {
      const many = batch(Date.now(), 1);
      const orders = many.resourceMetrics[0]!.scopeMetrics[0]!.metrics[1]!.sum!;
      orders.dataPoints = Array.from({ length: 100 }, (_, i) => ({
        attributes: [kv('shop', `shop-${i}`)],
        startTimeUnixNano: ns(T - 1000),
        timeUnixNano: ns(Date.now()),
        asInt: i,
      }));
      await e.consumers.metrics!.consume(many);
      const res = await fetch(`http://127.0.0.1:${e.port}/metrics`, { headers: { 'accept-encoding': 'gzip' } });
      expect(res.headers.get('content-encoding')).toBe('gzip');
      expect(await res.text()).toContain('orders_total{instance="pod-1",job="shop",shop="shop-99"} 99'); // fetch inflates
    } finally {
      await e.shutdown();
    }
  });

  it('endpoint is required', () => {
    expect(prometheusExporterConfigSchema.safeParse({}).success).toBe(false);
  });
});
