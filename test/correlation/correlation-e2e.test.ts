/**
 * End to end, the way an on-call engineer uses Stitch: a fastify service and an operator, both
 * instrumented with @stitch/instrumentation, send OTLP to a real `stitch collect`
 * (otlp → correlation → batch → prometheusremotewrite to Debian's Prometheus, loki to the strict
 * Loki receiver, count and spanmetrics connectors, correlation extension). Then, for EVERY one
 * of the N requests and M reconciles (not a sample):
 * - each of its log lines carries its ID in Loki structured metadata (and its trace ID);
 * - an exemplar of its duration histogram carries the ID (`/api/v1/query_exemplars`);
 * - `GET /api/v1/correlations/{id}` returns its log-line count, its trace ID and the series.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import {
  createController,
  createLogger,
  currentReconcileId,
  setupTelemetry,
  stitchFastify,
  type Telemetry,
} from '@stitch/instrumentation';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../collector/src/testing/index.js';
import { runStitch, type StitchProcess, writeConfig } from '../helpers/collector-process.js';
import { type PrometheusHandle, startPrometheus } from '../helpers/prometheus.js';
import { type StrictLoki, startStrictLoki } from '../helpers/strict-loki.js';

const N_REQUESTS = 12;
const M_RECONCILES = 8;
const LINES_PER_REQUEST = 2;
const LINES_PER_RECONCILE = 2;

/** A pino destination that discards (lines also go to the OTLP worker). */
const devNull = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Api {
  status: number;
  body: { data?: Record<string, any>; error?: string };
}

