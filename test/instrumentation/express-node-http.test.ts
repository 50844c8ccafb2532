import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  currentRequestId,
  instrumentListener,
  setupTelemetry,
  stitchExpress,
  stitchExpressErrors,
  type Telemetry,
} from '@stitch/instrumentation';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushUntil, type OtlpSink, startOtlpSink } from './helpers/otlp-sink.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

class PaymentDeclined extends Error {}

describe('express middleware and node:http wrapper → OTLP', () => {
  let sink: OtlpSink;
  let telemetry: Telemetry;
  let expressServer: Server;
  let nodeServer: Server;
  let expressUrl: string;
  let nodeUrl: string;

  beforeAll(async () => {
    sink = await startOtlpSink();
    telemetry = setupTelemetry({ serviceName: 'shop', endpoint: sink.url });

    const app = express();
    app.use(stitchExpress({ ignorePaths: [/^\/livez/] }));
    const orders = express.Router();
    orders.get('/:orderId', (_req, res) => {
      res.json({ requestId: currentRequestId() });
    });
    orders.post('/:orderId/pay', () => {
      throw new PaymentDeclined('card declined');
    });
    app.use('/orders', orders);
    app.get('/livez', (_req, res) => {
      res.send('ok');
    });
    app.use(stitchExpressErrors());
    expressServer = createServer(app);
    expressUrl = await listen(expressServer);

    nodeServer = createServer(
      instrumentListener(
        (req, res) => {
          setTimeout(() => {
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify({ requestId: currentRequestId(), url: req.url }));
          }, 1);
        },
        { route: (req) => (req.url?.startsWith('/users/') ? '/users/{id}' : undefined) },
      ),
    );
    nodeUrl = await listen(nodeServer);
  });

  afterAll(async () => {
    await close(expressServer);
    await close(nodeServer);
    await telemetry.shutdown();
    await sink.close();
  });

  it('express: route template = baseUrl + route.path, errors by class, trace continued', async () => {
    const ok = await fetch(`${expressUrl}/orders/o-1?coupon=FREE`, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, 'x-request-id': 'exp-1' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toBe('exp-1');
    expect(await ok.json()).toEqual({ requestId: 'exp-1' });
    expect((await fetch(`${expressUrl}/orders/o-2/pay`, { method: 'POST' })).status).toBe(500);
    expect((await fetch(`${expressUrl}/nowhere`)).status).toBe(404);
    expect((await fetch(`${expressUrl}/livez`)).status).toBe(200);

    // a request is recorded (span and metric together) when its response closes
    await flushUntil(telemetry, () => sink.spans().length >= 3);
    const routes = sink
      .points()
      .filter((p) => p.metric === 'http.server.request.duration')
      .map((p) => p.attributes);
    expect(routes).toContainEqual({
      'http.request.method': 'GET',
      'http.route': '/orders/:orderId',
      'url.scheme': 'http',
      'http.response.status_code': 200,
    });
    expect(routes).toContainEqual({
      'http.request.method': 'POST',
      'http.route': '/orders/:orderId/pay',
      'url.scheme': 'http',
      'http.response.status_code': 500,
      'error.type': 'PaymentDeclined',
    });
    expect(routes).toContainEqual({
      'http.request.method': 'GET',
      'http.route': '(unmatched)',
      'url.scheme': 'http',
      'http.response.status_code': 404,
    });
    expect(JSON.stringify(routes)).not.toMatch(/o-1|o-2|livez/);

    const span = sink.spans().find((s) => s.attributes.request_id === 'exp-1')!;
    expect(span).toMatchObject({ name: 'GET /orders/:orderId', traceId: TRACE_ID, parentSpanId: PARENT_ID });
    expect(span.attributes['url.path']).toBe('/orders/o-1');
    expect(JSON.stringify(span)).not.toContain('FREE');
    const point = sink
      .points()
      .find((p) => p.metric === 'http.server.request.duration' && p.attributes['http.route'] === '/orders/:orderId')!;
    expect(point.exemplars).toContainEqual(
      expect.objectContaining({ traceId: TRACE_ID, spanId: span.spanId, attributes: { request_id: 'exp-1' } }),
    );
  });

  it('node:http: route from the user matcher, else the unmatched value; context survives timers', async () => {
    sink.clear();
    const res = await fetch(`${nodeUrl}/users/17`, { headers: { 'x-request-id': 'node-1' } });
    expect(res.headers.get('x-request-id')).toBe('node-1');
    expect(await res.json()).toEqual({ requestId: 'node-1', url: '/users/17' });
    const other = await fetch(`${nodeUrl}/static/logo.png`);
    const generated = other.headers.get('x-request-id');
    expect(((await other.json()) as { requestId: string }).requestId).toBe(generated);

    await flushUntil(
      telemetry,
      () =>
        sink.spans().filter((s) => s.attributes.request_id === 'node-1' || s.attributes.request_id === generated).length === 2,
    );
    const points = sink.points().filter((p) => p.metric === 'http.server.request.duration');
    const users = points.find((p) => p.attributes['http.route'] === '/users/{id}')!;
    expect(users.attributes).toEqual({
      'http.request.method': 'GET',
      'http.route': '/users/{id}',
      'url.scheme': 'http',
      'http.response.status_code': 200,
    });
    expect(users.exemplars.map((e) => e.attributes.request_id)).toEqual(['node-1']);
    // the unmatched point includes the express 404 from before (same telemetry, cumulative)
    const unmatched = points.find(
      (p) => p.attributes['http.route'] === '(unmatched)' && p.attributes['http.response.status_code'] === 200,
    )!;
    expect(unmatched.count).toBe(1);
    expect(unmatched.exemplars.map((e) => e.attributes.request_id)).toEqual([generated]);
    const span = sink.spans().find((s) => s.attributes.request_id === 'node-1')!;
    expect(span.name).toBe('GET /users/{id}');
  });
});
