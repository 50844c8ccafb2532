/**
 * The official OpenTelemetry JS SDK exporters (HTTP/JSON, HTTP/protobuf, gRPC) send traces,
 * metrics and logs into the Stitch `otlp` receiver; exactly what they sent must come out.
 */
import { context, SpanKind, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as LogsGrpc } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as LogsHttp } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as MetricsGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as MetricsHttp } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as TracesGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as TracesHttp } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TracesProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errors } from '../../collector/src/errors.js';
import { decodeStatus } from '../../collector/src/model/otlp-codec.js';
import { anyValueToJs, int64ToNumber, pointValue } from '../../collector/src/model/values.js';
import { otlpReceiverConfigSchema } from '../../collector/src/receivers/otlp/config.js';
import { createOtlpReceiver, type OtlpReceiver } from '../../collector/src/receivers/otlp/receiver.js';
import { CollectingConsumer, freePort, testHost, testSettings } from '../../collector/src/testing/index.js';

type Flavour = 'http-json' | 'http-proto' | 'grpc';
const FLAVOURS: Flavour[] = ['http-json', 'http-proto', 'grpc'];

let receiver: OtlpReceiver;
let httpBase: string;
let grpcUrl: string;
const traces = new CollectingConsumer('traces');
const metrics = new CollectingConsumer('metrics');
const logs = new CollectingConsumer('logs');

/** Refuses the next `n` batches of `consumer` with a memory-limit error, then accepts. */
function refuseNext(consumer: CollectingConsumer<'traces' | 'metrics' | 'logs'>, n: number): { attempts: () => number } {
  let attempts = 0;
  const original = consumer.consume.bind(consumer);
  consumer.consume = async (batch: never, ctx) => {
    attempts++;
    if (attempts <= n) throw errors.STITCH_ERR_MEMORY_LIMIT([900, 800], { retryAfterMs: 200 });
    return original(batch, ctx);
  };
  return { attempts: () => attempts };
}

function traceExporter(f: Flavour) {
  if (f === 'grpc') return new TracesGrpc({ url: grpcUrl });
  return f === 'http-json' ? new TracesHttp({ url: `${httpBase}/v1/traces` }) : new TracesProto({ url: `${httpBase}/v1/traces` });
}
function metricExporter(f: Flavour) {
  if (f === 'grpc') return new MetricsGrpc({ url: grpcUrl });
  return f === 'http-json'
    ? new MetricsHttp({ url: `${httpBase}/v1/metrics` })
    : new MetricsProto({ url: `${httpBase}/v1/metrics` });
}
function logExporter(f: Flavour) {
  if (f === 'grpc') return new LogsGrpc({ url: grpcUrl });
  return f === 'http-json' ? new LogsHttp({ url: `${httpBase}/v1/logs` }) : new LogsProto({ url: `${httpBase}/v1/logs` });
}

const attrs = (list: { key: string; value?: unknown }[] | undefined) =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValueToJs(kv.value as never)]));
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');

beforeAll(async () => {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  receiver = createOtlpReceiver(
    testSettings('otlp', 'receiver'),
    otlpReceiverConfigSchema.parse({
      protocols: { http: { endpoint: `127.0.0.1:${httpPort}` }, grpc: { endpoint: `127.0.0.1:${grpcPort}` } },
    }),
    { traces, metrics, logs },
  );
  await receiver.start(testHost());
  httpBase = `http://127.0.0.1:${httpPort}`;
  grpcUrl = `http://127.0.0.1:${grpcPort}`;
});
afterAll(async () => {
  await receiver.shutdown();
});
beforeEach(() => {
  for (const c of [traces, metrics, logs]) {
    c.batches.length = 0;
    c.contexts.length = 0;
    c.refuseWith = undefined;
    delete (c as { consume?: unknown }).consume;
  }
});

