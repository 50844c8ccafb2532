/**
 * A base-2 exponential histogram (OTLP ExponentialHistogram) for positive values: starts at the
 * finest scale (20) and halves the resolution (scale − 1) whenever the buckets in use would span
 * more than `maxSize` indexes, as the OpenTelemetry SDKs do. Values ≤ 0 go to the zero bucket.
 * Written by hand: no maintained JavaScript package produces OTLP exponential buckets.
 */
const MAX_SCALE = 20;
const MIN_SCALE = -10;

/** The histogram state of one series. */
export class ExponentialHistogram {
  scale = MAX_SCALE;
  zeroCount = 0;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  private readonly buckets = new Map<number, number>();
  private lo = 0;
  private hi = -1;

  constructor(private readonly maxSize: number) {}

  /** Bucket index of `v` (> 0) at `scale`: bucket i holds (base^i, base^(i+1)], base = 2^(2^-scale). */
  static indexOf(v: number, scale: number): number {
    return Math.ceil(Math.log2(v) * 2 ** scale) - 1;
  }

  record(v: number): void {
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (!(v > 0)) {
      this.zeroCount++;
      return;
    }
    let i = ExponentialHistogram.indexOf(v, this.scale);
    if (this.hi < this.lo) {
      this.lo = this.hi = i;
    } else {
      const lo = Math.min(this.lo, i);
      const hi = Math.max(this.hi, i);
      let shift = 0;
      while ((hi >> shift) - (lo >> shift) + 1 > this.maxSize && this.scale - shift > MIN_SCALE) shift++;
      if (shift > 0) {
        this.downscale(shift);
        i = ExponentialHistogram.indexOf(v, this.scale);
      }
      this.lo = Math.min(this.lo, i);
      this.hi = Math.max(this.hi, i);
    }
    this.buckets.set(i, (this.buckets.get(i) ?? 0) + 1);
  }

  /** Offset and dense bucket counts of the positive range. */
  positive(): { offset: number; bucketCounts: number[] } {
    if (this.hi < this.lo) return { offset: 0, bucketCounts: [] };
    const counts = new Array<number>(this.hi - this.lo + 1).fill(0);
    for (const [i, n] of this.buckets) counts[i - this.lo] += n;
    return { offset: this.lo, bucketCounts: counts };
  }

  private downscale(shift: number): void {
    const merged = new Map<number, number>();
    for (const [i, n] of this.buckets) merged.set(i >> shift, (merged.get(i >> shift) ?? 0) + n);
    this.buckets.clear();
    for (const [i, n] of merged) this.buckets.set(i, n);
    this.lo >>= shift;
    this.hi >>= shift;
    this.scale -= shift;
  }
}
