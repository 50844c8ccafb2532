/** Time conversions for OTLP's nanosecond timestamps. */
import Long from 'long';
import type { Int64 } from './types.js';

const NANOS_PER_MILLI = Long.fromNumber(1_000_000, true);

/** Nanoseconds since the epoch to whole milliseconds (exact integer division). */
export function nanosToMillis(nanos: Int64 | null | undefined): number {
  if (nanos === null || nanos === undefined) return 0;
  if (typeof nanos === 'number') return Math.floor(nanos / 1e6);
  if (nanos.unsigned || nanos.high >= 0) {
    // Exact without allocating (Long#div makes several Longs per call, per data point):
    // 2^32 = 4294 * 1e6 + 967296, so ns / 1e6 = hi * 4294 + (hi * 967296 + lo) / 1e6, and
    // hi * 967296 + lo < 2^53.
    const hi = nanos.high >>> 0;
    return hi * 4294 + Math.floor((hi * 967296 + (nanos.low >>> 0)) / 1e6);
  }
  return nanos.div(NANOS_PER_MILLI).toNumber();
}

/** Nanoseconds since the epoch as an exact decimal string (Loki's timestamp format). */
export function nanosToString(nanos: Int64 | null | undefined): string {
  if (nanos === null || nanos === undefined) return '0';
  return typeof nanos === 'number' ? BigInt(Math.trunc(nanos)).toString() : nanos.toString();
}

/** True when a timestamp is unset (zero). */
export function isZeroTime(nanos: Int64 | null | undefined): boolean {
  if (nanos === null || nanos === undefined) return true;
  return typeof nanos === 'number' ? nanos === 0 : nanos.isZero();
}

/** Milliseconds since the epoch to an unsigned nanosecond Long. */
export function millisToNanos(ms: number): Long {
  return Long.fromNumber(Math.trunc(ms), true).mul(NANOS_PER_MILLI);
}

/** The current time in nanoseconds, with sub-millisecond precision from the monotonic clock. */
export function nowNanos(): Long {
  const ns = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
  return Long.fromString(ns.toString(), true);
}
