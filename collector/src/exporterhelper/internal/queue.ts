/**
 * The sending queue's shared mechanics: capacity in the configured sizer, refusing or waiting when
 * full, handing entries to consumers in order, and re-offering an entry that must be sent again.
 * `MemoryQueue` keeps the batches themselves; `DurableQueue` (./durable-queue.ts) keeps them in
 * a segment log.
 */
import { errors } from '../../errors.js';
import type { Signal, SignalData } from '../../model/types.js';

/** How queue capacity is measured (`sending_queue.sizer`). */
export type SizerType = 'requests' | 'items' | 'bytes';

/** One queued request. */
export interface QueueEntry<S extends Signal> {
  /** Queue order: consumers get entries in ascending `order`. */
  readonly order: number;
  /** The data; a durable entry loads it from disk when it is taken. */
  batch: SignalData[S] | undefined;
  readonly items: number;
  /** Encoded (protobuf) size; 0 when nobody needs it (memory queue, non-bytes sizer). */
  readonly bytes: number;
  readonly enqueuedAtMs: number;
  /** Came from disk at start-up, written by an earlier run. */
  readonly replayed: boolean;
  /** `wait_for_result`: settles the caller's consume(). */
  onResult?: (error?: unknown) => void;
}

/** What a queue tells its consumers when an entry was handled. */
export type Settlement = 'done' | 'requeue';

/** Sizes in every unit the queue tracks. */
export interface QueueSizes {
  requests: number;
  items: number;
  bytes: number;
}

interface Waiter {
  need: number;
  resolve(): void;
  reject(err: unknown): void;
}

/** Capacity and hand-out logic common to the in-memory and the durable queue. */
export abstract class BaseQueue<S extends Signal> {
  /** Entries ready to be taken, sorted by `order`, from index `head`. */
  private ready: QueueEntry<S>[] = [];
  private head = 0;
  private readonly takers: ((e: QueueEntry<S> | undefined) => void)[] = [];
  private readonly waiters: Waiter[] = [];
  /** Everything not settled yet (ready + in flight + being written), in sizer units. */
  protected readonly used: QueueSizes = { requests: 0, items: 0, bytes: 0 };
  protected intakeClosed = false;
  private takingStopped = false;
  private nextOrder = 0;

  constructor(
    protected readonly componentId: string,
    protected readonly sizer: SizerType,
    protected readonly capacity: number,
    private readonly blockOnOverflow: boolean,
  ) {}

  /** Size of an entry in the configured sizer's unit. */
  protected sizeOf(items: number, bytes: number): number {
    return this.sizer === 'requests' ? 1 : this.sizer === 'items' ? items : bytes;
  }

  /** The size in `sizer` units currently held. */
  protected usedInSizer(): number {
    return this.used[this.sizer];
  }

  /**
   * Reserves room for an entry: resolves at once when it fits; otherwise refuses with
   * STITCH_ERR_QUEUE_FULL (retryable), or waits for room with `block_on_overflow`.
   * An entry bigger than the whole queue is refused permanently: it can never fit.
   */
  protected async reserve(items: number, bytes: number, extraCheck?: () => string | undefined): Promise<void> {
    if (this.intakeClosed) throw errors.STITCH_ERR_SHUTDOWN([this.componentId]);
    const need = this.sizeOf(items, bytes);
    if (need > this.capacity) {
      throw errors.STITCH_ERR_QUEUE_FULL(
        [this.componentId, `one request of ${need} ${this.sizer} is larger than queue_size ${this.capacity}`],
        { retryable: false },
      );
    }
    const why = () =>
      this.usedInSizer() + need > this.capacity ? `${this.usedInSizer()} of ${this.capacity} ${this.sizer} used` : extraCheck?.();
    let reason = why();
    while (reason !== undefined) {
      if (!this.blockOnOverflow) throw errors.STITCH_ERR_QUEUE_FULL([this.componentId, reason]);
      await new Promise<void>((resolve, reject) => this.waiters.push({ need, resolve, reject }));
      reason = why();
    }
    this.used.requests += 1;
    this.used.items += items;
    this.used.bytes += bytes;
  }

  /** Gives back the room an entry held (after it was settled or failed to be written). */
  protected release(items: number, bytes: number): void {
    this.used.requests -= 1;
    this.used.items -= items;
    this.used.bytes -= bytes;
    // Wake blocked producers in arrival order; each re-checks for room itself.
    const woken = this.waiters.splice(0);
    for (const w of woken) w.resolve();
  }

  /** Assigns the next order number. */
  protected order(): number {
    return this.nextOrder++;
  }

