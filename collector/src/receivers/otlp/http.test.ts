import { deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errors } from '../../errors.js';
import { bearerTokenAuthConfigSchema } from '../../extensions/bearertokenauth/config.js';
import { createBearerTokenAuth } from '../../extensions/bearertokenauth/extension.js';
import { decodeStatus, encodeRequest } from '../../model/otlp-codec.js';
import { CollectingConsumer, freePort, testHost, testSettings } from '../../testing/index.js';
import { otlpReceiverConfigSchema } from './config.js';
import { createOtlpReceiver, type OtlpReceiver } from './receiver.js';
import { sampleLogs, sampleMetrics, sampleTraces } from './testdata/batches.js';

const LIMIT = 64 * 1024;

describe('otlp receiver over HTTP', () => {
  let receiver: OtlpReceiver;
  let settings: ReturnType<typeof testSettings>;
  let traces: CollectingConsumer<'traces'>;
  let metrics: CollectingConsumer<'metrics'>;
  let logs: CollectingConsumer<'logs'>;
  let base: string;

  async function start(http: Record<string, unknown> = {}, extensions: Record<string, unknown> = {}) {
    const port = await freePort();
    const config = otlpReceiverConfigSchema.parse({
      protocols: { http: { endpoint: `127.0.0.1:${port}`, max_request_body_size: LIMIT, ...http } },
    });
    receiver = createOtlpReceiver(settings, config, { traces, metrics, logs });
    await receiver.start(testHost(extensions));
    base = `http://127.0.0.1:${port}`;
  }

  const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) =>
    fetch(base + path, { method: 'POST', body: typeof body === 'string' ? body : Buffer.from(body), headers });

  async function refusedRequests(reason: string): Promise<number> {
    const metric = await settings.selfTelemetry.registry.getSingleMetric('stitch_receiver_refused_requests_total')?.get();
    return (metric?.values ?? []).filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
  }

  beforeEach(() => {
    settings = testSettings('otlp', 'receiver');
    traces = new CollectingConsumer('traces');
    metrics = new CollectingConsumer('metrics');
    logs = new CollectingConsumer('logs');
  });
  afterEach(async () => {
    await receiver?.shutdown();
  });

  it('accepts protobuf and JSON for each signal and passes the client address', async () => {
    await start();
    const pb = { 'content-type': 'application/x-protobuf' };
    const json = { 'content-type': 'application/json; charset=utf-8' };
    for (const [path, signal, data] of [
      ['/v1/traces', 'traces', sampleTraces()],
      ['/v1/metrics', 'metrics', sampleMetrics(3)],
      ['/v1/logs', 'logs', sampleLogs()],
    ] as const) {
      const r1 = await post(path, encodeRequest(signal, data as never, 'protobuf'), pb);
      expect(r1.status).toBe(200);
      expect(r1.headers.get('content-type')).toBe('application/x-protobuf');
      const r2 = await post(path, encodeRequest(signal, data as never, 'json'), json);
      expect(r2.status).toBe(200);
      expect(await r2.json()).toEqual({});
    }
    expect(traces.batches).toHaveLength(2);
    expect(traces.batches[1]?.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name).toBe('GET /cart');
    expect(Buffer.from(traces.batches[1]?.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.traceId ?? []).toString('hex')).toBe(
      '0102030405060708090a0b0c0d0e0f10',
    );
    expect(metrics.itemCount).toBe(6);
    expect(logs.batches[0]?.resourceLogs[0]?.scopeLogs[0]?.logRecords[0]?.body?.stringValue).toBe('payment failed');
    expect(traces.contexts[0]).toEqual({ clientAddress: '127.0.0.1' });
  });

  it('inflates gzip, deflate and zstd bodies', async () => {
    await start();
    const body = encodeRequest('metrics', sampleMetrics(2), 'protobuf');
    for (const [enc, data] of [
      ['gzip', gzipSync(body)],
      ['deflate', deflateSync(body)],
      ['zstd', zstdCompressSync(body)],
    ] as const) {
      const r = await post('/v1/metrics', data, { 'content-type': 'application/x-protobuf', 'content-encoding': enc });
      expect(r.status, enc).toBe(200);
    }
    expect(metrics.itemCount).toBe(6);
  });

  it('answers bad input with the right status and a google.rpc.Status, counts it, and keeps serving', async () => {
    await start();
    const pb = { 'content-type': 'application/x-protobuf' };
    const json = { 'content-type': 'application/json' };
    const good = encodeRequest('traces', sampleTraces(), 'protobuf');
    const badTraceId = JSON.stringify({
      resourceSpans: [
        { scopeSpans: [{ spans: [{ traceId: '0102030405060708090a0b0c0d0e0f', spanId: '1112131415161718', name: 'x' }] }] },
      ],
    });
    const cases: { name: string; send: () => Promise<Response>; status: number; reason: string; message?: RegExp }[] = [
      {
        name: 'truncated protobuf',
        send: () => post('/v1/traces', good.subarray(0, good.length - 7), pb),
        status: 400,
        reason: 'decode_error',
        message: /protobuf/,
      },
      // field 1 with wire type 7, which does not exist
      {
        name: 'invalid wire type',
        send: () => post('/v1/traces', Uint8Array.from([0x0f, 0x00]), pb),
        status: 400,
        reason: 'decode_error',
        message: /wire type/,
      },
      // a ResourceSpans whose first field (resource, length-delimited) claims more bytes than follow
      {
        name: 'nested length past the end',
        send: () => post('/v1/traces', Uint8Array.from([0x0a, 0x03, 0x0a, 0x09, 0x00]), pb),
        status: 400,
        reason: 'decode_error',
      },
      {
        name: 'invalid JSON',
        send: () => post('/v1/traces', '{"resourceSpans": [', json),
        status: 400,
        reason: 'decode_error',
        message: /JSON/,
      },
      {
        name: '30-char trace ID',
        send: () => post('/v1/traces', badTraceId, json),
        status: 400,
        reason: 'decode_error',
        message: /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId: expected 32 hex characters/,
      },
      { name: 'empty JSON body', send: () => post('/v1/traces', '', json), status: 400, reason: 'decode_error' },
      {
        name: 'unknown content type',
        send: () => post('/v1/traces', 'hello', { 'content-type': 'text/plain' }),
        status: 415,
        reason: 'unsupported_media_type',
      },
      {
        name: 'unknown content encoding',
        send: () => post('/v1/traces', good, { ...pb, 'content-encoding': 'br' }),
        status: 415,
        reason: 'unsupported_media_type',
      },
      {
        name: 'corrupt gzip',
        send: () => post('/v1/traces', good, { ...pb, 'content-encoding': 'gzip' }),
        status: 400,
        reason: 'decode_error',
      },
      {
        name: 'body over the limit',
        send: () => post('/v1/traces', Buffer.alloc(LIMIT + 1), pb),
        status: 413,
        reason: 'too_large',
      },
      // 64 MiB of zeros compress to ~64 KiB... but we stay under the raw limit with a smaller bomb
      {
        name: 'gzip bomb',
        send: () => post('/v1/traces', gzipSync(Buffer.alloc(20 * 1024 * 1024)), { ...pb, 'content-encoding': 'gzip' }),
        status: 413,
        reason: 'too_large',
      },
      { name: 'wrong path', send: () => post('/v1/spans', good, pb), status: 404, reason: 'not_found' },
      { name: 'wrong method', send: () => fetch(`${base}/v1/traces`), status: 405, reason: 'method_not_allowed' },
    ];
    for (const c of cases) {
      const before = await refusedRequests(c.reason);
      const r = await c.send();
      expect(r.status, c.name).toBe(c.status);
      const encoding = r.headers.get('content-type')?.includes('protobuf') ? 'protobuf' : 'json';
      const status = decodeStatus(new Uint8Array(await r.arrayBuffer()), encoding);
      expect(status?.message, c.name).toBeTruthy();
      if (c.message) expect(status?.message, c.name).toMatch(c.message);
      expect(await refusedRequests(c.reason), c.name).toBe(before + 1);
    }
    expect(traces.batches).toHaveLength(0);
    // A known field sent with another valid wire type is skipped as an unknown field, as Go's
    // protobuf (and so the Collector) does: the request is valid and empty.
    expect((await post('/v1/traces', Uint8Array.from([0x08, 0x96, 0x01]), pb)).status).toBe(200);
    // An empty protobuf body is a valid, empty ExportTraceServiceRequest (as in the Collector).
    const empty = await post('/v1/traces', new Uint8Array(0), pb);
    expect(empty.status).toBe(200);
    // Still serving.
    expect((await post('/v1/traces', good, pb)).status).toBe(200);
    expect(traces.itemCount).toBe(1);
  });

  it('the gzip bomb is refused without inflating it whole', async () => {
    await start();
    // 20 MiB of zeros gzip to ~20 KiB, under the 64 KiB limit on received bytes.
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(LIMIT);
    const before = process.memoryUsage().arrayBuffers;
    const r = await post('/v1/metrics', bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('answers 429 / 503 with Retry-After for retryable refusals and 500 for permanent ones', async () => {
    await start();
    const body = encodeRequest('metrics', sampleMetrics(2), 'protobuf');
    const pb = { 'content-type': 'application/x-protobuf' };
    metrics.refuseWith = errors.STITCH_ERR_MEMORY_LIMIT([900, 800], { retryAfterMs: 2500 });
    let r = await post('/v1/metrics', body, pb);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('3');
    const st = decodeStatus(new Uint8Array(await r.arrayBuffer()), 'protobuf');
    expect(st).toMatchObject({ code: 8, retryAfterMs: 2500 });

    metrics.refuseWith = errors.STITCH_ERR_QUEUE_FULL(['otlphttp', '1000 requests']);
    r = await post('/v1/metrics', body, pb);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');

    metrics.refuseWith = errors.STITCH_ERR_SHUTDOWN(['batch']);
    r = await post('/v1/metrics', body, pb);
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');

    metrics.refuseWith = errors.STITCH_ERR_EXPORT_PERMANENT(['loki', 'bad labels']);
    r = await post('/v1/metrics', body, { 'content-type': 'application/json' });
    r = await post('/v1/metrics', encodeRequest('metrics', sampleMetrics(2), 'json'), { 'content-type': 'application/json' });
    expect(r.status).toBe(500);
    expect(r.headers.get('retry-after')).toBeNull();
    expect(((await r.json()) as { message: string }).message).toMatch(/bad labels/);

    const refused = await settings.selfTelemetry.registry.getSingleMetric('stitch_receiver_refused_items_total')?.get();
    const byReason = Object.fromEntries((refused?.values ?? []).map((v) => [v.labels.reason, v.value]));
    expect(byReason).toMatchObject({ memory_limit: 2, queue_full: 2, shutdown: 2, permanent_error: 2 });

    metrics.refuseWith = undefined;
    expect((await post('/v1/metrics', body, pb)).status).toBe(200);
  });

  it('passes request headers along with include_metadata', async () => {
    await start({ include_metadata: true });
    await post('/v1/logs', encodeRequest('logs', sampleLogs(), 'protobuf'), {
      'content-type': 'application/x-protobuf',
      'x-tenant': 'team-a',
    });
    expect(logs.contexts[0]?.metadata?.['x-tenant']).toBe('team-a');
    expect(logs.contexts[0]?.clientAddress).toBe('127.0.0.1');
  });

  it('serves custom URL paths', async () => {
    await start({ traces_url_path: 'otlp/traces' });
    const pb = { 'content-type': 'application/x-protobuf' };
    expect((await post('/otlp/traces', encodeRequest('traces', sampleTraces(), 'protobuf'), pb)).status).toBe(200);
    expect((await post('/v1/traces', encodeRequest('traces', sampleTraces(), 'protobuf'), pb)).status).toBe(404);
  });

  it('checks bearer tokens with the bearertokenauth extension', async () => {
    const auth = createBearerTokenAuth(
      testSettings('bearertokenauth/in', 'extension'),
      bearerTokenAuthConfigSchema.parse({ token: 's3cret' }),
    );
    await start({ auth: { authenticator: 'bearertokenauth/in' } }, { 'bearertokenauth/in': auth });
    const body = encodeRequest('traces', sampleTraces(), 'protobuf');
    const pb = { 'content-type': 'application/x-protobuf' };
    let r = await post('/v1/traces', body, pb);
    expect(r.status).toBe(401);
    expect(decodeStatus(new Uint8Array(await r.arrayBuffer()), 'protobuf')?.code).toBe(16);
    r = await post('/v1/traces', body, { ...pb, authorization: 'Bearer wrong' });
    expect(r.status).toBe(401);
    r = await post('/v1/traces', body, { ...pb, authorization: 'Bearer s3cret' });
    expect(r.status).toBe(200);
    expect(await refusedRequests('unauthenticated')).toBe(2);
  });

  it('fails to start when the authenticator is not configured', async () => {
    await expect(start({ auth: { authenticator: 'bearertokenauth/missing' } })).rejects.toMatchObject({
      code: 'STITCH_ERR_EXTENSION_UNDEFINED',
    });
  });

  it('answers CORS preflights for allowed origins only', async () => {
    await start({ cors: { allowed_origins: ['https://*.example.com'], allowed_headers: ['X-Custom'], max_age: 600 } });
    const preflight = (origin: string) =>
      fetch(`${base}/v1/traces`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-custom' },
      });
    const ok = await preflight('https://app.example.com');
    expect(ok.status).toBeLessThan(300);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/X-Custom/);
    expect(ok.headers.get('access-control-max-age')).toBe('600');
    const bad = await preflight('https://evil.test');
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a port already in use with STITCH_ERR_LISTEN', async () => {
    await start();
    const second = createOtlpReceiver(
      settings,
      otlpReceiverConfigSchema.parse({ protocols: { http: { endpoint: base.slice(7) } } }),
      { traces },
    );
    await expect(second.start(testHost())).rejects.toMatchObject({ code: 'STITCH_ERR_LISTEN' });
    await second.shutdown();
  });
});

describe('otlp receiver config', () => {
  it('has the Collector defaults and needs a protocol when protocols is given', () => {
    const c = otlpReceiverConfigSchema.parse({ protocols: { grpc: null, http: null } });
    expect(c.protocols.grpc).toMatchObject({ endpoint: 'localhost:4317', max_recv_msg_size_mib: 4, include_metadata: false });
    expect(c.protocols.http).toMatchObject({
      endpoint: 'localhost:4318',
      traces_url_path: '/v1/traces',
      metrics_url_path: '/v1/metrics',
      logs_url_path: '/v1/logs',
      max_request_body_size: 20 * 1024 * 1024,
    });
    expect(otlpReceiverConfigSchema.safeParse({ protocols: {} }).success).toBe(false);
    expect(otlpReceiverConfigSchema.safeParse({ protocols: { http: { bogus: 1 } } }).success).toBe(false);
    expect(otlpReceiverConfigSchema.parse({}).protocols).toEqual({ grpc: undefined, http: undefined });
  });
});
