/**
 * exporterhelper: queue, retry and timeout as one reusable wrapper around an exporter's `push`
 * (the Collector's exporterhelper, internal/base_exporter.go). An exporter writes only
 * `push(batch, abortSignal)`; the chain is
 *
 *   consume() → sending_queue (memory or durable) → num_consumers workers → retry → timeout → push
 *
 * With `sending_queue.enabled: false` consume() runs retry → timeout → push itself and the caller
 * waits for the outcome.
 */
import type { Counter, Registry } from 'prom-client';
import type { Component, Consumer, CreateSettings, Host } from '../component/component.js';
import { errors, StitchError } from '../errors.js';
import { isStorageExtension, type StorageLease } from '../extensions/file-storage/extension.js';
import { ThrottledLog } from '../internal/throttled-log.js';
import { countItems } from '../model/count.js';
import { encodeRequest } from '../model/otlp-codec.js';
import type { Signal, SignalData } from '../model/types.js';
import { sharedCounter } from '../telemetry/self-metrics.js';
import type { QueueConfig, RetryConfig } from './config.js';
import { DurableQueue } from './internal/durable-queue.js';
import { MemoryQueue, type QueueEntry, type Settlement } from './internal/queue.js';
import type { LogIo } from './internal/segment-log.js';
import { type RetryOutcome, sendWithRetry, sleep } from './retry.js';

/** The shared exporter options, parsed (durations in ms). */
export interface ExporterHelperConfig {
  timeout: number;
  retry_on_failure: RetryConfig;
  sending_queue: QueueConfig;
}

/**
 * Sends one batch to the backend. Resolve = the backend accepted it. Reject with a StitchError:
 * `retryable` (5xx, 429, network; set `retryAfterMs` from Retry-After / RetryInfo) or permanent
 * (other 4xx: dropped and counted, never retried). `abort` fires at the timeout or on shutdown.
 */
export type PushFunc<S extends Signal, P = never> = (batch: SignalData[S] | P, abort: AbortSignal) => Promise<void>;

/** Knobs for tests and benchmarks; not part of any user config. */
export interface ExporterHelperInternals {
  /** Segment file size of the durable queue (default 8 MiB). */
  segmentBytes?: number;
  /** Encoded bytes of batches a durable queue keeps decoded in memory (default 16 MiB). */
  cacheBytes?: number;
  /** Fault injection into the durable queue's file writes. */
  io?: Partial<LogIo>;
  /** Jitter source (default Math.random). */
  random?: () => number;
  /** Minimum gap between two log lines about the same kind of drop (default 10 s). */
  logIntervalMs?: number;
}

/** What an exporter hands to createExporterHelper. */
export interface ExporterHelperOptions<S extends Signal, P = never> {
  settings: CreateSettings;
  signal: S;
  config: ExporterHelperConfig;
  /** Gets a batch, or what `prepare` made of it when a sending queue held it. */
  push: PushFunc<S, P>;
  /**
   * Turns a batch into the exporter's own request form as the in-memory sending queue takes it
   * (room is reserved first, so a full queue costs no work), as the Collector's request-based
   * exporterhelper converts pdata before queueing. The queue then holds that compact form, not
   * the batch's object graph: in V8 a graph that waits in a queue outlives the young generation
   * and is copied, promoted and marked, which costs more than making it. The durable queue
   * stores the batch's OTLP encoding and keeps the prepared form of what it also holds in
   * memory; a record read back from disk, and every batch on the synchronous path (no queue),
   * is pushed as the batch itself. Must not change `batch`; a rejection refuses the consume()
   * with that error. Not combined with `coalesce`.
   */
  prepare?: (batch: SignalData[S]) => Promise<P>;
  /**
   * Sends batches that are already waiting in the in-memory sending queue together: a worker
   * that takes one batch also takes those ready behind it (within `maxBatches` and `maxItems`)
   * and pushes `merge(batches)` once, so a backlog leaves as fewer, larger backend requests (what
   * vmagent and the Collector's queue batcher do). `merge` returns undefined when the batches
   * cannot be merged (they are then pushed one by one). The durable queue never merges: each
   * record is acknowledged on its own.
   */
  coalesce?: {
    merge(batches: SignalData[S][]): SignalData[S] | undefined;
    maxBatches: number;
    maxItems: number;
  };
  /** The exporter's own start (open clients); runs before the queue starts handing out data. */
  start?: (host: Host) => Promise<void>;
  /** The exporter's own shutdown (close clients); runs last, after the queue stopped. */
  shutdown?: (signal?: AbortSignal) => Promise<void>;
  internals?: ExporterHelperInternals;
}

