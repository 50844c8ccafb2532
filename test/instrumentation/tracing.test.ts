/**
 * The lean server span from user code's side: the OpenTelemetry API sees it as the active span,
 * the official SDK tracer parents child spans on it, propagation injects it, and the exported
 * OTLP (decoded by the collector's codec) carries what user code added. Also: sampling via the
 * configured sampler, and the one merged AsyncLocalStorage store.
 */

import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AlwaysOffSampler } from '@opentelemetry/sdk-trace';
import { currentRequestId, setupTelemetry, stitchFastify, type Telemetry } from '@stitch/instrumentation';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpSink, startOtlpSink } from './helpers/otlp-sink.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

describe('lean server spans and the OpenTelemetry API', () => {
  let sink: OtlpSink;
  let telemetry: Telemetry;
  let app: FastifyInstance;
  const seen: Record<string, unknown>[] = [];

  beforeAll(async () => {
    sink = await startOtlpSink();
    telemetry = setupTelemetry({ serviceName: 'orders', endpoint: sink.url, logs: false });
    app = Fastify();
    await app.register(stitchFastify, { traceResponseHeader: true });
    app.get('/orders/:id', async () => {
      const active = trace.getActiveSpan()!;
      active.setAttribute('order.tier', 'gold').addEvent('validated', { rules: 3 });
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      // a child span from the official SDK tracer, across an await
      const child = await trace.getTracer('app').startActiveSpan('load order', async (span) => {
        await new Promise((r) => setImmediate(r));
        const inner = { traceId: span.spanContext().traceId, requestId: currentRequestId() };
        span.end();
        return inner;
      });
      const detached = context.with(ROOT_CONTEXT, () => ({ span: trace.getActiveSpan(), requestId: currentRequestId() }));
      seen.push({ ...active.spanContext(), carrier, child, detached, recording: active.isRecording() });
      return { ok: true };
    });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    await telemetry.shutdown();
    await sink.close();
  });

  it('is the active span: SDK child spans, propagation and user attributes all see it', async () => {
    const res = await app.inject({
      url: '/orders/7',
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'vendor=x', 'x-request-id': 'req-7' },
    });
    expect(res.statusCode).toBe(200);
    const s = seen.at(-1)!;
    expect(s).toMatchObject({ traceId: TRACE_ID, isRemote: false, traceFlags: 1, recording: true });
    expect(s.carrier).toEqual({ traceparent: `00-${TRACE_ID}-${s.spanId}-01`, tracestate: 'vendor=x' });
    expect(res.headers.traceresponse).toBe(`00-${TRACE_ID}-${s.spanId}-01`);
    expect(s.child).toEqual({ traceId: TRACE_ID, requestId: 'req-7' });
    // another OTel context entered inside the request: no active span, but the request's IDs stay
    expect(s.detached).toEqual({ span: undefined, requestId: 'req-7' });

    await telemetry.flush();
    await sink.waitFor(() => sink.spans().length >= 2);
    const server = sink.spans().find((x) => x.attributes.request_id === 'req-7')!;
    const child = sink.spans().find((x) => x.name === 'load order')!;
    expect(server).toMatchObject({
      name: 'GET /orders/:id',
      kind: 2,
      traceId: TRACE_ID,
      spanId: s.spanId,
      parentSpanId: PARENT_ID,
    });
    expect(server.attributes).toMatchObject({ 'order.tier': 'gold', 'http.route': '/orders/:id', 'url.path': '/orders/7' });
    expect(server.events).toEqual(['validated']);
    expect(server.resource['service.name']).toBe('orders');
    expect(child).toMatchObject({ traceId: TRACE_ID, parentSpanId: s.spanId, kind: 1 });
    // the server span went out as OTLP protobuf, decoded by the collector's codec
    expect(sink.requests.filter((r) => r.signal === 'traces').every((r) => r.encoding === 'protobuf')).toBe(true);
  });

  it('follows the W3C sampled flag of the caller: an unsampled parent gives no span and no exemplar IDs', async () => {
    sink.clear();
    const res = await app.inject({
      url: '/orders/8',
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00`, 'x-request-id': 'req-8' },
    });
    expect(res.headers.traceresponse).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
    expect(seen.at(-1)).toMatchObject({ traceFlags: 0, recording: false });
    await telemetry.flush();
    expect(sink.spans().some((x) => x.attributes.request_id === 'req-8')).toBe(false);
    const point = sink.points().find((p) => p.metric === 'http.server.request.duration')!;
    const ex = point.exemplars.find((e) => e.attributes.request_id === 'req-8')!;
    expect(ex).toMatchObject({ traceId: '', spanId: '' });
  });
});

describe('a configured sampler decides for lean spans too', () => {
  it('always_off: request IDs and metrics, no spans', async () => {
    const sink = await startOtlpSink();
    const telemetry = setupTelemetry({ serviceName: 'quiet', endpoint: sink.url, logs: false, sampler: new AlwaysOffSampler() });
    const app = Fastify();
    await app.register(stitchFastify, { traceResponseHeader: true });
    app.get('/q', async () => ({ active: trace.getActiveSpan()?.isRecording() ?? null }));
    try {
      const res = await app.inject({ url: '/q' });
      expect(res.json()).toEqual({ active: false });
      expect(res.headers['x-request-id']).toBeTruthy();
      expect(res.headers.traceresponse).toMatch(/-00$/);
      await telemetry.flush();
      expect(sink.spans()).toEqual([]);
      expect(sink.points().some((p) => p.metric === 'http.server.request.duration' && p.count === 1)).toBe(true);
    } finally {
      await app.close();
      await telemetry.shutdown();
      await sink.close();
    }
  });
});