  /** Makes an entry available to consumers (in `order` position). */
  protected push(entry: QueueEntry<S>): void {
    const taker = this.takers.shift();
    if (taker) {
      taker(entry);
      return;
    }
    const last = this.ready[this.ready.length - 1];
    if (!last || last.order < entry.order || this.ready.length === this.head) {
      this.ready.push(entry);
      return;
    }
    // A requeued entry goes back before newer ones (binary search from head).
    let lo = this.head;
    let hi = this.ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ready[mid] as QueueEntry<S>).order < entry.order) lo = mid + 1;
      else hi = mid;
    }
    this.ready.splice(lo, 0, entry);
  }

  /** Ready entries (not in flight). */
  get readyCount(): number {
    return this.ready.length - this.head;
  }

  /** The next entry to be taken, if any. */
  protected peekReady(): QueueEntry<S> | undefined {
    return this.ready[this.head];
  }

  /** Entries ready to be taken, oldest first (for accounting at shutdown). */
  protected readyEntries(): QueueEntry<S>[] {
    return this.ready.slice(this.head);
  }

  /**
   * The next entry in order; waits while the queue is empty. Resolves undefined once taking was
   * stopped, or once intake is closed and nothing is left (the drain is over).
   */
  takeRaw(): Promise<QueueEntry<S> | undefined> {
    if (this.takingStopped) return Promise.resolve(undefined);
    if (this.head < this.ready.length) return Promise.resolve(this.takeNow());
    if (this.intakeClosed && this.pendingWrites() === 0) return Promise.resolve(undefined);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  /** Removes and returns the next ready entry, if any (taking not stopped). */
  protected takeNow(): QueueEntry<S> | undefined {
    if (this.takingStopped || this.head >= this.ready.length) return undefined;
    const e = this.ready[this.head] as QueueEntry<S>;
    this.ready[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    return e;
  }

  /** Writes still in progress (durable queue); the drain waits for them. */
  protected pendingWrites(): number {
    return 0;
  }

  /** Refuses new offers; consumers drain what is left, then get undefined. Blocked producers are refused. */
  closeIntake(): void {
    if (this.intakeClosed) return;
    this.intakeClosed = true;
    for (const w of this.waiters.splice(0)) w.reject(errors.STITCH_ERR_SHUTDOWN([this.componentId]));
    this.wakeIdleTakers();
  }

  /** Ends the hand-out at once: every consumer waiting or asking from now on gets undefined. */
  stopTaking(): void {
    this.takingStopped = true;
    for (const t of this.takers.splice(0)) t(undefined);
  }

  /** Lets idle consumers notice the end of the drain. */
  protected wakeIdleTakers(): void {
    if (this.intakeClosed && this.readyCount === 0 && this.pendingWrites() === 0) {
      for (const t of this.takers.splice(0)) t(undefined);
    }
  }

  /** Current sizes in every unit. */
  sizes(): QueueSizes {
    return { ...this.used };
  }
}

/** The in-memory sending queue: bounded, lost on restart. */
export class MemoryQueue<S extends Signal> extends BaseQueue<S> {
  private readonly inFlightOldest = new Set<QueueEntry<S>>();

  /** Entries with room reserved whose `prepare` has not finished: the drain waits for them. */
  private preparing = 0;

  /**
   * Queues a batch, or what `prepare` makes of it once room is reserved; resolves once it is in
   * the queue. `bytes` is 0 unless the sizer is bytes. A failing `prepare` gives the room back
   * and rejects with its error.
   */
  async offer(
    batch: SignalData[S],
    items: number,
    bytes: number,
    onResult?: (e?: unknown) => void,
    prepare?: (batch: SignalData[S]) => Promise<SignalData[S]>,
  ): Promise<void> {
    await this.reserve(items, bytes);
    // Numbered before preparing: a slow prepare does not put its batch behind later ones queued meanwhile.
    const order = this.order();
    let data = batch;
    if (prepare !== undefined) {
      this.preparing++;
      try {
        data = await prepare(batch);
      } catch (err) {
        this.preparing--;
        this.release(items, bytes);
        this.wakeIdleTakers();
        throw err;
      }
      this.preparing--;
    }
    const entry: QueueEntry<S> = {
      order,
      batch: data,
      items,
      bytes,
      enqueuedAtMs: Date.now(),
      replayed: false,
    };
    if (onResult) entry.onResult = onResult;
    this.push(entry);
  }

  protected override pendingWrites(): number {
    return this.preparing;
  }

  /** The next entry (see BaseQueue.takeRaw). */
  async take(): Promise<QueueEntry<S> | undefined> {
    const e = await this.takeRaw();
    if (e) this.inFlightOldest.add(e);
    return e;
  }

  /**
   * Takes, without waiting, up to `max` more entries that are ready now and together hold at most
   * `maxItems` items: the entries a consumer may send together with the one it just took.
   */
  takeReady(max: number, maxItems: number): QueueEntry<S>[] {
    const out: QueueEntry<S>[] = [];
    let items = 0;
    for (;;) {
      const next = this.peekReady();
      if (next === undefined || out.length >= max || items + next.items > maxItems) return out;
      const e = this.takeNow() as QueueEntry<S>;
      this.inFlightOldest.add(e);
      items += e.items;
      out.push(e);
    }
  }

  /** The entry was handled: delivered, dropped, or (memory queue) given up. */
  settle(entry: QueueEntry<S>, _how: Settlement): void {
    this.inFlightOldest.delete(entry);
    entry.batch = undefined;
    this.release(entry.items, entry.bytes);
    this.wakeIdleTakers();
  }

  /** Age of the oldest unsettled entry, in seconds (0 when empty). */
  oldestAgeSeconds(now = Date.now()): number {
    let oldest = Number.POSITIVE_INFINITY;
    const first = this.peekReady();
    if (first) oldest = first.enqueuedAtMs;
    for (const e of this.inFlightOldest) oldest = Math.min(oldest, e.enqueuedAtMs);
    return oldest === Number.POSITIVE_INFINITY ? 0 : Math.max(0, (now - oldest) / 1000);
  }

  /** Entries that are still queued, not in flight (lost if the process stops now). */
  leftovers(): QueueEntry<S>[] {
    return this.readyEntries();
  }
}
