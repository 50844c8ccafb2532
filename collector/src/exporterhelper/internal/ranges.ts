/**
 * A set of integers kept as sorted, disjoint, non-adjacent inclusive ranges. The durable queue's
 * acknowledged seqs are almost contiguous (holes only where an older record is still being
 * retried), so this stays a handful of ranges however many records pass through.
 */
export class RangeSet {
  /** Sorted `[from, to]` pairs; never overlapping or touching. */
  readonly ranges: [number, number][] = [];

  constructor(ranges: readonly (readonly [number, number])[] = []) {
    for (const [from, to] of ranges) this.addRange(from, to);
  }

  /** Index of the first range whose `to` is >= n. */
  private lowerBound(n: number): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ranges[mid] as [number, number])[1] < n) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  has(n: number): boolean {
    const r = this.ranges[this.lowerBound(n)];
    return r !== undefined && r[0] <= n;
  }

  add(n: number): void {
    this.addRange(n, n);
  }

  /** Adds every integer in `[from, to]`. */
  addRange(from: number, to: number): void {
    if (to < from) return;
    const i = this.lowerBound(from - 1);
    let lo = from;
    let hi = to;
    let remove = 0;
    // Merge with every range that overlaps or touches [from, to].
    while (i + remove < this.ranges.length) {
      const r = this.ranges[i + remove] as [number, number];
      if (r[0] > hi + 1) break;
      lo = Math.min(lo, r[0]);
      hi = Math.max(hi, r[1]);
      remove++;
    }
    this.ranges.splice(i, remove, [lo, hi]);
  }

  /** Removes every integer below `n`. */
  dropBelow(n: number): void {
    let cut = 0;
    while (cut < this.ranges.length && (this.ranges[cut] as [number, number])[1] < n) cut++;
    if (cut > 0) this.ranges.splice(0, cut);
    const first = this.ranges[0];
    if (first && first[0] < n) first[0] = n;
  }

  /** The first range, if any. */
  first(): [number, number] | undefined {
    return this.ranges[0];
  }
}
