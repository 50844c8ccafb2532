import { currentRequestId, setupTelemetry, stitchFastify, type Telemetry } from '@stitch/instrumentation';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushUntil, type OtlpSink, startOtlpSink } from './helpers/otlp-sink.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

class TeapotError extends Error {}

describe('fastify plugin → OTLP', () => {
  let sink: OtlpSink;
  let telemetry: Telemetry;
  let app: FastifyInstance;
  const seenInHandler: (string | undefined)[] = [];

  beforeAll(async () => {
    sink = await startOtlpSink();
    telemetry = setupTelemetry({ serviceName: 'checkout', endpoint: sink.url });
    app = Fastify();
    await app.register(stitchFastify, {
      traceResponseHeader: true,
      ignorePaths: ['/healthz'],
      captureRequestHeaders: ['x-tenant', 'authorization', 'cookie'],
      captureResponseHeaders: ['x-served-by', 'set-cookie'],
    });
    app.get('/healthz', async () => 'ok');
    app.get('/items/:id', async (req, reply) => {
      // after an await, the context must still be there
      await new Promise((r) => setImmediate(r));
      seenInHandler.push(currentRequestId());
      reply.header('x-served-by', 'node-1').header('set-cookie', 'session=abc');
      return { id: (req.params as { id: string }).id, requestId: currentRequestId() };
    });
    app.get('/boom', async () => {
      throw new TeapotError('no coffee');
    });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    await telemetry.shutdown();
    await sink.close();
  });

  it('records route templates, status codes, spans with the incoming trace, request IDs and exemplars', async () => {
    const plain = await app.inject({ url: '/items/7' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['x-request-id']).toMatch(UUID);
    expect(plain.json().requestId).toBe(plain.headers['x-request-id']);

    // an insane x-request-id is replaced, not echoed
    const hostile = await app.inject({ url: '/items/1', headers: { 'x-request-id': `a b"${'x'.repeat(300)}` } });
    expect(hostile.headers['x-request-id']).toMatch(UUID);

    // the traced request is the last one of its route, so it is its bucket's exemplar (last value wins)
    const traced = await app.inject({
      url: '/items/42?token=s3cret',
      headers: {
        traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
        tracestate: 'vendor=x',
        'x-request-id': 'req-abc-123',
        'x-tenant': 'acme',
        authorization: 'Bearer top-secret',
        cookie: 'session=abc',
      },
    });
    expect(traced.headers['x-request-id']).toBe('req-abc-123');
    expect(traced.json().requestId).toBe('req-abc-123');
    expect(traced.headers.traceresponse).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));

    expect((await app.inject({ url: '/does/not/exist' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/boom' })).statusCode).toBe(500);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect(seenInHandler).toEqual([plain.headers['x-request-id'], hostile.headers['x-request-id'], 'req-abc-123']);

    await telemetry.flush();
    const durations = sink.points().filter((p) => p.metric === 'http.server.request.duration');
    expect(durations.every((p) => p.unit === 's' && p.kind === 'histogram')).toBe(true);
    expect(
      durations
        .map((p) => ({ attributes: p.attributes, count: p.count }))
        .sort((a, b) => String(a.attributes['http.route']).localeCompare(String(b.attributes['http.route']))),
    ).toEqual([
      {
        attributes: {
          'http.request.method': 'GET',
          'http.route': '(unmatched)',
          'url.scheme': 'http',
          'http.response.status_code': 404,
        },
        count: 1,
      },
      {
        attributes: {
          'http.request.method': 'GET',
          'http.route': '/boom',
          'url.scheme': 'http',
          'http.response.status_code': 500,
          'error.type': 'TeapotError',
        },
        count: 1,
      },
      {
        attributes: {
          'http.request.method': 'GET',
          'http.route': '/items/:id',
          'url.scheme': 'http',
          'http.response.status_code': 200,
        },
        count: 3,
      },
    ]);
    expect(durations[0]!.bounds).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);

    // spans: the traced request continues the caller's trace
    const spans = sink.spans();
    const server = spans.find((s) => s.attributes.request_id === 'req-abc-123')!;
    expect(server).toMatchObject({ name: 'GET /items/:id', kind: 2, traceId: TRACE_ID, parentSpanId: PARENT_ID });
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/items/:id',
      'url.path': '/items/42',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'http.request.header.x-tenant': ['acme'],
      'http.response.header.x-served-by': ['node-1'],
    });
    expect(traced.headers.traceresponse).toBe(`00-${TRACE_ID}-${server.spanId}-01`);
    // redaction: credentials and query strings appear nowhere in the exported spans
    const spanText = JSON.stringify(spans);
    for (const secret of ['top-secret', 'session=abc', 's3cret', 'authorization', 'cookie'])
      expect(spanText).not.toContain(secret);
    expect(spans.some((s) => s.attributes['url.path'] === '/healthz')).toBe(false);
    const boom = spans.find((s) => s.name === 'GET /boom')!;
    expect(boom.statusCode).toBe(2);
    expect(boom.events).toContain('exception');

    // exemplars: the traced request is the exemplar of its bucket, with its IDs
    const items = durations.find((p) => p.attributes['http.route'] === '/items/:id')!;
    const ex = items.exemplars.find((e) => e.attributes.request_id === 'req-abc-123');
    expect(ex).toBeDefined();
    expect(ex).toMatchObject({ traceId: TRACE_ID, spanId: server.spanId });
    expect(ex!.value).toBeGreaterThan(0);
    for (const e of items.exemplars) {
      // each exemplar sits in the bucket whose count it is part of
      const i = items.bounds!.findIndex((b) => e.value <= b);
      expect(items.bucketCounts![i === -1 ? items.bounds!.length : i]).toBeGreaterThan(0);
      expect(Object.keys(e.attributes)).toEqual(['request_id']);
    }

    // active requests went back to zero; the resource names the service
    const active = sink.points().filter((p) => p.metric === 'http.server.active_requests');
    expect(active).toContainEqual(
      expect.objectContaining({
        kind: 'sum',
        monotonic: false,
        value: 0,
        attributes: { 'http.request.method': 'GET', 'url.scheme': 'http' },
      }),
    );
    expect(items.resource['service.name']).toBe('checkout');
  });

  it('works on a real listening server too', async () => {
    sink.clear();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/items/99`, { headers: { 'x-request-id': 'real-1' } });
    expect(res.headers.get('x-request-id')).toBe('real-1');
    expect(await res.json()).toEqual({ id: '99', requestId: 'real-1' });
    const itemsPoint = () =>
      sink.points().findLast((p) => p.metric === 'http.server.request.duration' && p.attributes['http.route'] === '/items/:id');
    await flushUntil(telemetry, () => itemsPoint()?.count === 4); // cumulative: 3 injected + 1 real
    const items = itemsPoint()!;
    expect(items.exemplars.map((e) => e.attributes.request_id)).toContain('real-1');
    const span = sink.spans().find((s) => s.attributes.request_id === 'real-1')!;
    expect(span.parentSpanId).toBe('');
    expect(items.exemplars.find((e) => e.attributes.request_id === 'real-1')!.traceId).toBe(span.traceId);
  });
});
