import { describe, expect, it } from 'vitest';
import { seededRandom as rng } from '../../../testing/random.js';
import { CRI, createTimeParser, RFC3339, splitCri } from './container.js';

/** The regex-based parse the position-based one replaces (the reference). */
function referenceTime(s: string): { sec: number; nsec: number } | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  let sec = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
  const z = m[8]!;
  if (z !== 'Z') sec -= (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 3600 + Number(z.slice(4, 6)) * 60);
  return { sec, nsec: m[7] ? Number(`${m[7]}00000000`.slice(0, 9)) : 0 };
}

describe('container operator parsing by position', () => {
  it('parses RFC 3339 times exactly as the pattern, cache hits included', () => {
    const r = rng(1);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T;
    const base = [
      '2024-05-01T10:20:30',
      '2024-05-01T10:20:31',
      '1999-12-31T23:59:59',
      '2024-02-30T25:61:61',
      '2024-05-01t10:20:30',
    ];
    const fracs = ['', '.1', '.123456789', '.1234567890', '.', '.12a', '.000000001'];
    const zones = ['Z', '+02:00', '-05:30', '+0200', 'z', '', 'Z ', '+02:0x'];
    const cases = ['', 'garbage', '2024-05-01T10:20:30', '2024-05-01T10:20:30.5Z\n', '202X-05-01T10:20:30Z'];
    for (let i = 0; i < 3000; i++) cases.push(pick(base) + pick(fracs) + pick(zones));
    const parse = createTimeParser();
    for (const s of cases) {
      const want = referenceTime(s);
      if (want === undefined) expect(() => parse(s), s).toThrow(/is not RFC 3339/);
      else expect(parse(s), s).toEqual(want);
    }
  });

  it('splits CRI lines exactly as the pattern', () => {
    const r = rng(2);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T;
    const times = ['2024-05-01T10:20:30.1Z', 'x', '', 'a\u00a0b', 'a\tb', 'a\u0001b', 'tïme'];
    const seps = [' ', '  ', '\t', ''];
    const streams = ['stdout', 'stderr', 'stdin', 'STDOUT', ''];
    const tags = ['F', 'P', '', 'F\nx', 'x\ty'];
    const logs = ['hello world', '', ' leading', 'multi\nline', '{"msg":"x"}'];
    const cases = ['', ' ', 'x stdout', 'x stdout ', 'x stdout F', 'x stderr F '];
    for (let i = 0; i < 5000; i++) {
      cases.push(pick(times) + pick(seps) + pick(streams) + pick(seps) + pick(tags) + pick(seps) + pick(logs));
    }
    for (const line of cases) {
      const m = CRI.exec(line);
      const got = splitCri(line);
      if (!m) expect(got, JSON.stringify(line)).toBeUndefined();
      else expect({ ...got }, JSON.stringify(line)).toEqual({ time: m[1], stream: m[2], tag: m[3], log: m[4] });
    }
  });
});