describe('correlation end to end: fastify service + operator → stitch → Prometheus + Loki + correlation API', () => {
  let prom: PrometheusHandle;
  let loki: StrictLoki;
  let stitch: StitchProcess;
  let apiBase: string;
  let service: Telemetry;
  let operator: Telemetry;
  let app: FastifyInstance;
  let appLog: Logger;
  let opLog: Logger;

  beforeAll(async () => {
    [prom, loki] = await Promise.all([startPrometheus(), startStrictLoki()]);
    const [otlpPort, apiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    apiBase = `http://127.0.0.1:${apiPort}/api/v1/correlations`;
    const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
processors:
  correlation:
  batch:
    timeout: 100ms
connectors:
  count:
    aggregation_temporality: AGGREGATION_TEMPORALITY_CUMULATIVE
  spanmetrics:
    histogram:
      unit: s
    exemplars:
      enabled: true
    metrics_flush_interval: 1s
exporters:
  prometheusremotewrite:
    endpoint: ${prom.writeUrl}
  loki:
    endpoint: ${loki.url}
extensions:
  correlation:
    endpoint: 127.0.0.1:${apiPort}
service:
  extensions: [correlation]
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    traces:
      receivers: [otlp]
      processors: [correlation, batch]
      exporters: [spanmetrics]
    logs:
      receivers: [otlp]
      processors: [correlation, batch]
      exporters: [loki, count]
    metrics:
      receivers: [otlp, count, spanmetrics]
      processors: [correlation, batch]
      exporters: [prometheusremotewrite]
`);
    stitch = runStitch(['collect', '--config', config]);
    await stitch.waitFor('Everything is ready', 30_000);

    const endpoint = `http://127.0.0.1:${otlpPort}`;
    // Metric export only on flush(): one flush per request / reconcile puts each one's exemplar on the wire.
    service = setupTelemetry({ serviceName: 'checkout', endpoint, metricExportIntervalMs: 3_600_000 });
    operator = setupTelemetry({
      serviceName: 'widget-operator',
      endpoint,
      metricExportIntervalMs: 3_600_000,
      registerGlobals: false,
    });
    appLog = createLogger({ destination: devNull(), otlp: { telemetry: service, url: `${endpoint}/v1/logs` } });
    opLog = createLogger({ destination: devNull(), otlp: { telemetry: operator, url: `${endpoint}/v1/logs` } });

    app = Fastify();
    await app.register(stitchFastify, { telemetry: service });
    app.get('/cart/:id', async (req) => {
      appLog.info({ cart: (req.params as { id: string }).id }, 'loading cart');
      await new Promise((r) => setTimeout(r, 2));
      appLog.warn('cart is large');
      return { ok: true };
    });
    await app.ready();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await Promise.allSettled([service?.shutdown(), operator?.shutdown()]);
    await stitch?.stop();
    await Promise.allSettled([prom?.stop(), loki?.close()]);
  });

  async function api(id: string): Promise<Api> {
    const res = await fetch(`${apiBase}/${encodeURIComponent(id)}`);
    return { status: res.status, body: (await res.json()) as Api['body'] };
  }

  it(`correlates every one of ${N_REQUESTS} requests and ${M_RECONCILES} reconciles across logs, metrics and traces`, async () => {
    // --- drive the service: one request at a time, flushed, so each has its own exemplar
    const requestIds: string[] = [];
    for (let i = 0; i < N_REQUESTS; i++) {
      const res = await app.inject({ url: `/cart/${i}` });
      expect(res.statusCode).toBe(200);
      requestIds.push(res.headers['x-request-id'] as string);
      await service.flush();
    }
    expect(new Set(requestIds).size).toBe(N_REQUESTS);

    // --- drive the operator: M reconciles, one at a time
    const rids: string[] = [];
    const controller = createController({
      controller: 'widgets',
      telemetry: operator,
      logger: opLog,
      async reconcile(_req, ctx) {
        rids.push(currentReconcileId() as string);
        ctx.log?.info('reconciling');
        await new Promise((r) => setTimeout(r, 2));
        ctx.log?.info({ replicas: 3 }, 'reconciled');
      },
    });
    const informer = new EventEmitter();
    informer.on('add', controller.enqueueObject);
    controller.start();
    for (let i = 0; i < M_RECONCILES; i++) {
      informer.emit('add', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { namespace: 'prod', name: `w${i}` } });
      await until(`reconcile ${i}`, () => (rids.length === i + 1 ? true : undefined), 10_000);
      await new Promise((r) => setTimeout(r, 10)); // let the wrapper record the duration
      await operator.flush();
    }
    await controller.stop();
    expect(new Set(rids).size).toBe(M_RECONCILES);

    // --- Loki: every line of every request / reconcile carries its ID (and a trace ID) as structured metadata
    await loki.waitForLines(N_REQUESTS * LINES_PER_REQUEST + M_RECONCILES * LINES_PER_RECONCILE, 30_000);
    const traceOf = new Map<string, string>();
    const checkLines = (id: string, key: 'request_id' | 'rid', service: string, expected: number) => {
      const lines = loki.entries({ service_name: service }).filter((e) => e.metadata[key] === id);
      expect(lines, `${key} ${id}`).toHaveLength(expected);
      const traces = new Set(lines.map((l) => l.metadata.trace_id));
      expect(traces.size, `one trace for ${id}`).toBe(1);
      const trace = [...traces][0] as string;
      expect(trace).toMatch(/^[0-9a-f]{32}$/);
      traceOf.set(id, trace);
    };
    for (const id of requestIds) checkLines(id, 'request_id', 'checkout', LINES_PER_REQUEST);
    for (const rid of rids) checkLines(rid, 'rid', 'widget-operator', LINES_PER_RECONCILE);
    // and no line of the service or the operator is without its ID
    expect(loki.entries({ service_name: 'checkout' }).filter((e) => !e.metadata.request_id)).toEqual([]);
    expect(loki.entries({ service_name: 'widget-operator' }).filter((e) => !e.metadata.rid)).toEqual([]);

    // --- Prometheus: an exemplar of the duration histogram carries each ID
    const exemplarIds = async (selector: string, key: string) => {
      const result = await prom.queryExemplars(selector);
      return new Set(result.flatMap((s) => s.exemplars.map((e) => e.labels[key])).filter((v) => v !== undefined));
    };
    const httpSelector = 'http_server_request_duration_seconds_bucket{job="checkout"}';
    await until('an exemplar for every request', async () => {
      const ids = await exemplarIds(httpSelector, 'request_id');
      return requestIds.every((id) => ids.has(id)) ? true : undefined;
    });
    const reconcileSelector = 'controller_runtime_reconcile_time_seconds_bucket{job="widget-operator",controller="widgets"}';
    await until('an exemplar for every reconcile', async () => {
      const ids = await exemplarIds(reconcileSelector, 'rid');
      return rids.every((id) => ids.has(id)) ? true : undefined;
    });
    // the exemplars' trace IDs are the traces the log lines carry
    const exemplars = (await prom.queryExemplars(httpSelector)).flatMap((s) => s.exemplars);
    for (const id of requestIds) {
      const e = exemplars.find((x) => x.labels.request_id === id);
      expect(e?.labels.trace_id).toBe(traceOf.get(id));
    }

    // --- the correlation API: log-line count, trace ID and series, for each ID
    for (const [ids, key, metric, lines] of [
      [requestIds, 'request_id', 'http_server_request_duration_seconds', LINES_PER_REQUEST],
      [rids, 'rid', 'controller_runtime_reconcile_time_seconds', LINES_PER_RECONCILE],
    ] as const) {
      for (const id of ids) {
        const { status, body } = await api(id);
        expect(status, `${key} ${id}: ${body.error}`).toBe(200);
        const d = body.data!;
        expect(d.key).toBe(key);
        expect(d.logs.count, `log lines of ${id}`).toBe(lines);
        expect(d.trace_ids).toContain(traceOf.get(id));
        expect(d.spans.count).toBeGreaterThanOrEqual(1);
        expect(d.series.map((s: { name: string }) => s.name)).toContain(metric);
        expect(d.queries.logql).toBe(`{service_name="${d.service}"} | ${key}="${id}"`);
        // the PromQL the API hands out finds the series in Prometheus, with this ID's exemplar
        const promql = d.series.find((s: { name: string }) => s.name === metric).promql as string;
        const found = await prom.queryExemplars(promql);
        expect(found.flatMap((s) => s.exemplars).some((e) => e.labels[key] === id)).toBe(true);
      }
    }
    // a trace ID answers too, linked back to its request
    const trace = await api(traceOf.get(requestIds[0]!)!);
    expect(trace.body.data).toMatchObject({ kind: 'trace', request_ids: [requestIds[0]], service: 'checkout' });
    expect((await api('never-seen-id')).status).toBe(404);

    // --- the logs → metrics connector: log counts by service, severity and controller, with exemplars
    await prom.waitFor(
      'log_record_count_total{job="checkout",severity="WARN"}',
      (v) => v.length === 1 && Number(v[0]!.value[1]) === N_REQUESTS,
    );
    await prom.waitFor(
      'log_record_count_total{job="widget-operator",controller="widgets"}',
      (v) => v.reduce((n, s) => n + Number(s.value[1]), 0) === M_RECONCILES * LINES_PER_RECONCILE,
    );
    const countExemplars = (await prom.queryExemplars('log_record_count_total{job="checkout"}')).flatMap((s) => s.exemplars);
    expect(countExemplars.length).toBeGreaterThan(0);
    for (const e of countExemplars) expect(requestIds).toContain(e.labels.request_id);

    // --- spanmetrics: RED metrics from the spans, exemplars carrying trace_id and the request ID
    await prom.waitFor('traces_span_metrics_calls_total{service_name="checkout",span_kind="SPAN_KIND_SERVER"}', (v) =>
      v.some((s) => Number(s.value[1]) >= N_REQUESTS),
    );
    const spanExemplars = (
      await prom.queryExemplars(
        'traces_span_metrics_duration_seconds_bucket{service_name="checkout",span_kind="SPAN_KIND_SERVER"}',
      )
    ).flatMap((s) => s.exemplars);
    expect(spanExemplars.length).toBeGreaterThan(0);
    for (const e of spanExemplars) {
      expect(e.labels.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(requestIds).toContain(e.labels.request_id);
    }
  }, 180_000);
});
