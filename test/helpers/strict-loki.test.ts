import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import snappy from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSelector, type StrictLoki, startStrictLoki } from './strict-loki.js';

// Bodies are built here from the published schema with protobufjs, independently of the collector.
const root = new protobuf.Root();
root.loadSync(fileURLToPath(new URL('./loki-push.proto', import.meta.url)), { keepCase: true });
root.resolveAll();
const PushRequest = root.lookupType('logproto.PushRequest');

const NOW_MS = Date.now();
const NOW_S = Math.floor(NOW_MS / 1000);

interface Entry {
  s?: number;
  n?: number;
  line?: string;
  meta?: Record<string, string>;
}

function proto(streams: { labels: string; entries: Entry[] }[]): Buffer {
  const msg = {
    streams: streams.map((st) => ({
      labels: st.labels,
      entries: st.entries.map((e) => ({
        timestamp: { seconds: e.s ?? NOW_S, nanos: e.n ?? 0 },
        line: e.line ?? 'hello',
        structuredMetadata: Object.entries(e.meta ?? {}).map(([name, value]) => ({ name, value })),
      })),
    })),
  };
  return snappy.compressSync(Buffer.from(PushRequest.encode(msg).finish()));
}

async function post(loki: StrictLoki, body: Uint8Array, headers: Record<string, string>) {
  const res = await fetch(loki.url, { method: 'POST', body, headers });
  return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
}

const PB = { 'content-type': 'application/x-protobuf' };
const JSON_CT = { 'content-type': 'application/json' };
const sixteen = `{${Array.from({ length: 16 }, (_, i) => `l${i}="v"`).join(', ')}}`;

