import type protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { messageType } from '../../model/proto-root.js';
import { seededRandom as prng } from '../../testing/random.js';
import type { LokiEntry, MetadataPair } from './convert.js';
import type { PlannedRequest, PlannedStream } from './encode.js';
import { encodePushRequest } from './push-encode.js';

const PushRequest = messageType('logproto.PushRequest');

/** The reference: protobufjs' encoding of the message the exporter used to build (the encoder before push-encode.ts). */
function referenceEncode(plan: PlannedRequest): Uint8Array {
  const streams = plan.streams.map((s) => ({
    labels: s.selector,
    entries: s.entries.map((e) => ({
      timestamp: { seconds: e.sec, nanos: e.nanos },
      line: e.line,
      structuredMetadata: e.meta.concat(e.shared),
    })),
  }));
  return PushRequest.encode({ streams } as unknown as protobuf.Message).finish();
}

/** What decoding must give back (proto3 defaults filled in). */
function expected(plan: PlannedRequest) {
  return {
    streams: plan.streams.map((s) => ({
      labels: s.selector,
      hash: 0,
      entries: s.entries.map((e) => ({
        timestamp: { seconds: e.sec, nanos: e.nanos },
        line: e.line,
        structuredMetadata: e.meta.concat(e.shared).map((m) => ({ name: m.name, value: m.value })),
      })),
    })),
  };
}

function decode(bytes: Uint8Array) {
  return PushRequest.toObject(PushRequest.decode(bytes), { longs: Number, defaults: true, arrays: true });
}

// 1-, 2-, 3- and 4-byte UTF-8 (the last ones surrogate pairs in UTF-16).
const CHARS = [
  'a',
  'Z',
  '0',
  ' ',
  '"',
  '{',
  '\n',
  '\t',
  '\u007f',
  'é',
  'ñ',
  'Ω',
  'ß',
  '\u07ff',
  '€',
  '中',
  '✓',
  '\u0800',
  '\uffff',
  '😀',
  '🚀',
  '𝄞',
  '\u{10ffff}',
];
const ASCII_LINE =
  '{"level":30,"time":1700000000000,"pid":7,"hostname":"web-7d9f8b6c5-x2x","reqId":"req-1","msg":"request completed"}';

function generator(seed: number) {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;

  function text(maxLen: number): string {
    const kind = int(4);
    const len = int(maxLen + 1);
    if (kind === 0) return ASCII_LINE.repeat(Math.ceil(len / ASCII_LINE.length) || 1).slice(0, len);
    let s = '';
    const unicode = kind === 3 ? CHARS : CHARS.slice(0, 9);
    while (s.length < len) s += rnd() < 0.7 ? String.fromCharCode(97 + int(26)) : pick(unicode);
    return s;
  }

  /** Lengths picked so that string length varints take 1, 2 and 3 bytes. */
  function line(): string {
    const r = rnd();
    if (r < 0.1) return '';
    if (r < 0.6) return text(120);
    if (r < 0.9) return text(600);
    if (r < 0.97) return text(17000);
    return 'x'.repeat(16384 + int(2000)) + pick(CHARS);
  }

  function pairs(max: number): MetadataPair[] {
    return Array.from({ length: int(max + 1) }, () => ({
      name: rnd() < 0.05 ? '' : text(20),
      value: rnd() < 0.1 ? '' : rnd() < 0.05 ? text(300) : text(40),
    }));
  }

  function seconds(): number {
    const r = rnd();
    if (r < 0.15) return 0;
    if (r < 0.3) return int(128);
    if (r < 0.6) return 1_700_000_000 + int(1_000_000);
    if (r < 0.8) return 2 ** 31 + int(2 ** 20); // past int32
    if (r < 0.95) return 2 ** 32 + int(2 ** 34); // the largest a uint64 of nanoseconds gives is ~1.8e10
    return pick([2 ** 48 + int(2 ** 40), 2 ** 49 + int(2 ** 52), Number.MAX_SAFE_INTEGER]); // 7- and 8-byte varints
  }

  function nanos(): number {
    const r = rnd();
    if (r < 0.25) return 0;
    if (r < 0.45) return 999_999_999;
    if (r < 0.6) return int(128);
    return int(1_000_000_000);
  }

  function plan(): PlannedRequest {
    // A few shared arrays, reused by identity as the mapper does per resource + scope.
    const sharedPool: MetadataPair[][] = [[], ...Array.from({ length: 1 + int(3) }, () => pairs(5))];
    const streams: PlannedStream[] = [];
    let lines = 0;
    const streamCount = 1 + int(5);
    for (let s = 0; s < streamCount; s++) {
      const entries: LokiEntry[] = [];
      let shared = pick(sharedPool);
      const n = int(25);
      for (let i = 0; i < n; i++) {
        if (rnd() < 0.3) shared = pick(sharedPool); // runs of the same array, and returns to an earlier one
        const meta = rnd() < 0.4 ? [] : pairs(4);
        entries.push({ sec: seconds(), nanos: nanos(), line: line(), meta, shared, bytes: 0 });
      }
      lines += n;
      const selector = rnd() < 0.03 ? '' : `{service_name="${text(30).replaceAll('"', '')}", k8s_namespace_name="prod"}`;
      streams.push({ selector, labels: [], entries });
    }
    return { tenant: undefined, streams, lines, bytes: 0 };
  }

  return { plan };
}

