import { gunzipSync } from 'node:zlib';
import snappy from 'snappy';
import { describe, expect, it } from 'vitest';
import { messageType } from '../../model/proto-root.js';
import { lokiConfigSchema } from './config.js';
import { createLogsMapper, nanosString } from './convert.js';
import { encodeJson, encodeRequest, planRequests } from './encode.js';
import { attrs, otlpLogs } from './testdata/logs.js';

const mapper = createLogsMapper(lokiConfigSchema.parse({ endpoint: 'http://loki:3100/loki/api/v1/push' }));
const ns = (n: number) => (1_700_000_000_000_000_000n + BigInt(n)).toString();

describe('Loki push encoding', () => {
  it('sorts entries by timestamp within each stream, keeping arrival order for ties', () => {
    const converted = mapper.convert(
      otlpLogs([
        {
          resource: { 'service.name': 'a' },
          records: [
            { timeUnixNano: ns(30), body: { stringValue: 'third' } },
            { timeUnixNano: ns(10), body: { stringValue: 'first' } },
            { timeUnixNano: ns(20), body: { stringValue: 'second-a' } },
            { timeUnixNano: ns(20), body: { stringValue: 'second-b' } },
          ],
        },
        { resource: { 'service.name': 'b' }, records: [{ timeUnixNano: ns(5), body: { stringValue: 'b' } }] },
        { resource: { 'service.name': 'a' }, records: [{ timeUnixNano: ns(15), body: { stringValue: 'between' } }] },
      ]),
    );
    const [req] = planRequests(converted, 1 << 20);
    expect(req.streams.map((s) => [s.selector, s.entries.map((e) => e.line)])).toEqual([
      ['{service_name="a"}', ['first', 'between', 'second-a', 'second-b', 'third']],
      ['{service_name="b"}', ['b']],
    ]);
    expect(req.lines).toBe(6);
  });

  it('splits a batch into requests bounded by bytes, a stream continuing in order', () => {
    const records = Array.from({ length: 300 }, (_, i) => ({
      timeUnixNano: ns(i),
      body: { stringValue: `line ${i} ${'x'.repeat(90)}` },
    }));
    const converted = mapper.convert(
      otlpLogs([
        { resource: { 'service.name': 'big' }, records },
        { resource: { 'service.name': 'small' }, records: records.slice(0, 10) },
      ]),
    );
    const max = 8 * 1024;
    const requests = planRequests(converted, max);
    expect(requests.length).toBeGreaterThan(3);
    for (const r of requests) {
      expect(r.bytes).toBeLessThanOrEqual(max);
      const actual = Buffer.byteLength(encodeJson(r));
      expect(actual).toBeLessThanOrEqual(max * 1.1); // the estimate tracks the real size
    }
    const big = requests.flatMap((r) => r.streams.filter((s) => s.selector === '{service_name="big"}').flatMap((s) => s.entries));
    expect(big.map((e) => e.nanos)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(requests.reduce((n, r) => n + r.lines, 0)).toBe(310);
  });

  it('gives an entry larger than the limit a request of its own', () => {
    const converted = mapper.convert(
      otlpLogs([
        {
          resource: { 'service.name': 'x' },
          records: [
            { timeUnixNano: ns(1), body: { stringValue: 'small' } },
            { timeUnixNano: ns(2), body: { stringValue: 'y'.repeat(5000) } },
            { timeUnixNano: ns(3), body: { stringValue: 'small' } },
          ],
        },
      ]),
    );
    expect(planRequests(converted, 2048).map((r) => r.lines)).toEqual([1, 1, 1]);
  });

  it('encodes logproto.PushRequest with block snappy', async () => {
    const converted = mapper.convert(
      otlpLogs([
        {
          resource: { 'service.name': 'pb', 'host.name': 'h1' },
          records: [{ timeUnixNano: ns(7), body: { stringValue: 'hello' }, attributes: attrs({ request_id: 'r1' }) }],
        },
      ]),
    );
    const encoded = await encodeRequest(planRequests(converted, 1 << 20)[0], { encoding: 'protobuf', gzip: false });
    expect(encoded).toMatchObject({ contentType: 'application/x-protobuf', contentEncoding: undefined, lines: 1 });
    expect(encoded.body[0]).not.toBe(0xff); // not the framed format's stream identifier
    const raw = snappy.uncompressSync(encoded.body, { asBuffer: true }) as Buffer;
    const PushRequest = messageType('logproto.PushRequest');
    const msg = PushRequest.toObject(PushRequest.decode(raw), { longs: String });
    expect(msg).toEqual({
      streams: [
        {
          labels: '{service_name="pb"}',
          entries: [
            {
              timestamp: { seconds: '1700000000', nanos: 7 },
              line: 'hello',
              structuredMetadata: [
                { name: 'request_id', value: 'r1' },
                { name: 'host_name', value: 'h1' },
              ],
            },
          ],
        },
      ],
    });
  });

  it("encodes Loki's JSON push format, optionally gzipped", async () => {
    const converted = mapper.convert(
      otlpLogs([
        {
          resource: { 'service.name': 'js' },
          records: [
            { timeUnixNano: ns(9), body: { stringValue: 'a' }, attributes: attrs({ rid: 'r' }) },
            { timeUnixNano: ns(10), body: { stringValue: 'b' } },
          ],
        },
      ]),
    );
    const plan = planRequests(converted, 1 << 20)[0];
    const encoded = await encodeRequest(plan, { encoding: 'json', gzip: true });
    expect(encoded).toMatchObject({ contentType: 'application/json', contentEncoding: 'gzip' });
    expect(JSON.parse(gunzipSync(encoded.body).toString())).toEqual({
      streams: [
        {
          stream: { service_name: 'js' },
          values: [
            ['1700000000000000009', 'a', { rid: 'r' }],
            ['1700000000000000010', 'b'],
          ],
        },
      ],
    });
  });

  it('writes nanoseconds as Loki wants them', () => {
    expect(nanosString(0, 5)).toBe('5');
    expect(nanosString(1, 5)).toBe('1000000005');
    expect(nanosString(1700000000, 123456789)).toBe('1700000000123456789');
  });
});
