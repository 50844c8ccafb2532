/**
 * A work queue with client-go's semantics (k8s.io/client-go/util/workqueue: Type, delaying queue,
 * rate-limiting queue), for TypeScript operators, which have none:
 *
 * - deduplication: an item added while it waits is stored once; an item added while it is being
 *   processed is queued again when `done()` is called, never handed to two workers at once;
 * - `addAfter` keeps the earliest ready time per item; `addRateLimited` asks the rate limiter
 *   (default: client-go's controller limiter) and counts a retry; `forget` clears the backoff;
 * - `get()` resolves with the next item, or undefined once shut down and drained;
 * - client-go's `workqueue_*` metrics with labels `name` and `controller` (controller-runtime's
 *   provider): depth, adds, queue and work duration, retries, unfinished work, longest running.
 *
 * Memory is bounded by the number of distinct keys (Kubernetes objects), as in client-go.
 */
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

/** client-go's workqueue duration buckets: prometheus.ExponentialBuckets(10e-9, 10, 12), in seconds. */
export const WORKQUEUE_DURATION_BUCKETS: readonly number[] = Object.freeze(
  Array.from({ length: 12 }, (_, i) => Number(`1e${i - 8}`)),
);

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions<T> {
  /** The queue's name: the `name` (and `controller`) label of its metrics. */
  name: string;
  /** Default: client-go's controller rate limiter (5 ms..1000 s per item, 10 qps / 100 burst overall). */
  rateLimiter?: RateLimiter<T>;
  /** Where the `workqueue_*` metrics go; none when absent. */
  meter?: Meter;
}

/** The client-go style work queue; see the module comment. */
export class WorkQueue<T = string> {
  readonly name: string;
  private readonly items: T[] = [];
  private head = 0;
  private readonly dirty = new Set<T>();
  private readonly processing = new Set<T>();
  private readonly waiters: ((item: T | undefined) => void)[] = [];
  private readonly delayed = new Map<T, { readyAt: number; timer: NodeJS.Timeout }>();
  private readonly addedAt = new Map<T, number>();
  private readonly startedAt = new Map<T, number>();
  private readonly limiter: RateLimiter<T>;
  private shuttingDown = false;
  private readonly m: QueueInstruments | undefined;

  constructor(options: WorkQueueOptions<T>) {
    this.name = options.name;
    this.limiter = options.rateLimiter ?? defaultControllerRateLimiter<T>();
    this.m = options.meter === undefined ? undefined : new QueueInstruments(options.meter, this);
  }

  /** Items waiting (not counting those being processed and not re-added). */
  get length(): number {
    return this.items.length - this.head;
  }

  /** `workqueue_depth`: items added and not yet handed out. */
  get depth(): number {
    return this.dirty.size;
  }

  /** True after {@link shutDown}. */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Marks `item` as needing processing. Ignored after shutdown. */
  add(item: T): void {
    if (this.shuttingDown || this.dirty.has(item)) return;
    this.m?.adds.add(1, this.m.attrs);
    if (!this.addedAt.has(item)) this.addedAt.set(item, performance.now());
    this.dirty.add(item);
    if (this.processing.has(item)) return; // re-queued by done()
    const waiter = this.waiters.shift();
    if (waiter !== undefined) this.handOut(item, waiter);
    else this.items.push(item);
  }

