import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedRequest } from './encode.js';
import { classify, createTransport, rejectReason } from './transport.js';

const TLS = { insecure: false, insecure_skip_verify: false, min_version: '1.2' as const };

describe('loki transport', () => {
  let server: http.Server;
  let url: string;
  const seen: { headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
  const answers: { status: number; body?: string; headers?: Record<string, string> }[] = [];
  beforeAll(async () => {
    server = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      seen.push({ headers: req.headers, body: Buffer.concat(chunks) });
      const a = answers.shift() ?? { status: 204 };
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/loki/api/v1/push`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const request = (over: Partial<EncodedRequest> = {}): EncodedRequest => ({
    body: Buffer.from('payload'),
    contentType: 'application/x-protobuf',
    contentEncoding: undefined,
    tenant: undefined,
    lines: 1,
    ...over,
  });

  it('POSTs with the content headers, one X-Scope-OrgID and the authenticator headers', async () => {
    const t = await createTransport({
      owner: 'loki',
      endpoint: url,
      headers: { 'x-scope-orgid': 'from-headers', 'X-Custom': 'yes' },
      tls: TLS,
      maxSockets: 2,
      authHeaders: async () => ({ authorization: 'Bearer t0k' }),
    });
    try {
      expect(await t.send(request(), AbortSignal.timeout(5000))).toEqual({ ok: true, status: 204 });
      expect(
        await t.send(
          request({ tenant: 'hinted', contentType: 'application/json', contentEncoding: 'gzip' }),
          AbortSignal.timeout(5000),
        ),
      ).toMatchObject({ ok: true });
      const [a, b] = seen.slice(-2);
      expect(a.headers).toMatchObject({
        'content-type': 'application/x-protobuf',
        'x-scope-orgid': 'from-headers',
        'x-custom': 'yes',
        authorization: 'Bearer t0k',
        'user-agent': 'stitch-collector',
      });
      expect(a.body.toString()).toBe('payload');
      expect(b.headers).toMatchObject({
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'x-scope-orgid': 'hinted',
      });
    } finally {
      t.close();
    }
  });

  it('classifies answers: 429 and 5xx retryable with Retry-After, other 4xx permanent with a reason', async () => {
    const t = await createTransport({ owner: 'loki', endpoint: url, headers: {}, tls: TLS, maxSockets: 1 });
    try {
      answers.push(
        { status: 429, body: 'Ingestion rate limit exceeded', headers: { 'retry-after': '2' } },
        { status: 502, body: '' },
        { status: 400, body: 'entry with timestamp 2024-01-01 ignored, reason: \'entry out of order\' for stream: {a="b"}\n' },
      );
      expect(await t.send(request(), AbortSignal.timeout(5000))).toEqual({
        ok: false,
        status: 429,
        retryable: true,
        message: 'Ingestion rate limit exceeded',
        retryAfterMs: 2000,
      });
      expect(await t.send(request(), AbortSignal.timeout(5000))).toMatchObject({
        ok: false,
        status: 502,
        retryable: true,
        message: 'HTTP 502',
      });
      expect(await t.send(request(), AbortSignal.timeout(5000))).toMatchObject({
        ok: false,
        status: 400,
        retryable: false,
        reason: 'out_of_order',
      });
    } finally {
      t.close();
    }
  });

  it('reports network failures and timeouts as retryable', async () => {
    const dead = await createTransport({
      owner: 'loki',
      endpoint: 'http://127.0.0.1:1/loki/api/v1/push',
      headers: {},
      tls: TLS,
      maxSockets: 1,
    });
    expect(await dead.send(request(), AbortSignal.timeout(5000))).toMatchObject({ ok: false, status: 0, retryable: true });
    dead.close();
    const ac = new AbortController();
    ac.abort(new DOMException('timed out', 'TimeoutError'));
    const t = await createTransport({ owner: 'loki', endpoint: url, headers: {}, tls: TLS, maxSockets: 1 });
    expect(await t.send(request(), ac.signal)).toEqual({ ok: false, status: 0, retryable: true, message: 'request timed out' });
    t.close();
  });

  it("maps Loki's validation messages to reasons", () => {
    expect(rejectReason(400, 'entry for stream \'{a="b"}\' has timestamp too old: 1970-01-01')).toBe('too_old');
    expect(rejectReason(400, 'entry for stream \'{a="b"}\' has timestamp too new: 2999-01-01')).toBe('too_new');
    expect(rejectReason(400, "max entry size '262144' bytes exceeded for stream")).toBe('line_too_long');
    expect(rejectReason(400, "stream '{a=\"b\"}' has duplicate label name: 'a'")).toBe('invalid_labels');
    expect(rejectReason(400, 'error at least one label pair is required per stream')).toBe('invalid_labels');
    expect(rejectReason(400, 'stream \'{a="b"}\' has structured metadata too large')).toBe('structured_metadata');
    expect(rejectReason(401, 'no org id')).toBe('unauthorized');
    expect(rejectReason(413, 'too big')).toBe('too_large');
    expect(rejectReason(400, 'something else')).toBe('bad_request');
    expect(classify(404, 'not found')).toMatchObject({ retryable: false, reason: 'bad_request' });
  });
});
