/**
 * The batch processor: merges small batches and splits big ones by item count, sends on size or
 * timeout, and flushes on shutdown.
 *
 * Backpressure (where Stitch differs from the Collector on purpose): the Collector's batch
 * processor accepts data at once and exports it later, so a failed export loses data the sender
 * believes delivered. Here `consume` resolves only when every batch holding its items has been
 * accepted by the next consumer, and rejects with that consumer's error otherwise, so the sender
 * retries and bad input loses nothing. Items wait in a bounded buffer (`maxPendingItems`); when it
 * is full, `consume` is refused with the retryable STITCH_ERR_QUEUE_FULL. Each batcher sends one
 * batch at a time, in arrival order; what arrives meanwhile forms the next batch.
 */
import type { Component, ConsumeContext, Consumer, CreateSettings, Host } from '../../component/component.js';
import { errors, type StitchError } from '../../errors.js';
import { countItems } from '../../model/count.js';
import { splitLazyMetrics } from '../../model/lazy-merge.js';
import { metricsSource } from '../../model/lazy-metrics.js';
import type { Signal, SignalData } from '../../model/types.js';
import type { BatchConfig } from './config.js';
import { mergeData, splitData } from './split.js';
import { type BatchTelemetry, createBatchTelemetry, type SendTrigger } from './telemetry.js';

/** One `consume` call waiting for its items to be accepted downstream. */
interface Waiter {
  /** Pieces of this call's data not yet accepted (queued or in flight). */
  parts: number;
  settled: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

interface Entry<S extends Signal> {
  data: SignalData[S];
  items: number;
  waiter: Waiter;
}

/** What every batcher of one processor shares. */
interface Shared<S extends Signal> {
  readonly signal: S;
  readonly settings: CreateSettings;
  readonly next: Consumer<SignalData[S]>;
  readonly timeoutMs: number;
  /** Items that trigger a send; 1 when sending at once (timeout or send_batch_size is 0). */
  readonly sendAt: number;
  readonly maxSize: number;
  readonly maxPendingItems: number;
  readonly telemetry: BatchTelemetry;
}

/** The pending-items bound for a config: four full batches. */
export function maxPendingItemsFor(config: BatchConfig): number {
  const unit = config.send_batch_max_size > 0 ? config.send_batch_max_size : Math.max(config.send_batch_size, 1024);
  return unit * 4;
}

/** One batch under construction, with its timer (one per metadata value combination). */
class Batcher<S extends Signal> {
  private readonly entries: Entry<S>[] = [];
  private pendingItems = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushAll = false;
  private draining: Promise<void> | undefined;

  constructor(
    private readonly shared: Shared<S>,
    private readonly context: ConsumeContext | undefined,
  ) {}

  get pending(): number {
    return this.pendingItems;
  }