describe.each(FLAVOURS)('official SDK exporter %s into the otlp receiver', (flavour) => {
  it('delivers spans exactly', async () => {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': `svc-${flavour}`, 'deployment.environment.name': 'test' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: traceExporter(flavour) })],
    });
    const tracer = provider.getTracer('stitch-e2e', '1.2.3');
    const parent = tracer.startSpan('GET /orders/:id', {
      kind: SpanKind.SERVER,
      attributes: { 'http.route': '/orders/:id', request_id: 'req-42' },
    });
    const child = tracer.startSpan(
      'SELECT orders',
      { kind: SpanKind.CLIENT, attributes: { 'db.rows': 3 } },
      trace.setSpan(context.active(), parent),
    );
    child.end();
    parent.end();
    await provider.forceFlush();
    await traces.waitForItems(2, 10_000);
    const spans = traces.batches.flatMap((b) =>
      b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ rs, ss, s })))),
    );
    expect(spans).toHaveLength(2);
    const p = spans.find((x) => x.s.name === 'GET /orders/:id');
    const c = spans.find((x) => x.s.name === 'SELECT orders');
    expect(attrs(p?.rs.resource?.attributes)).toMatchObject({
      'service.name': `svc-${flavour}`,
      'deployment.environment.name': 'test',
    });
    expect(p?.ss.scope).toMatchObject({ name: 'stitch-e2e', version: '1.2.3' });
    expect(hex(p?.s.traceId)).toBe(parent.spanContext().traceId);
    expect(hex(p?.s.spanId)).toBe(parent.spanContext().spanId);
    expect(hex(c?.s.traceId)).toBe(parent.spanContext().traceId);
    expect(hex(c?.s.parentSpanId)).toBe(parent.spanContext().spanId);
    expect(hex(c?.s.spanId)).toBe(child.spanContext().spanId);
    expect(p?.s.kind).toBe(2);
    expect(c?.s.kind).toBe(3);
    expect(attrs(p?.s.attributes)).toEqual({ 'http.route': '/orders/:id', request_id: 'req-42' });
    expect(attrs(c?.s.attributes)).toEqual({ 'db.rows': 3 });
    expect(int64ToNumber(p?.s.endTimeUnixNano)).toBeGreaterThanOrEqual(int64ToNumber(p?.s.startTimeUnixNano));
    await provider.shutdown();
  });

  it('delivers metrics exactly', async () => {
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': `svc-${flavour}` }),
      readers: [new PeriodicExportingMetricReader({ exporter: metricExporter(flavour), exportIntervalMillis: 60_000 })],
    });
    const meter = provider.getMeter('stitch-e2e-meter', '0.0.1');
    const counter = meter.createCounter('http_requests', { description: 'requests served', unit: '{request}' });
    counter.add(3, { route: '/a' });
    counter.add(4, { route: '/b' });
    counter.add(1.5, { route: '/a' });
    const hist = meter.createHistogram('latency', { unit: 'ms' });
    hist.record(12, { route: '/a' });
    hist.record(250, { route: '/a' });
    await provider.forceFlush();
    await metrics.waitForItems(3, 10_000);
    const ms = metrics.batches.flatMap((b) =>
      b.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => ({ rm, sm, m })))),
    );
    const c = ms.find((x) => x.m.name === 'http_requests');
    expect(attrs(c?.rm.resource?.attributes)).toMatchObject({ 'service.name': `svc-${flavour}` });
    expect(c?.sm.scope).toMatchObject({ name: 'stitch-e2e-meter', version: '0.0.1' });
    expect(c?.m).toMatchObject({ description: 'requests served', unit: '{request}' });
    expect(c?.m.sum?.isMonotonic).toBe(true);
    const byRoute = Object.fromEntries((c?.m.sum?.dataPoints ?? []).map((dp) => [attrs(dp.attributes).route, pointValue(dp)]));
    expect(byRoute).toEqual({ '/a': 4.5, '/b': 4 });
    const h = ms.find((x) => x.m.name === 'latency')?.m.histogram?.dataPoints[0];
    expect(int64ToNumber(h?.count)).toBe(2);
    expect(h?.sum).toBe(262);
    expect(h?.min).toBe(12);
    expect(h?.max).toBe(250);
    expect(h?.bucketCounts.reduce((n: number, b) => n + int64ToNumber(b), 0)).toBe(2);
    await provider.shutdown();
  });

  it('delivers log records exactly', async () => {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': `svc-${flavour}` }),
      processors: [new SimpleLogRecordProcessor({ exporter: logExporter(flavour) })],
    });
    const tracer = new TracerProvider().getTracer('t');
    const span = tracer.startSpan('work');
    const logger = provider.getLogger('stitch-e2e-logger', '2.0.0');
    logger.emit({
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: 'payment failed',
      attributes: { request_id: 'req-7', 'retry.count': 2 },
      context: trace.setSpan(context.active(), span),
    });
    logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: { structured: 'yes' } });
    await provider.forceFlush();
    await logs.waitForItems(2, 10_000);
    const records = logs.batches.flatMap((b) =>
      b.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => ({ rl, sl, r })))),
    );
    expect(records).toHaveLength(2);
    const err = records.find((x) => x.r.severityText === 'ERROR');
    expect(attrs(err?.rl.resource?.attributes)).toMatchObject({ 'service.name': `svc-${flavour}` });
    expect(err?.sl.scope).toMatchObject({ name: 'stitch-e2e-logger', version: '2.0.0' });
    expect(err?.r.severityNumber).toBe(17);
    expect(anyValueToJs(err?.r.body)).toBe('payment failed');
    expect(attrs(err?.r.attributes)).toEqual({ request_id: 'req-7', 'retry.count': 2 });
    expect(hex(err?.r.traceId)).toBe(span.spanContext().traceId);
    expect(hex(err?.r.spanId)).toBe(span.spanContext().spanId);
    const info = records.find((x) => x.r.severityText === 'INFO');
    expect(info?.r.severityNumber).toBe(9);
    expect(anyValueToJs(info?.r.body)).toEqual({ structured: 'yes' });
    await provider.shutdown();
  });

  it('backs off on a memory-limit refusal (429 / RESOURCE_EXHAUSTED) and then delivers', async () => {
    const refusal = refuseNext(traces, 1);
    if (flavour === 'grpc') {
      // The JS gRPC exporter (otlp-grpc-exporter-base 0.301) does not retry any status: it
      // reports the failure. Check what it got, then that its next export goes through.
      const memory = new InMemorySpanExporter();
      const recorder = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
      recorder.getTracer('t').startSpan('after-backpressure').end();
      const spans = memory.getFinishedSpans();
      const exporter = new TracesGrpc({ url: grpcUrl });
      const first = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
      expect(first.code).toBe(ExportResultCode.FAILED);
      const err = first.error as Error & { code?: number; metadata?: { get(k: string): unknown[] } };
      expect(err.code).toBe(8); // RESOURCE_EXHAUSTED
      const details = err.metadata?.get('grpc-status-details-bin')[0] as Buffer;
      expect(decodeStatus(details, 'protobuf')?.retryAfterMs).toBe(200);
      const second = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
      expect(second.code).toBe(ExportResultCode.SUCCESS);
      await exporter.shutdown();
    } else {
      // The HTTP exporters retry 429 after Retry-After (here 1 s).
      const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: traceExporter(flavour) })] });
      provider.getTracer('t').startSpan('after-backpressure').end();
      await provider.forceFlush();
      await provider.shutdown();
    }
    await traces.waitForItems(1, 15_000);
    expect(refusal.attempts()).toBe(2);
    expect(traces.batches[0]?.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name).toBe('after-backpressure');
  });
});