function entry(partial: Partial<LokiEntry>): LokiEntry {
  return { sec: 1_700_000_000, nanos: 5, line: 'hello', meta: [], shared: [], bytes: 0, ...partial };
}

function single(...entries: LokiEntry[]): PlannedRequest {
  return { tenant: undefined, streams: [{ selector: '{a="b"}', labels: [], entries }], lines: entries.length, bytes: 0 };
}

describe('hand-written logproto.PushRequest encoder', () => {
  it('writes the bytes protobufjs writes, on random plans, and they decode back to the input', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const plan = generator(seed).plan();
      const ours = encodePushRequest(plan);
      const reference = referenceEncode(plan);
      if (Buffer.compare(Buffer.from(ours), Buffer.from(reference)) !== 0) {
        let at = 0;
        while (ours[at] === reference[at]) at++;
        expect.fail(`seed ${seed}: ${ours.length} bytes, protobufjs wrote ${reference.length}; first difference at byte ${at}`);
      }
      expect(decode(ours), `seed ${seed}`).toEqual(expected(plan));
    }
  });

  it('leaves proto3 defaults out as protobufjs does, but always writes the timestamp', () => {
    const cases: [string, LokiEntry][] = [
      ['zero time', entry({ sec: 0, nanos: 0 })],
      ['zero seconds', entry({ sec: 0, nanos: 999_999_999 })],
      ['zero nanos', entry({ sec: 2 ** 31, nanos: 0 })],
      ...[2 ** 35 - 1, 2 ** 35, 2 ** 42, 2 ** 49, Number.MAX_SAFE_INTEGER].map((sec): [string, LokiEntry] => [
        `${sec} s`,
        entry({ sec }),
      ]),
      ['empty line', entry({ line: '' })],
      ['empty metadata name and value', entry({ meta: [{ name: '', value: '' }], shared: [{ name: 'k', value: '' }] })],
      ['long line', entry({ line: 'é'.repeat(9000) })],
    ];
    for (const [name, e] of cases) {
      expect(Buffer.from(encodePushRequest(single(e))).toString('hex'), name).toBe(
        Buffer.from(referenceEncode(single(e))).toString('hex'),
      );
    }
    // Entry with nothing but a zero timestamp: entries { timestamp {} }.
    const empty = entry({ sec: 0, nanos: 0, line: '' });
    expect(Buffer.from(encodePushRequest(single(empty))).toString('hex')).toBe('0a0d0a077b613d2262227d12020a00');
    expect(encodePushRequest({ tenant: undefined, streams: [], lines: 0, bytes: 0 })).toHaveLength(0);
  });

  it('copies a shared metadata run once encoded, and re-encodes an array met again later', () => {
    const a: MetadataPair[] = [
      { name: 'host_name', value: 'h1' },
      { name: 'scope_name', value: '@stitch/instrumentation' },
    ];
    const b: MetadataPair[] = [{ name: 'x', value: 'ü'.repeat(200) }];
    const plan = single(
      entry({ shared: a }),
      entry({ shared: a, meta: [{ name: 'rid', value: 'r1' }] }),
      entry({ shared: b }),
      entry({ shared: [] }),
      entry({ shared: a }),
      entry({ shared: b }),
      entry({ shared: b }),
    );
    plan.streams.push({ selector: '{a="c"}', labels: [], entries: [entry({ shared: b }), entry({ shared: a })] });
    expect(Buffer.compare(encodePushRequest(plan), Buffer.from(referenceEncode(plan)))).toBe(0);
    expect(decode(encodePushRequest(plan))).toEqual(expected(plan));
  });

  it('writes a lone surrogate as U+FFFD (valid UTF-8), with the length protobufjs gives it', () => {
    const plan = single(entry({ line: 'a\ud800b', meta: [{ name: 'k', value: `${'x'.repeat(40)}\udc00` }] }));
    const ours = encodePushRequest(plan);
    expect(ours.length).toBe(referenceEncode(plan).length);
    const msg = decode(ours);
    expect(msg.streams[0].entries[0].line).toBe('a\ufffdb');
    expect(msg.streams[0].entries[0].structuredMetadata[0].value).toBe(`${'x'.repeat(40)}\ufffd`);
  });
});
