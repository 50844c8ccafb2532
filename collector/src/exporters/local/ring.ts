/**
 * A fixed-capacity ring buffer: pushing onto a full ring overwrites the oldest item. The local
 * store keeps its spans and log lines in these, so memory is bounded by item count whatever the
 * input rate.
 */
export class Ring<T> {
  private readonly items: (T | undefined)[] = [];
  /** Index of the oldest item. */
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0)
      throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
  }

  /** Items held. */
  get size(): number {
    return this.count;
  }

  /** Appends `item`; returns the item it overwrote when the ring was full. */
  push(item: T): T | undefined {
    if (this.count < this.capacity) {
      const i = (this.head + this.count) % this.capacity;
      // Grow lazily: an idle collector does not hold `capacity` empty slots.
      if (i === this.items.length) this.items.push(item);
      else this.items[i] = item;
      this.count++;
      return undefined;
    }
    const evicted = this.items[this.head];
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
    return evicted;
  }

  /** The newest item. */
  newest(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.head + this.count - 1) % this.capacity];
  }

  /** Replaces the newest item (or pushes when empty). */
  replaceNewest(item: T): void {
    if (this.count === 0) this.push(item);
    else this.items[(this.head + this.count - 1) % this.capacity] = item;
  }

  /** The oldest item. */
  oldest(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** Removes the oldest item. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  /** Removes oldest items while `pred` holds; returns how many went. */
  dropWhile(pred: (item: T) => boolean): number {
    let n = 0;
    while (this.count > 0 && pred(this.items[this.head] as T)) {
      this.shift();
      n++;
    }
    return n;
  }

  /** Newest first. */
  *newestFirst(): Generator<T> {
    for (let k = this.count - 1; k >= 0; k--) yield this.items[(this.head + k) % this.capacity] as T;
  }

  /** Oldest first, as an array (snapshots). */
  toArray(): T[] {
    const out: T[] = new Array(this.count);
    for (let k = 0; k < this.count; k++) out[k] = this.items[(this.head + k) % this.capacity] as T;
    return out;
  }

  /** Calls `fn` on every item, oldest first (no allocation). */
  forEach(fn: (item: T) => void): void {
    for (let k = 0; k < this.count; k++) fn(this.items[(this.head + k) % this.capacity] as T);
  }
}