/** An exporter's consumer for one signal, with the queue → retry → timeout chain in front of push. */
export type ExporterHelper<S extends Signal> = Component &
  Consumer<SignalData[S]> & {
    /**
     * Test hook: stop as a SIGKILL would. Nothing more is written or acknowledged and the
     * storage lock is abandoned, so a new instance can open the same durable queue.
     */
    simulateCrash(): void;
  };

const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;
const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024;

function counter(registry: Registry, name: string, help: string): Counter<string> {
  return sharedCounter(registry, name, help, ['component_id', 'signal']);
}

/** Resolves when `p` settles or `signal` aborts, whichever is first. */
function untilAborted(p: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    p.then(done, done);
  });
}

/** Wraps `push` with the shared queue, retry and timeout behaviour. */
export function createExporterHelper<S extends Signal, P = never>(options: ExporterHelperOptions<S, P>): ExporterHelper<S> {
  const { settings, signal, config, push, prepare } = options;
  if (prepare !== undefined && options.coalesce !== undefined) {
    throw new Error('exporterhelper: an exporter passes prepare or coalesce, not both'); // a programming error
  }
  // The queues carry a prepared form as they carry a batch, untouched until push (`handle`).
  const prepareQueued = prepare as ((batch: SignalData[S]) => Promise<SignalData[S]>) | undefined;
  const internals = options.internals ?? {};
  const { telemetry, logger } = settings;
  const id = settings.id;
  const qcfg = config.sending_queue;
  const queueEnabled = qcfg.enabled;
  const durable = queueEnabled && qcfg.storage !== undefined;
  const throttled = new ThrottledLog(logger, internals.logIntervalMs);

  // Aborted first at shutdown: no more backoff waits or new attempts.
  const retryStop = new AbortController();
  // Aborted when the shutdown deadline passes: in-flight pushes are cancelled.
  const hardStop = new AbortController();

  let started: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let stopped = false;
  let lease: StorageLease | undefined;
  let durableQueue: DurableQueue<S> | undefined;
  const memoryQueue = queueEnabled && !durable ? createMemoryQueue() : undefined;
  const workers: Promise<void>[] = [];
  const syncInFlight = new Set<Promise<unknown>>();

  const replayed = counter(
    telemetry.registry,
    'stitch_exporter_queue_replayed_items_total',
    'Items a durable sending queue found on disk at start and queued again.',
  );
  const corruptRecords = counter(
    telemetry.registry,
    'stitch_exporter_queue_corrupt_records_total',
    'Unreadable records (bad length or CRC) a durable sending queue skipped.',
  );

  function createMemoryQueue(): MemoryQueue<S> {
    return new MemoryQueue<S>(id, qcfg.sizer, qcfg.queue_size, qcfg.block_on_overflow);
  }

  function registerGauges(): void {
    if (!queueEnabled) return;
    const sizes = () => (durableQueue ?? memoryQueue)?.sizes() ?? { requests: 0, items: 0, bytes: 0 };
    const byteCap = durable ? Math.min(qcfg.storage_max_bytes, qcfg.sizer === 'bytes' ? qcfg.queue_size : Infinity) : 0;
    const units: ('requests' | 'items' | 'bytes')[] =
      durable || qcfg.sizer === 'bytes' ? ['requests', 'items', 'bytes'] : ['requests', 'items'];
    for (const unit of units) {
      telemetry.observe(
        'stitch_exporter_queue_size',
        'Requests, items or bytes in an exporter sending queue (queued and in flight).',
        () => sizes()[unit],
        { signal, unit },
      );
      const cap =
        unit === qcfg.sizer ? (unit === 'bytes' && durable ? byteCap : qcfg.queue_size) : unit === 'bytes' ? byteCap : 0;
      if (cap > 0) {
        telemetry.observe(
          'stitch_exporter_queue_capacity',
          'Capacity of an exporter sending queue, in the unit of the `unit` label.',
          () => cap,
          { signal, unit },
        );
      }
    }
    telemetry.observe(
      'stitch_exporter_queue_oldest_item_age_seconds',
      'Age of the oldest request in an exporter sending queue (0 when empty).',
      () => (durableQueue ?? memoryQueue)?.oldestAgeSeconds() ?? 0,
      { signal },
    );
  }
  registerGauges();

  /** The timeout stage: one push attempt bounded by `timeout` and by the shutdown deadline. */
  function attempt(batch: SignalData[S] | P): Promise<void> {
    const ac = new AbortController();
    const timer = config.timeout > 0 ? setTimeout(() => ac.abort(), config.timeout) : undefined;
    const onHardStop = () => ac.abort();
    hardStop.signal.addEventListener('abort', onHardStop, { once: true });
    if (hardStop.signal.aborted) ac.abort();
    const abortError = () =>
      hardStop.signal.aborted
        ? // Retryable on purpose: a send cut short by shutdown must stay queued (Collector #15677).
          errors.STITCH_ERR_SHUTDOWN([id], { retryable: true })
        : errors.STITCH_ERR_TIMEOUT([id, config.timeout]);
    return new Promise<void>((resolve, reject) => {
      // A push that ignores its AbortSignal still cannot hold the attempt past the timeout.
      const onAbort = () => reject(abortError());
      ac.signal.addEventListener('abort', onAbort, { once: true });
      let p: Promise<void>;
      try {
        p = push(batch, ac.signal);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(resolve, (err: unknown) => reject(ac.signal.aborted && !(err instanceof StitchError) ? abortError() : err));
    }).finally(() => {
      if (timer) clearTimeout(timer);
      hardStop.signal.removeEventListener('abort', onHardStop);
    });
  }

  /** The retry stage around one batch. */
  function send(batch: SignalData[S] | P, items: number): Promise<RetryOutcome> {
    return sendWithRetry(() => attempt(batch), {
      config: config.retry_on_failure,
      stop: retryStop.signal,
      ...(internals.random ? { random: internals.random } : {}),
      onAttemptFailed: (_err, permanent) =>
        telemetry.sendFailed(signal, items, permanent ? 'permanent_error' : 'downstream_error'),
    });
  }

  /** A worker's handling of one queued entry, from first attempt to settlement. */
  async function handle(entry: QueueEntry<S>, settleAs?: (how: Settlement) => void): Promise<void> {
    const items = entry.items;
    // A queue entry may hold what `prepare` made (the queues store it opaquely).
    const outcome = await send(entry.batch as SignalData[S] | P, items);
    const q = (durableQueue ?? memoryQueue) as MemoryQueue<S> | DurableQueue<S>;
    const queue = settleAs === undefined ? q : { settle: (_e: QueueEntry<S>, how: Settlement) => settleAs(how) };
    switch (outcome.kind) {
      case 'sent':
        telemetry.sent(signal, items);
        queue.settle(entry, 'done');
        entry.onResult?.();
        return;
      case 'permanent':
        telemetry.dropped(signal, items, 'permanent_error');
        throttled.note('permanent_error', items, outcome.error, 'backend rejected data permanently; dropped');
        queue.settle(entry, 'done');
        entry.onResult?.(outcome.error);
        return;
      case 'exhausted':
        if (durableQueue) {
          // A durable queue never drops data the backend did not reject: the record stays and
          // is retried after a pause. Dropping here is how the oldest data of a long outage
          // disappears (Collector contrib #48635).
          telemetry.sendFailed(signal, items, 'retries_exhausted');
          throttled.note(
            'retries_exhausted',
            items,
            outcome.error,
            `giving up this round of retries (${outcome.reason}); the request stays in the durable queue and is retried after max_interval`,
          );
          await sleep(config.retry_on_failure.max_interval, retryStop.signal);
          queue.settle(entry, 'requeue');
          return;
        }
        telemetry.dropped(signal, items, 'retries_exhausted');
        throttled.note('retries_exhausted', items, outcome.error, `dropping data: ${outcome.reason}`);
        queue.settle(entry, 'done');
        entry.onResult?.(outcome.error);
        return;
      case 'stopped':
        if (durableQueue) {
          queue.settle(entry, 'requeue'); // stays on disk for the next start
          entry.onResult?.(errors.STITCH_ERR_SHUTDOWN([id], { retryable: true }));
          return;
        }
        telemetry.dropped(signal, items, 'shutdown');
        throttled.note('shutdown', items, outcome.error, 'dropping data: shut down while the backend was failing');
        queue.settle(entry, 'done');
        entry.onResult?.(outcome.error);
        return;
    }
  }

  async function worker(queue: MemoryQueue<S> | DurableQueue<S>): Promise<void> {
    const coalesce = options.coalesce;
    for (;;) {
      const entry = await queue.take();
      if (!entry) return;
      if (coalesce !== undefined && queue instanceof MemoryQueue && coalesce.maxBatches > 1) {
        const more = queue.takeReady(coalesce.maxBatches - 1, coalesce.maxItems - entry.items);
        if (more.length > 0) {
          await handleTogether([entry, ...more], coalesce.merge);
          continue;
        }
      }
      await handle(entry);
    }
  }

  /** Several memory-queue entries pushed as one merged batch; each settles with its outcome. */
  async function handleTogether(
    entries: QueueEntry<S>[],
    merge: (batches: SignalData[S][]) => SignalData[S] | undefined,
  ): Promise<void> {
    const merged = merge(entries.map((e) => e.batch as SignalData[S]));
    if (merged === undefined) {
      for (const e of entries) await handle(e);
      return;
    }
    const first = entries[0] as QueueEntry<S>;
    let items = 0;
    for (const e of entries) items += e.items;
    let result: { error?: unknown } | undefined;
    const together: QueueEntry<S> = {
      order: first.order,
      batch: merged,
      items,
      bytes: 0,
      enqueuedAtMs: first.enqueuedAtMs,
      replayed: false,
      onResult: (error) => {
        result = { error };
      },
    };
    const queue = memoryQueue as MemoryQueue<S>;
    await handle(together, (how) => {
      for (const e of entries) queue.settle(e, how);
    });
    if (result !== undefined) for (const e of entries) e.onResult?.(result.error);
  }

  async function openDurable(host: Host): Promise<void> {
    const storageId = qcfg.storage as string;
    const path = `exporters.${id}.sending_queue.storage`;
    const ext = host.getExtension(storageId);
    if (ext === undefined) throw errors.STITCH_ERR_EXTENSION_UNDEFINED([storageId], { path });
    if (!isStorageExtension(ext)) {
      throw errors.STITCH_ERR_CONFIG_INVALID_VALUE([`extension ${JSON.stringify(storageId)} is not a storage extension`], {
        path,
      });
    }
    lease = await ext.acquire({ kind: 'exporter', id, signal });
    const q = new DurableQueue<S>({
      componentId: id,
      signal,
      sizer: qcfg.sizer,
      capacity: qcfg.sizer === 'bytes' ? Math.min(qcfg.queue_size, qcfg.storage_max_bytes) : qcfg.queue_size,
      blockOnOverflow: qcfg.block_on_overflow,
      maxBytes: qcfg.storage_max_bytes,
      dir: lease.dir,
      fsync: lease.fsync,
      segmentBytes: internals.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
      cacheBytes: internals.cacheBytes ?? DEFAULT_CACHE_BYTES,
      ...(prepareQueued && { prepare: prepareQueued }),
      logger,
      ...(internals.io ? { io: internals.io } : {}),
      onCorrupt: (items) => {
        corruptRecords.inc({ component_id: id, signal });
        telemetry.dropped(signal, items, 'corrupt_record');
      },
    });
    const report = await q.open();
    durableQueue = q;
    if (report.corrupt.length > 0) {
      const records = report.corrupt.reduce((n, c) => n + c.records, 0);
      const items = report.corrupt.reduce((n, c) => n + c.items, 0);
      if (records > 0) corruptRecords.inc({ component_id: id, signal }, records);
      if (items > 0) telemetry.dropped(signal, items, 'corrupt_record');
      logger.error(
        { dir: lease.dir, regions: report.corrupt.length, records, items, first: report.corrupt.slice(0, 5) },
        'durable queue has corrupt records; skipped them and replaying the rest',
      );
    }
    if (report.requests > 0) {
      replayed.inc({ component_id: id, signal }, report.items);
      logger.info(
        {
          dir: lease.dir,
          requests: report.requests,
          items: report.items,
          bytes: report.bytes,
          already_acked: report.skippedAcked,
        },
        'durable queue: replaying requests left by the previous run',
      );
    }
  }

  async function consumeSync(batch: SignalData[S], items: number): Promise<void> {
    const outcome = await send(batch, items);
    switch (outcome.kind) {
      case 'sent':
        telemetry.sent(signal, items);
        return;
      case 'permanent':
        throw outcome.error;
      case 'exhausted':
        throttled.note('retries_exhausted', items, outcome.error, `send failed, returning the error: ${outcome.reason}`);
        throw outcome.error instanceof StitchError
          ? outcome.error
          : errors.STITCH_ERR_EXPORT_RETRYABLE([id, outcome.reason], { cause: outcome.error });
      case 'stopped':
        throw errors.STITCH_ERR_SHUTDOWN([id], { retryable: true, cause: outcome.error });
    }
  }

  async function shutdownOnce(deadline?: AbortSignal): Promise<void> {
    stopped = true;
    const onDeadline = () => hardStop.abort();
    if (deadline?.aborted) hardStop.abort();
    else deadline?.addEventListener('abort', onDeadline, { once: true });
    try {
      // Order as in base_exporter.go, for the same reasons:
      // 1. Stop retrying first: backoff waits end now and no new attempt starts after a failure,
      //    so the drain below is not held up by a failing backend. Attempts already running finish
      //    (or are cancelled at the deadline); a durable queue keeps whatever did not succeed.
      retryStop.abort();
      await started?.catch(() => {});
      // 2. Drain the queue within the deadline.
      if (durableQueue) {
        // Everything queued is on disk already: hand out nothing more, let in-flight sends end.
        durableQueue.stopTaking();
      }
      memoryQueue?.closeIntake();
      const busy = Promise.all([...workers, ...syncInFlight]);
      await untilAborted(busy, hardStop.signal);
      if (hardStop.signal.aborted) {
        // Deadline passed: cancelled pushes end their workers promptly; don't wait on a push
        // that ignores its signal for more than a moment.
        memoryQueue?.stopTaking();
        await Promise.race([busy, sleep(1000, new AbortController().signal)]);
      }
      const lost = memoryQueue?.leftovers() ?? [];
      if (lost.length > 0) {
        const items = lost.reduce((n, e) => n + e.items, 0);
        telemetry.dropped(signal, items, 'shutdown');
        logger.error(
          { requests: lost.length, items },
          'in-memory sending queue could not drain before the shutdown deadline; data lost',
        );
        for (const e of lost) e.onResult?.(errors.STITCH_ERR_SHUTDOWN([id]));
      }
      if (durableQueue) {
        const left = durableQueue.sizes();
        await durableQueue.close();
        if (left.requests > 0) {
          logger.info(
            { requests: left.requests, items: left.items, bytes: left.bytes },
            'durable queue keeps unsent requests for the next start',
          );
        }
      }
      await lease?.release();
      throttled.flush();
    } finally {
      deadline?.removeEventListener('abort', onDeadline);
      // 3. Last, the exporter's own shutdown: nothing uses its clients any more.
      await options.shutdown?.(deadline);
    }
  }

  return {
    capabilities: { mutatesData: false },

    start(host: Host): Promise<void> {
      if (stopped) return Promise.resolve();
      started ??= (async () => {
        // The wrapped exporter first, then the queue (base_exporter.go Start order).
        await options.start?.(host);
        if (durable) await openDurable(host);
        const queue = durableQueue ?? memoryQueue;
        if (queue) for (let i = 0; i < qcfg.num_consumers; i++) workers.push(worker(queue));
      })();
      return started;
    },

    shutdown(deadline?: AbortSignal): Promise<void> {
      stopping ??= shutdownOnce(deadline);
      return stopping;
    },

    async consume(batch) {
      if (stopped) throw errors.STITCH_ERR_SHUTDOWN([id]);
      const items = countItems(signal, batch);
      if (!queueEnabled) {
        const p = consumeSync(batch, items);
        syncInFlight.add(p);
        try {
          return await p;
        } finally {
          syncInFlight.delete(p);
        }
      }
      let onResult: ((e?: unknown) => void) | undefined;
      const result = qcfg.wait_for_result
        ? new Promise<void>((resolve, reject) => {
            onResult = (e) => (e === undefined ? resolve() : reject(e));
          })
        : undefined;
      try {
        if (durable) {
          if (!durableQueue) await started;
          if (!durableQueue) {
            throw errors.STITCH_ERR_QUEUE_STORAGE([id, qcfg.storage, 'the exporter is not started'], { retryable: true });
          }
          await durableQueue.offer(batch, items, onResult);
        } else {
          const bytes = qcfg.sizer === 'bytes' ? encodeRequest(signal, batch, 'protobuf').byteLength : 0;
          await (memoryQueue as MemoryQueue<S>).offer(batch, items, bytes, onResult, prepareQueued);
        }
      } catch (err) {
        const reason = errors.STITCH_ERR_QUEUE_FULL.is(err) ? 'queue_full' : 'downstream_error';
        telemetry.sendFailed(signal, items, reason);
        throw err;
      }
      await result;
    },

    simulateCrash() {
      stopped = true;
      retryStop.abort();
      durableQueue?.crash();
      memoryQueue?.stopTaking();
      lease?.abandon();
    },
  };
}
