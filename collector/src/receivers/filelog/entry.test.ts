import Long from 'long';
import { describe, expect, it } from 'vitest';
import { newEntry, toLogsData, toNanos } from './entry.js';

const NS = Long.fromNumber(1e9, true);
const reference = (sec: number, nsec: number) => Long.fromNumber(sec, true).mul(NS).add(Long.fromNumber(nsec, true));

describe('filelog entries', () => {
  it('turns seconds and nanoseconds into the exact 64-bit nanosecond count', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const cases: [number, number][] = [
      [0, 0],
      [0, 999_999_999],
      [1, 0],
      [1_700_000_000, 123_456_789],
      [4_294_967_295, 999_999_999],
      [2 ** 33 + 17, 5],
    ];
    for (let i = 0; i < 2000; i++) cases.push([Math.floor(rand() * 2 ** 34), Math.floor(rand() * 1e9)]);
    for (const [sec, nsec] of cases) expect(toNanos(sec, nsec).toString()).toBe(reference(sec, nsec).toString());
    expect(toNanos(-5, 42).toString()).toBe('42');
  });

  it('groups entries by resource whether or not their resource objects are shared', () => {
    const a = newEntry('one');
    a.resource = { 'k8s.pod.name': 'p1', 'k8s.namespace.name': 'shop' };
    const b = newEntry('two');
    b.resource = { 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'p1' }; // same fields, other order
    const c = newEntry('three');
    c.resource = { 'k8s.pod.name': 'p2', 'k8s.namespace.name': 'shop' };
    const d = newEntry('four');
    d.resource = { 'k8s.pod.name': 'p1', 'k8s.namespace.name': 'shop' };
    const e = newEntry('five');
    e.resource = { 'k8s.pod.name': 'p1' }; // a subset is another resource
    const data = toLogsData([a, b, c, d, e], Long.UZERO);
    const bodies = data.resourceLogs.map((rl) => rl.scopeLogs.flatMap((s) => s.logRecords.map((r) => r.body?.stringValue)));
    expect(bodies).toEqual([['one', 'two', 'four'], ['three'], ['five']]);
    expect(data.resourceLogs[2]!.resource!.attributes).toEqual([{ key: 'k8s.pod.name', value: { stringValue: 'p1' } }]);
  });
});
