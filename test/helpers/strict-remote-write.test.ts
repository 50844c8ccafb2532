/**
 * The strict receiver must reject what a real remote-write backend rejects (or should), or the
 * tests that rely on it prove nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWriteRequest } from '../../collector/src/model/remote-write/encode.js';
import { compressBodySync } from '../../collector/src/model/remote-write/snappy.js';
import type { Label, TimeSeries } from '../../collector/src/model/remote-write/types.js';
import { type StrictRemoteWrite, startStrictRemoteWrite } from './strict-remote-write.js';

let rw: StrictRemoteWrite;
beforeAll(async () => {
  rw = await startStrictRemoteWrite();
});
afterAll(() => rw.close());

const HEADERS = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
};

function series(labels: Label[], timestamps: number[]): TimeSeries {
  return { labels, samples: timestamps.map((t) => ({ value: t, timestamp: t })), exemplars: [], histograms: [] };
}

async function post(ts: TimeSeries[], headers: Record<string, string> = HEADERS, body?: Buffer) {
  const res = await fetch(rw.url, {
    method: 'POST',
    headers,
    body: body ?? compressBodySync(encodeWriteRequest({ timeseries: ts, metadata: [] })),
  });
  return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
}

const name = (v: string): Label => ({ name: '__name__', value: v });

describe('strict remote-write receiver', () => {
  it('accepts a well-formed request and stores its samples', async () => {
    const r = await post([series([name('ok_metric'), { name: 'job', value: 'a' }], [1000, 2000])]);
    expect(r.status).toBe(204);
    expect(rw.samplesOf('ok_metric').map((s) => s.timestamp)).toEqual([1000, 2000]);
  });

  it.each([
    ['unsorted labels', [name('m'), { name: 'b', value: '1' }, { name: 'a', value: '1' }], /labels not sorted/],
    ['duplicate label names', [name('m'), { name: 'a', value: '1' }, { name: 'a', value: '2' }], /duplicate label name/],
    ['an invalid metric name', [name('1bad.name')], /invalid metric name/],
    ['an invalid label name', [name('m'), { name: 'http.method', value: 'GET' }], /invalid label name/],
    ['an empty label value', [name('m'), { name: 'a', value: '' }], /empty value/],
    ['no __name__', [{ name: 'job', value: 'x' }], /without __name__/],
  ] as [string, Label[], RegExp][])('rejects %s with 400', async (_what, labels, message) => {
    const r = await post([series(labels, [1])]);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(message);
  });

  it('rejects out-of-order and duplicate timestamps, within a request and across requests, all or nothing', async () => {
    expect((await post([series([name('ord')], [2, 1])])).text).toMatch(/out of order/);
    expect((await post([series([name('ord')], [1, 1])])).text).toMatch(/duplicate sample/);
    expect((await post([series([name('ord')], [5])])).status).toBe(204);
    const r = await post([series([name('fine')], [1]), series([name('ord')], [5])]);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/duplicate sample for timestamp 5/);
    expect(rw.samplesOf('fine')).toEqual([]); // the good series of a rejected request is not stored
  });

  it('rejects bad headers, bad snappy and bad protobuf', async () => {
    const ts = [series([name('h')], [1])];
    expect((await post(ts, { ...HEADERS, 'Content-Encoding': 'gzip' })).text).toMatch(/Content-Encoding/);
    expect((await post(ts, { ...HEADERS, 'Content-Type': 'application/json' })).text).toMatch(/Content-Type/);
    expect((await post(ts, { ...HEADERS, 'X-Prometheus-Remote-Write-Version': '2.0.0' })).text).toMatch(/Version/);
    expect((await post([], HEADERS, Buffer.from('definitely not snappy'))).status).toBe(400);
    expect((await post([], HEADERS, compressBodySync(Buffer.from([0x0a, 0xff, 0xff])))).text).toMatch(/WriteRequest/);
  });

  it('rejects exemplars over the 128-rune label budget', async () => {
    const r = await post([
      {
        ...series([name('ex')], [1]),
        exemplars: [{ labels: [{ name: 'trace_id', value: 'x'.repeat(121) }], value: 1, timestamp: 1 }],
      },
    ]);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/129 runes/);
  });

  it('answers a scripted sequence before validating again', async () => {
    rw.script([500, { status: 429, retryAfter: 1 }, 400]);
    const ts = [series([name('scripted')], [1])];
    expect((await post(ts)).status).toBe(500);
    const throttled = await post(ts);
    expect([throttled.status, throttled.retryAfter]).toEqual([429, '1']);
    expect((await post(ts)).status).toBe(400);
    expect((await post(ts)).status).toBe(204);
    expect(rw.samplesOf('scripted')).toHaveLength(1);
  });
});