describe('strict Loki receiver', () => {
  let loki: StrictLoki;
  beforeAll(async () => {
    loki = await startStrictLoki({ now: () => NOW_MS });
  });
  afterAll(async () => {
    await loki.close();
  });

  it('parses selectors with Go string escapes', () => {
    expect(parseSelector('{a="b", c="d"}')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(parseSelector('{ a = "q\\"uo\\\\te\\n\\u00e9\\x41" }')).toEqual([['a', 'q"uo\\te\né\x41']]);
    expect(parseSelector('{a=`raw\\n`}')).toEqual([['a', 'raw\\n']]);
    expect(parseSelector('{}')).toEqual([]);
    for (const bad of [
      '{a="b"',
      'a="b"',
      '{a=~"b"}',
      '{1a="b"}',
      '{a="\\q"}',
      '{a="b",}',
      '{a.b="c"}',
      '{a="b\nc"}',
      '{a="\\ud800"}',
    ]) {
      expect(() => parseSelector(bad), bad).toThrow();
    }
  });

  const rejections: { name: string; body: () => Buffer; headers?: Record<string, string>; status?: number; message: RegExp }[] = [
    {
      name: 'unparsable selector',
      body: () => proto([{ labels: '{a="b"', entries: [{}] }]),
      message: /^Error parsing labels '\{a="b"'/,
    },
    {
      name: 'invalid label name',
      body: () => proto([{ labels: '{k8s.pod="x"}', entries: [{}] }]),
      message: /Error parsing labels/,
    },
    { name: 'regex matcher', body: () => proto([{ labels: '{a=~"x"}', entries: [{}] }]), message: /Error parsing labels/ },
    {
      name: 'empty label set',
      body: () => proto([{ labels: '{}', entries: [{}] }]),
      message: /at least one label pair is required/,
    },
    {
      name: 'duplicate label names',
      body: () => proto([{ labels: '{a="1", b="2", a="3"}', entries: [{}] }]),
      message: /has duplicate label name: 'a'/,
    },
    {
      name: 'more than 15 labels',
      body: () => proto([{ labels: sixteen, entries: [{}] }]),
      message: /has 16 label names; limit 15/,
    },
    {
      name: 'label value too long',
      body: () => proto([{ labels: `{a="${'x'.repeat(2049)}"}`, entries: [{}] }]),
      message: /has label value too long/,
    },
    {
      name: 'timestamp 0',
      body: () => proto([{ labels: '{a="b"}', entries: [{ s: 0 }] }]),
      message: /has timestamp too old: 1970/,
    },
    {
      name: 'older than 7 days',
      body: () => proto([{ labels: '{a="b"}', entries: [{ s: NOW_S - 8 * 86400 }] }]),
      message: /timestamp too old/,
    },
    {
      name: 'more than 10 minutes ahead',
      body: () => proto([{ labels: '{a="b"}', entries: [{ s: NOW_S + 11 * 60 }] }]),
      message: /timestamp too new/,
    },
    {
      name: 'out of order within a stream',
      body: () =>
        proto([
          {
            labels: '{a="b"}',
            entries: [
              { s: NOW_S, n: 2 },
              { s: NOW_S, n: 1 },
            ],
          },
        ]),
      message: /entry out of order/,
    },
    {
      name: 'out of order across two adapters of one stream',
      body: () =>
        proto([
          { labels: '{a="b", c="d"}', entries: [{ s: NOW_S }] },
          { labels: '{c="d", a="b"}', entries: [{ s: NOW_S - 1 }] },
        ]),
      message: /entry out of order/,
    },
    {
      name: 'line over 256 KB',
      body: () => proto([{ labels: '{a="b"}', entries: [{ line: 'x'.repeat(256 * 1024 + 1) }] }]),
      message: /max entry size '262144' bytes exceeded/,
    },
    {
      name: 'too many structured metadata entries',
      body: () =>
        proto([
          { labels: '{a="b"}', entries: [{ meta: Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`m${i}`, 'v'])) }] },
        ]),
      message: /too many structured metadata labels/,
    },
    {
      name: 'framed snappy',
      body: () => {
        const raw = Buffer.from(PushRequest.encode({ streams: [] }).finish());
        return Buffer.concat([Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]), raw]);
      },
      message: /framed snappy/,
    },
    {
      name: 'protobuf without snappy',
      body: () => Buffer.from(PushRequest.encode({ streams: [{ labels: '{a="b"}', entries: [] }] }).finish()),
      message: /snappy|corrupt/i,
    },
    {
      name: 'JSON with a bad timestamp',
      body: () => Buffer.from(JSON.stringify({ streams: [{ stream: { a: 'b' }, values: [['soon', 'x']] }] })),
      headers: JSON_CT,
      message: /not a number/,
    },
    {
      name: 'JSON with a bad label name',
      body: () => Buffer.from(JSON.stringify({ streams: [{ stream: { 'a.b': 'c' }, values: [[`${NOW_S}000000000`, 'x']] }] })),
      headers: JSON_CT,
      message: /Error parsing labels/,
    },
    {
      name: 'JSON with non-string metadata',
      body: () =>
        Buffer.from(JSON.stringify({ streams: [{ stream: { a: 'b' }, values: [[`${NOW_S}000000000`, 'x', { n: 1 }]] }] })),
      headers: JSON_CT,
      message: /object of strings/,
    },
    {
      name: 'unknown content type',
      body: () => Buffer.from('x'),
      headers: { 'content-type': 'text/plain' },
      status: 415,
      message: /unsupported Content-Type/,
    },
  ];

  it.each(rejections)('rejects $name', async ({ body, headers, status, message }) => {
    const before = loki.lineCount();
    const res = await post(loki, body(), headers ?? PB);
    expect(res.status).toBe(status ?? 400);
    expect(res.text.trim()).toMatch(message);
    expect(loki.lineCount()).toBe(before);
  });

  it('stores a valid protobuf request with labels, lines, timestamps and metadata', async () => {
    const res = await post(
      loki,
      proto([
        {
          labels: '{service_name="pb", k8s_namespace_name="ns\\"1"}',
          entries: [
            { s: NOW_S, n: 1, line: 'one', meta: { trace_id: 'abc', request_id: 'r1' } },
            { s: NOW_S, n: 1, line: 'same time' },
            { s: NOW_S, n: 7, line: 'three' },
          ],
        },
      ]),
      { ...PB, 'x-scope-orgid': 'team-a' },
    );
    expect(res.status).toBe(204);
    const [stream] = loki.streams({ service_name: 'pb' });
    expect(stream.labels).toEqual({ k8s_namespace_name: 'ns"1', service_name: 'pb' });
    expect(stream.tenant).toBe('team-a');
    expect(loki.entries({ service_name: 'pb' }, 'team-a').map((e) => [e.ts, e.line, e.metadata])).toEqual([
      [BigInt(NOW_S) * 1_000_000_000n + 1n, 'one', { trace_id: 'abc', request_id: 'r1' }],
      [BigInt(NOW_S) * 1_000_000_000n + 1n, 'same time', {}],
      [BigInt(NOW_S) * 1_000_000_000n + 7n, 'three', {}],
    ]);
    expect(loki.streams({ service_name: /^p/, k8s_pod_name: undefined })).toHaveLength(1);
    expect(loki.streams({ service_name: 'pb' }, 'team-b')).toHaveLength(0);
  });

  it('accepts JSON and gzip, for both encodings', async () => {
    const json = JSON.stringify({
      streams: [
        {
          stream: { service_name: 'js' },
          values: [
            [`${NOW_S}000000005`, 'j1', { span_id: 's' }],
            [`${NOW_S}000000006`, 'j2'],
          ],
        },
      ],
    });
    expect((await post(loki, Buffer.from(json), JSON_CT)).status).toBe(204);
    expect((await post(loki, gzipSync(json), { ...JSON_CT, 'content-encoding': 'gzip' })).status).toBe(204);
    const pb = proto([{ labels: '{service_name="gz"}', entries: [{ line: 'gzipped' }] }]);
    expect((await post(loki, gzipSync(pb), { ...PB, 'content-encoding': 'gzip' })).status).toBe(204);
    expect(loki.entries({ service_name: 'js' }).map((e) => [e.line, e.metadata])).toEqual([
      ['j1', { span_id: 's' }],
      ['j1', { span_id: 's' }],
      ['j2', {}],
      ['j2', {}],
    ]);
    expect(loki.entries({ service_name: 'gz' }).map((e) => e.line)).toEqual(['gzipped']);
  });

  it('answers scripted 500 and 429 with Retry-After, then validates again', async () => {
    loki.script({ status: 500 }, { status: 429, retryAfter: '3', body: 'Ingestion rate limit exceeded' });
    const body = proto([{ labels: '{service_name="scripted"}', entries: [{}] }]);
    expect((await post(loki, body, PB)).status).toBe(500);
    const limited = await post(loki, body, PB);
    expect(limited).toMatchObject({ status: 429, retryAfter: '3' });
    expect(limited.text).toMatch(/rate limit/);
    expect((await post(loki, body, PB)).status).toBe(204);
    expect(loki.streams({ service_name: 'scripted' })[0].entries).toHaveLength(1);
    expect(loki.requests.slice(-3).map((r) => [r.status, r.scripted])).toEqual([
      [500, true],
      [429, true],
      [204, false],
    ]);
  });

  it('requires a tenant in multi-tenant mode', async () => {
    const mt = await startStrictLoki({ requireTenant: true });
    try {
      const body = proto([{ labels: '{a="b"}', entries: [{}] }]);
      expect((await post(mt, body, PB)).status).toBe(401);
      expect((await post(mt, body, { ...PB, 'X-Scope-OrgID': 't' })).status).toBe(204);
    } finally {
      await mt.close();
    }
  });
});
