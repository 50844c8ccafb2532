/**
 * The embedded default's `prometheus` exporter scraped by a real Prometheus (Debian's, exemplar
 * storage on): OTLP metrics in, the same series and exemplars out through /metrics as the
 * prometheusremotewrite exporter would write them — Prometheus negotiates OpenMetrics, parses
 * every line, and `query_exemplars` finds the request ID.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../collector/src/config/index.js';
import { FactoryRegistry } from '../../collector/src/registry.js';
import { type RunningCollector, startCollector } from '../../collector/src/service/collector.js';
import { createLogger } from '../../collector/src/telemetry/logger.js';
import { freePort } from '../../collector/src/testing/index.js';
import { type PrometheusHandle, startPrometheus } from '../helpers/prometheus.js';

const DEFAULT = fileURLToPath(new URL('../../collector/config/default.yaml', import.meta.url));
const str = (stringValue: string) => ({ stringValue });

describe('default config: prometheus exporter scraped by Prometheus', () => {
  let collector: RunningCollector;
  let prom: PrometheusHandle;
  let otlp: string;

  beforeAll(async () => {
    const ports = await Promise.all(Array.from({ length: 7 }, () => freePort()));
    const env = {
      STITCH_OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports[0]}`,
      STITCH_OTLP_HTTP_ENDPOINT: `127.0.0.1:${ports[1]}`,
      STITCH_HEALTH_ENDPOINT: `127.0.0.1:${ports[2]}`,
      STITCH_SELF_METRICS_PORT: String(ports[3]),
      STITCH_LOCAL_VIEW_ENDPOINT: `127.0.0.1:${ports[4]}`,
      STITCH_CORRELATION_ENDPOINT: `127.0.0.1:${ports[5]}`,
      STITCH_PROMETHEUS_ENDPOINT: `127.0.0.1:${ports[6]}`,
    };
    otlp = `http://${env.STITCH_OTLP_HTTP_ENDPOINT}`;
    // The debug exporter of the default writes to stdout; keep the test output clean.
    const quiet = 'exporters:\n  debug:\n    sampling_initial: 0\n    sampling_thereafter: 0\n';
    const { config, problems } = loadConfig({
      files: [DEFAULT, 'quiet.yaml'],
      env,
      registry: new FactoryRegistry(),
      readFile: (f) => (f === 'quiet.yaml' ? quiet : readFileSync(f, 'utf8')),
    });
    expect(problems).toEqual([]);
    collector = await startCollector({ config: config!, logger: createLogger('silent') });
    prom = await startPrometheus({ scrape: [{ job: 'stitch-pull', targets: [env.STITCH_PROMETHEUS_ENDPOINT] }] });
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await collector?.shutdown(5000);
  });

  it('serves OTLP histograms with exemplars and counters that Prometheus scrapes and stores', async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const start = now - 60_000_000_000n;
    const body = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: str('checkout') }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'http.server.request.duration',
                  unit: 's',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        attributes: [{ key: 'http.route', value: str('/cart/:id') }],
                        startTimeUnixNano: String(start),
                        timeUnixNano: String(now),
                        count: '7',
                        sum: 1.4,
                        bucketCounts: ['5', '2'],
                        explicitBounds: [0.25],
                        exemplars: [
                          {
                            timeUnixNano: String(now),
                            asDouble: 0.61,
                            traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
                            spanId: '00f067aa0ba902b7',
                            filteredAttributes: [{ key: 'request_id', value: str('0f8fad5b-d9cb-469f-a165-70867728950e') }],
                          },
                        ],
                      },
                    ],
                  },
                },
                {
                  name: 'orders',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [{ startTimeUnixNano: String(start), timeUnixNano: String(now), asInt: '3' }],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`${otlp}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);

    const count = await prom.waitFor(
      'http_server_request_duration_seconds_count{exported_job="checkout"}',
      (v) => v.length === 1 && v[0]?.value[1] === '7',
      30_000,
    );
    expect(count[0]?.metric.http_route).toBe('/cart/:id');
    const orders = await prom.waitFor('orders_total{exported_job="checkout"}', (v) => v.length === 1, 10_000);
    expect(orders[0]?.value[1]).toBe('3');
    // (The scrape job has no honor_labels, so the series' own job label arrives as exported_job.)
    // Every line parsed: a scrape with a bad line stores nothing and sets up to 0.
    const up = await prom.query('up{job="stitch-pull"}');
    expect(up[0]?.value[1]).toBe('1');
    const ex = await prom.queryExemplars('http_server_request_duration_seconds_bucket{exported_job="checkout"}');
    const labels = ex.flatMap((s) => s.exemplars.map((e) => e.labels));
    expect(labels).toContainEqual({
      request_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
    });
  }, 60_000);
});