  add(data: SignalData[S], items: number): Promise<void> {
    const { maxPendingItems, settings } = this.shared;
    // An oversized batch is still accepted into an empty buffer, or it could never get in.
    if (this.pendingItems > 0 && this.pendingItems + items > maxPendingItems) {
      return Promise.reject(
        errors.STITCH_ERR_QUEUE_FULL([settings.id, `${this.pendingItems} items wait to be sent, limit ${maxPendingItems}`], {
          retryAfterMs: Math.max(this.shared.timeoutMs, 100),
        }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.entries.push({ data, items, waiter: { parts: 1, settled: false, resolve, reject } });
      this.pendingItems += items;
      this.schedule();
    });
  }

  /** Sends everything pending; resolves when the last batch settled. */
  flush(): Promise<void> {
    this.clearTimer();
    this.flushAll = true;
    if (!this.draining) this.draining = this.drain();
    return this.draining;
  }

  /** Rejects every waiter still pending (the shutdown deadline passed); returns the items given up. */
  abandon(err: StitchError): number {
    this.clearTimer();
    const items = this.pendingItems;
    for (const e of this.entries.splice(0)) settle(e.waiter, err);
    this.pendingItems = 0;
    return items;
  }

  private schedule(): void {
    if (this.draining) return; // the running drain loop picks the new entry up
    if (this.pendingItems >= this.shared.sendAt) {
      this.draining = this.drain();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushAll = true;
        if (!this.draining) this.draining = this.drain();
      }, this.shared.timeoutMs);
      this.timer.unref();
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pendingItems > 0) {
        let trigger: SendTrigger;
        if (this.pendingItems >= this.shared.sendAt) trigger = 'size';
        else if (this.flushAll) trigger = 'timeout';
        else break;
        await this.sendOne(trigger);
      }
    } finally {
      this.flushAll = false;
      this.draining = undefined;
      if (this.pendingItems === 0) this.clearTimer();
      else this.schedule();
    }
  }

  /** Cuts one batch of at most `maxSize` items off the front and sends it. */
  private async sendOne(trigger: SendTrigger): Promise<void> {
    const { maxSize, signal, next, telemetry, settings } = this.shared;
    const parts: SignalData[S][] = [];
    const waiters: Waiter[] = [];
    let items = 0;
    while (this.entries.length > 0 && (maxSize === 0 || items < maxSize)) {
      const e = this.entries[0] as Entry<S>;
      const room = maxSize === 0 ? Number.POSITIVE_INFINITY : maxSize - items;
      if (e.items <= room) {
        this.entries.shift();
        parts.push(e.data);
        items += e.items;
      } else {
        // A lazy metrics batch (model/lazy-metrics.ts) is cut at a resource boundary so it stays
        // lazy; when none fits, a batch already started goes as it is, smaller than the maximum.
        const lazy = signal === 'metrics' ? lazySplit(e.data as SignalData['metrics'], room) : undefined;
        if (lazy === 'none' && parts.length > 0) break;
        const [head, rest] =
          lazy === undefined || lazy === 'none' ? splitData(signal, e.data, room) : (lazy as [SignalData[S], SignalData[S]]);
        const taken = lazy === undefined || lazy === 'none' ? room : countItems(signal, head);
        e.data = rest;
        e.items -= taken;
        e.waiter.parts++; // the head goes now, the rest stays queued
        parts.push(head);
        items += taken;
      }
      waiters.push(e.waiter);
    }
    this.pendingItems -= items;
    try {
      await next.consume(mergeData(signal, parts), this.context);
    } catch (err) {
      settings.logger.debug({ err, items }, 'batch refused downstream; its senders get the error');
      for (const w of waiters) settle(w, err);
      return;
    }
    telemetry.sent(items, trigger);
    for (const w of waiters) if (--w.parts === 0) settle(w);
  }
}

/**
 * How a lazy metrics batch that does not fit splits: [head, rest] still lazy, 'none' when it is
 * lazy but no resource boundary fits, undefined when it is not lazy.
 */
function lazySplit(
  data: SignalData['metrics'],
  room: number,
): [SignalData['metrics'], SignalData['metrics']] | 'none' | undefined {
  if (!metricsSource(data)) return undefined;
  return splitLazyMetrics(data, room) ?? 'none';
}

function settle(w: Waiter, err?: unknown): void {
  if (w.settled) return;
  w.settled = true;
  if (err === undefined) w.resolve();
  else w.reject(err);
}

/** A running batch processor for one pipeline's signal. */
export type BatchProcessor<S extends Signal> = Component & Consumer<SignalData[S]>;

