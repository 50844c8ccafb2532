import { createLogger, promClientProducer, setupTelemetry, stitchFastify, type Telemetry } from '@stitch/instrumentation';
import Fastify from 'fastify';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpSink, startOtlpSink } from './helpers/otlp-sink.js';

const TRACE_ID = '11112222333344445555666677778888';

describe('pino lines and OTLP log records carry the IDs; prom-client metrics are bridged', () => {
  let sink: OtlpSink;
  let telemetry: Telemetry;
  const registry = new Registry();

  beforeAll(async () => {
    sink = await startOtlpSink();
    telemetry = setupTelemetry({ serviceName: 'billing', endpoint: sink.url, metricProducers: [promClientProducer(registry)] });
  });

  afterAll(async () => {
    await telemetry.shutdown();
    await sink.close();
  });

  it('writes request_id, trace_id, span_id on stdout lines and exports them as OTLP log records from a worker', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      destination: { write: (s: string) => void lines.push(JSON.parse(s)) },
      otlp: { url: `${sink.url}/v1/logs` },
    });
    const app = Fastify();
    await app.register(stitchFastify);
    app.get('/invoices/:id', async () => {
      log.info({ amount: 42 }, 'charging');
      return 'ok';
    });
    log.info('outside any request');
    const res = await app.inject({
      url: '/invoices/9',
      headers: { 'x-request-id': 'bill-77', traceparent: `00-${TRACE_ID}-1111222233334444-01` },
    });
    await app.close();
    await telemetry.flush();
    const span = sink.spans().find((s) => s.attributes.request_id === 'bill-77')!;
    expect(span.traceId).toBe(TRACE_ID);

    const charging = lines.find((l) => l.msg === 'charging')!;
    expect(charging).toMatchObject({ request_id: 'bill-77', trace_id: TRACE_ID, span_id: span.spanId, amount: 42 });
    expect(res.headers['x-request-id']).toBe('bill-77');
    const outside = lines.find((l) => l.msg === 'outside any request')!;
    expect(Object.keys(outside)).not.toContain('request_id');
    expect(Object.keys(outside)).not.toContain('trace_id');

    // the worker thread batches and exports on its own schedule: wait for it, bounded
    await sink.waitFor(() => sink.logs().some((l) => l.body === 'charging'), 15_000);
    const record = sink.logs().find((l) => l.body === 'charging')!;
    expect(record).toMatchObject({ severityText: 'INFO', traceId: TRACE_ID, spanId: span.spanId });
    expect(record.attributes).toMatchObject({ request_id: 'bill-77', amount: 42 });
    expect(record.resource['service.name']).toBe('billing');
  });

  it('bridges prom-client counters, gauges, histograms and summaries', async () => {
    const jobs = new Counter({ name: 'jobs_processed_total', help: 'jobs', labelNames: ['queue'], registers: [registry] });
    const depth = new Gauge({ name: 'queue_depth', help: 'depth', registers: [registry] });
    const latency = new Histogram({
      name: 'job_latency_seconds',
      help: 'latency',
      buckets: [0.1, 1],
      labelNames: ['queue'],
      registers: [registry],
    });
    const size = new Summary({ name: 'payload_bytes', help: 'size', percentiles: [0.5], registers: [registry] });
    jobs.inc({ queue: 'emails' }, 3);
    depth.set(7);
    for (const v of [0.05, 0.5, 0.7, 5]) latency.observe({ queue: 'emails' }, v);
    size.observe(100);

    sink.clear();
    await telemetry.flush();
    const points = sink.points();
    expect(points.find((p) => p.metric === 'jobs_processed_total')).toMatchObject({
      kind: 'sum',
      monotonic: true,
      value: 3,
      attributes: { queue: 'emails' },
    });
    expect(points.find((p) => p.metric === 'queue_depth')).toMatchObject({ kind: 'gauge', value: 7 });
    expect(points.find((p) => p.metric === 'job_latency_seconds')).toMatchObject({
      kind: 'histogram',
      attributes: { queue: 'emails' },
      bounds: [0.1, 1],
      bucketCounts: [1, 2, 1],
      count: 4,
    });
    expect(points.find((p) => p.metric === 'job_latency_seconds')!.sum).toBeCloseTo(6.25);
    expect(points.find((p) => p.metric === 'payload_bytes')).toMatchObject({
      kind: 'gauge',
      value: 100,
      attributes: { quantile: 0.5 },
    });
    expect(points.find((p) => p.metric === 'payload_bytes_count')).toMatchObject({ kind: 'sum', value: 1 });
    // the bridged metrics share the app's resource
    expect(points.find((p) => p.metric === 'queue_depth')!.resource['service.name']).toBe('billing');
  });
});
