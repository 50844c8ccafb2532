import Long from 'long';
import { describe, expect, it } from 'vitest';
import { millisToNanos, nanosToMillis } from './time.js';

describe('nanosToMillis', () => {
  it('divides exactly, as BigInt does, across the whole unsigned and signed 64-bit range', () => {
    const values = [
      0n,
      1n,
      999_999n,
      1_000_000n,
      1_700_000_000_123_456_789n,
      2n ** 63n - 1n,
      2n ** 64n - 1n,
      4_294_967_295_999_999n,
    ];
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      values.push((BigInt(seed) << 33n) ^ BigInt((seed * 7919) % 2 ** 31));
    }
    for (const v of values) {
      expect(nanosToMillis(Long.fromString(v.toString(), true))).toBe(Number(v / 1_000_000n));
      const signed = Long.fromString(BigInt.asIntN(64, v).toString(), false);
      expect(nanosToMillis(signed)).toBe(signed.div(1_000_000).toNumber());
    }
    expect(nanosToMillis(millisToNanos(1_700_000_000_123))).toBe(1_700_000_000_123);
  });
});