/** Creates the batch processor for `signal`, sending to `next`. */
export function createBatchProcessor<S extends Signal>(
  settings: CreateSettings,
  config: BatchConfig,
  signal: S,
  next: Consumer<SignalData[S]>,
): BatchProcessor<S> {
  const immediate = config.timeout === 0 || config.send_batch_size === 0;
  const shared: Shared<S> = {
    signal,
    settings,
    next,
    timeoutMs: config.timeout,
    sendAt: immediate ? 1 : config.send_batch_size,
    maxSize: config.send_batch_max_size,
    maxPendingItems: maxPendingItemsFor(config),
    telemetry: createBatchTelemetry(settings.telemetry.registry, settings.id, signal),
  };
  const metadataKeys = [...new Set(config.metadata_keys.map((k) => k.toLowerCase()))].sort();
  const single = metadataKeys.length === 0 ? new Batcher(shared, undefined) : undefined;
  const byMetadata = new Map<string, Batcher<S>>();
  let stopped = false;

  const pipelineLabel = { pipeline: settings.pipelineId ?? '' };
  settings.telemetry.observe(
    'stitch_processor_batch_pending_items',
    'Items the batch processor holds, waiting to be sent.',
    () => {
      let n = single?.pending ?? 0;
      for (const b of byMetadata.values()) n += b.pending;
      return n;
    },
    pipelineLabel,
  );
  if (metadataKeys.length > 0) {
    settings.telemetry.observe(
      'stitch_processor_batch_metadata_cardinality',
      'Distinct metadata value combinations the batch processor batches separately.',
      () => byMetadata.size,
      pipelineLabel,
    );
  }

  function batcherFor(context: ConsumeContext | undefined): Batcher<S> {
    if (single) return single;
    const md = context?.metadata ?? {};
    const values: Record<string, string[]> = {};
    for (const k of metadataKeys) {
      const v = md[k];
      values[k] = v === undefined ? [] : Array.isArray(v) ? v : [v];
    }
    const key = JSON.stringify(metadataKeys.map((k) => values[k]));
    let b = byMetadata.get(key);
    if (!b) {
      const limit = config.metadata_cardinality_limit;
      if (limit !== 0 && byMetadata.size >= limit) {
        throw errors.STITCH_ERR_BATCH_METADATA_CARDINALITY([settings.id, limit]);
      }
      const metadata: Record<string, string | string[]> = {};
      for (const k of metadataKeys) {
        const v = values[k] as string[];
        if (v.length > 0) metadata[k] = v.length === 1 ? (v[0] as string) : v;
      }
      b = new Batcher(shared, { metadata });
      byMetadata.set(key, b);
    }
    return b;
  }

  function all(): Batcher<S>[] {
    return single ? [single] : [...byMetadata.values()];
  }

  return {
    // Splitting and merging build new containers; the input batch is never edited.
    capabilities: { mutatesData: false },
    async start(_host: Host) {},
    async consume(batch, context) {
      if (stopped) throw errors.STITCH_ERR_SHUTDOWN([settings.id]);
      const items = countItems(signal, batch);
      if (items === 0) return; // nothing to deliver (the Collector drops these too)
      let b: Batcher<S>;
      try {
        b = batcherFor(context);
      } catch (err) {
        settings.telemetry.dropped(signal, items, 'cardinality_limit');
        throw err;
      }
      return b.add(batch, items);
    },
    async shutdown(abort?: AbortSignal) {
      if (stopped) return;
      stopped = true;
      const flushed = Promise.all(all().map((b) => b.flush()));
      if (!abort) return void (await flushed);
      if (abort.aborted) return giveUp();
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<'aborted'>((resolve) => {
        onAbort = () => resolve('aborted');
        abort.addEventListener('abort', onAbort, { once: true });
      });
      const outcome = await Promise.race([flushed.then(() => 'flushed' as const), aborted]);
      abort.removeEventListener('abort', onAbort as () => void);
      if (outcome === 'aborted') giveUp();
    },
  };

  /** The drain deadline passed: refuse what is still waiting, retryably, and count it. */
  function giveUp(): void {
    const err = errors.STITCH_ERR_SHUTDOWN([settings.id], { retryable: true });
    let items = 0;
    for (const b of all()) items += b.abandon(err);
    if (items > 0) {
      settings.telemetry.dropped(signal, items, 'shutdown');
      settings.logger.warn({ items }, 'shutdown deadline passed; refused the items still waiting to be batched');
    }
  }
}