  /** Adds `item` after `delayMs`; an earlier pending ready time for the same item wins. */
  addAfter(item: T, delayMs: number): void {
    if (this.shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(item);
      return;
    }
    const readyAt = performance.now() + delayMs;
    const pending = this.delayed.get(item);
    if (pending !== undefined) {
      if (pending.readyAt <= readyAt) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.delayed.delete(item);
      this.add(item);
    }, delayMs);
    this.delayed.set(item, { readyAt, timer });
  }

  /** Adds `item` after the rate limiter's delay and counts a retry (`workqueue_retries_total`). */
  addRateLimited(item: T): void {
    if (this.shuttingDown) return;
    this.m?.retries.add(1, this.m.attrs);
    this.addAfter(item, this.limiter.when(item));
  }

  /** Clears `item`'s backoff history (call after a success or a terminal error). */
  forget(item: T): void {
    this.limiter.forget(item);
  }

  /** How many rate-limited retries `item` has had since the last forget. */
  numRequeues(item: T): number {
    return this.limiter.numRequeues(item);
  }

  /** The next item to process; undefined once shut down and drained. Call {@link done} after processing it. */
  get(): Promise<T | undefined> {
    if (this.length > 0) {
      const item = this.items[this.head]!;
      this.items[this.head++] = undefined as T;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve(this.take(item));
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `item` as processed; if it was added meanwhile, it is queued again. */
  done(item: T): void {
    if (!this.processing.delete(item)) return;
    const started = this.startedAt.get(item);
    this.startedAt.delete(item);
    if (started !== undefined) this.m?.work.record((performance.now() - started) / 1000, this.m.attrs);
    if (this.dirty.has(item)) {
      const waiter = this.waiters.shift();
      if (waiter !== undefined) this.handOut(item, waiter);
      else this.items.push(item);
    }
  }

  /** Stops accepting items, cancels pending delayed adds and releases idle getters. Queued items can still be drained. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** Seconds spent so far by items being processed: [sum, longest] (for the gauges). */
  unfinishedWork(): [number, number] {
    const now = performance.now();
    let sum = 0;
    let longest = 0;
    for (const t of this.startedAt.values()) {
      const s = (now - t) / 1000;
      sum += s;
      if (s > longest) longest = s;
    }
    return [sum, longest];
  }

  private take(item: T): T {
    this.processing.add(item);
    this.dirty.delete(item);
    const now = performance.now();
    const added = this.addedAt.get(item);
    this.addedAt.delete(item);
    if (added !== undefined) this.m?.latency.record((now - added) / 1000, this.m.attrs);
    this.startedAt.set(item, now);
    return item;
  }

  private handOut(item: T, waiter: (item: T) => void): void {
    waiter(this.take(item));
  }
}

/** The `workqueue_*` instruments of one queue. */
class QueueInstruments {
  readonly attrs: Attributes;
  readonly adds;
  readonly retries;
  readonly latency: Histogram;
  readonly work: Histogram;

  constructor(meter: Meter, queue: { readonly name: string; readonly depth: number; unfinishedWork(): [number, number] }) {
    this.attrs = Object.freeze({ name: queue.name, controller: queue.name });
    const advice = { explicitBucketBoundaries: [...WORKQUEUE_DURATION_BUCKETS] };
    this.adds = meter.createCounter('workqueue_adds_total', { description: 'Total number of adds handled by workqueue' });
    this.retries = meter.createCounter('workqueue_retries_total', {
      description: 'Total number of retries handled by workqueue',
    });
    this.latency = meter.createHistogram('workqueue_queue_duration_seconds', {
      description: 'How long in seconds an item stays in workqueue before being requested',
      unit: 's',
      advice,
    });
    this.work = meter.createHistogram('workqueue_work_duration_seconds', {
      description: 'How long in seconds processing an item from workqueue takes.',
      unit: 's',
      advice,
    });
    const depth = meter.createObservableGauge('workqueue_depth', { description: 'Current depth of workqueue' });
    const unfinished = meter.createObservableGauge('workqueue_unfinished_work_seconds', {
      description: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration.",
      unit: 's',
    });
    const longest = meter.createObservableGauge('workqueue_longest_running_processor_seconds', {
      description: 'How many seconds has the longest running processor for workqueue been running.',
      unit: 's',
    });
    meter.addBatchObservableCallback(
      (r) => {
        const [sum, max] = queue.unfinishedWork();
        r.observe(depth, queue.depth, this.attrs);
        r.observe(unfinished, sum, this.attrs);
        r.observe(longest, max, this.attrs);
      },
      [depth, unfinished, longest],
    );
  }
}
