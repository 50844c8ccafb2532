/**
 * The demo "shop-api": a fastify service instrumented with @stitch/instrumentation in one line
 * (`app.register(stitchFastify)`) plus a pino logger. Its routes take realistic, long-tailed time,
 * some fail with 5xx, and checkout makes child spans, so the local view has slow requests and
 * errors to click through. Exports OTLP to OTEL_EXPORTER_OTLP_ENDPOINT (the demo sets it).
 *
 *   node examples/demo-service.ts          # PORT=0 picks a free port; the demo reads it over IPC
 */
import { createLogger, setupTelemetry, stitchFastify } from '@stitch/instrumentation';
import Fastify from 'fastify';
import { chance, latency, onStop, pick, sleep, tell } from './lib/child.ts';

const telemetry = setupTelemetry({ serviceName: 'shop-api', serviceVersion: '1.4.2' });
const log = createLogger({ otlp: true, level: 'info' });

/** A failure of something the service depends on: answered with its status code (5xx). */
class UpstreamError extends Error {
  readonly statusCode: number;
  constructor(message: string, statusCode: number) {
    super(message);
    this.name = 'UpstreamError';
    this.statusCode = statusCode;
  }
}

/** Runs `fn` as a child span of the current request (the request span is the active context). */
function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return telemetry.tracer.startActiveSpan(name, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: 2, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

const PRODUCTS = ['kettle', 'teapot', 'mug', 'grinder', 'scale', 'filter-papers', 'beans-ethiopia', 'beans-colombia'];

const app = Fastify();
await app.register(stitchFastify, { ignorePaths: ['/healthz'] });
app.setErrorHandler((err: Error & { statusCode?: number }, _request, reply) => {
  const status = err.statusCode ?? 500;
  if (status >= 500) log.error({ err }, 'request failed');
  reply.code(status).send({ error: err.message });
});

app.get('/healthz', async () => ({ ok: true }));

app.get('/products', async () => {
  await step('db.query products', () => sleep(latency(12, 0.5)));
  log.info({ count: PRODUCTS.length }, 'listed products');
  return PRODUCTS;
});

app.get<{ Params: { id: string } }>('/products/:id', async (request, reply) => {
  await step('db.query product', () => sleep(latency(18, 0.5)));
  if (!PRODUCTS.includes(request.params.id)) {
    log.warn({ product: request.params.id }, 'unknown product');
    return reply.code(404).send({ error: 'no such product' });
  }
  log.info({ product: request.params.id }, 'loaded product');
  return { id: request.params.id, price: 12.5 };
});

app.post<{ Params: { id: string } }>('/cart/:id/items', async (request) => {
  const item = pick(PRODUCTS);
  await step('cache.get cart', () => sleep(latency(4, 0.4)));
  await step('db.update cart', () => sleep(latency(35, 0.6)));
  log.info({ cart: request.params.id, item }, 'added item to cart');
  return { ok: true };
});

app.post('/checkout', async () => {
  log.info('checkout started');
  await step('inventory.reserve', () => sleep(latency(40, 0.5)));
  await step('payment.authorize', async () => {
    const ms = latency(220, 0.9);
    if (ms > 1500 || chance(0.04)) {
      await sleep(Math.min(ms, 2500));
      log.error({ provider: 'acme-pay', waited_ms: Math.round(ms) }, 'payment provider timed out');
      throw new UpstreamError('payment provider timed out', 504);
    }
    if (ms > 600) log.warn({ provider: 'acme-pay', waited_ms: Math.round(ms) }, 'payment provider is slow');
    await sleep(ms);
  });
  await step('db.insert order', () => sleep(latency(15, 0.4)));
  log.info('order placed');
  return { ok: true };
});

app.get<{ Querystring: { q?: string } }>('/search', async (request) => {
  const q = request.query.q ?? '';
  // The query is logged as typed: the local view must show markup in it as text.
  log.info({ q }, `search for ${q}`);
  await step('search.query', async () => {
    await sleep(latency(90, 0.8));
    if (chance(0.03)) throw new UpstreamError('search index unavailable', 503);
  });
  return { q, hits: Math.floor(Math.random() * 40) };
});

const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const port = (app.server.address() as { port: number }).port;
log.info({ address }, 'shop-api listening');
tell({ type: 'listening', port });

onStop(async () => {
  await app.close();
  await telemetry.shutdown();
});
