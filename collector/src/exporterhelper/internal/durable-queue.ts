/**
 * The durable sending queue: every request is encoded once with the OTLP codec and appended to a
 * segment log before `offer` resolves, so the sender is only acknowledged for data that is on
 * disk. A record leaves the log only when `settle(entry, 'done')` is called, which the exporter
 * helper does after the backend accepted it or rejected it permanently; anything else (shutdown,
 * retries exhausted, a crash) leaves it to be sent again.
 */
import type { Logger } from 'pino';
import { errors } from '../../errors.js';
import { decodeRequest, encodeRequest } from '../../model/otlp-codec.js';
import type { Signal, SignalData } from '../../model/types.js';
import { BaseQueue, type QueueEntry, type Settlement, type SizerType } from './queue.js';
import { type CorruptRegion, type LogIo, SegmentLog, type StoredRecord } from './segment-log.js';

/** Options of a durable queue. */
export interface DurableQueueOptions<S extends Signal> {
  componentId: string;
  signal: S;
  sizer: SizerType;
  /** `queue_size`, in sizer units. */
  capacity: number;
  blockOnOverflow: boolean;
  /** Byte cap on queued payloads, whatever the sizer (`storage_max_bytes`). */
  maxBytes: number;
  dir: string;
  fsync: boolean;
  segmentBytes: number;
  /** Batches kept in memory (by encoded size) so a healthy backend never reads back from disk. */
  cacheBytes: number;
  /**
   * The exporter's `prepare`: a batch kept in memory is kept in its prepared form, made before
   * the disk write so the batch's objects die young; one read back from disk is pushed as the
   * decoded batch.
   */
  prepare?: (batch: SignalData[S]) => Promise<SignalData[S]>;
  logger: Logger;
  io?: Partial<LogIo>;
  /** A record that could not be read or decoded was skipped (its items, 0 when unknown). */
  onCorrupt(items: number): void;
}

interface DurableEntry<S extends Signal> extends QueueEntry<S> {
  rec: StoredRecord;
  cached: boolean;
}

/** What start-up found on disk. */
export interface ReplayReport {
  requests: number;
  items: number;
  bytes: number;
  corrupt: CorruptRegion[];
  /** Records on disk already acknowledged in the index (normally 0 or a few after a crash). */
  skippedAcked: number;
}

const SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** A bounded, crash-safe queue on a segment log. */
export class DurableQueue<S extends Signal> extends BaseQueue<S> {
  private log: SegmentLog | undefined;
  private writesInProgress = 0;
  private cachedBytes = 0;
  /** Unsettled entries by seq, in seq order (Map keeps insertion order). */
  private readonly unsettled = new Map<number, DurableEntry<S>>();

  constructor(private readonly opts: DurableQueueOptions<S>) {
    super(opts.componentId, opts.sizer, opts.capacity, opts.blockOnOverflow);
  }

  /** Opens the log and queues every record an earlier run left unacknowledged, in order. */
  async open(): Promise<ReplayReport> {
    const opened = await SegmentLog.open({
      dir: this.opts.dir,
      fsync: this.opts.fsync,
      segmentBytes: this.opts.segmentBytes,
      maxRecordBytes: this.opts.maxBytes,
      logger: this.opts.logger,
      ...(this.opts.io ? { io: this.opts.io } : {}),
    });
    this.log = opened.log;
    const report: ReplayReport = {
      requests: 0,
      items: 0,
      bytes: 0,
      corrupt: opened.corrupt,
      skippedAcked: opened.skippedAcked,
    };
    for (const rec of opened.pending) {
      // Replayed data may exceed a capacity that shrank since; new offers wait until it drains.
      this.used.requests += 1;
      this.used.items += rec.items;
      this.used.bytes += rec.payloadBytes;
      report.requests++;
      report.items += rec.items;
      report.bytes += rec.payloadBytes;
      const entry: DurableEntry<S> = {
        order: rec.seq,
        batch: undefined,
        items: rec.items,
        bytes: rec.payloadBytes,
        enqueuedAtMs: rec.enqueuedAtMs,
        replayed: true,
        rec,
        cached: false,
      };
      this.unsettled.set(rec.seq, entry);
      this.push(entry);
    }
    return report;
  }

  protected override pendingWrites(): number {
    return this.writesInProgress;
  }

  /**
   * Encodes and appends a batch; resolves once it is written (and fsynced with `fsync: true`).
   * Refuses with STITCH_ERR_QUEUE_FULL (retryable) when the queue or the disk is full; nothing
   * already queued is touched by a failed write.
   */
  async offer(batch: NonNullable<QueueEntry<S>['batch']>, items: number, onResult?: (e?: unknown) => void): Promise<void> {
    const log = this.log;
    if (!log) throw errors.STITCH_ERR_QUEUE_STORAGE([this.componentId, this.opts.dir, 'the exporter is not started']);
    // Under overload, refuse before paying for the encoding when the answer is already known.
    if (!this.opts.blockOnOverflow && !this.intakeClosed) {
      const need = this.sizer === 'items' ? items : 1;
      if (this.sizer !== 'bytes' && this.usedInSizer() + need > this.capacity) await this.reserve(items, 0);
      if (this.used.bytes >= this.opts.maxBytes) {
        throw errors.STITCH_ERR_QUEUE_FULL([this.componentId, `storage_max_bytes ${this.opts.maxBytes} reached`]);
      }
    }
    const payload = encodeRequest(this.opts.signal, batch, 'protobuf');
    const bytes = payload.byteLength;
    if (bytes > this.opts.maxBytes) {
      throw errors.STITCH_ERR_QUEUE_FULL(
        [this.componentId, `one request of ${bytes} bytes is larger than storage_max_bytes ${this.opts.maxBytes}`],
        { retryable: false },
      );
    }
    await this.reserve(items, bytes, () =>
      this.used.bytes + bytes > this.opts.maxBytes
        ? `${this.used.bytes} of storage_max_bytes ${this.opts.maxBytes} bytes used`
        : undefined,
    );
    this.writesInProgress++;
    const cached = this.cachedBytes + bytes <= this.opts.cacheBytes;
    if (cached) this.cachedBytes += bytes;
    let kept: SignalData[S] | undefined = cached ? batch : undefined;
    const giveBack = () => {
      this.writesInProgress--;
      if (cached) this.cachedBytes -= bytes;
      this.release(items, bytes);
      this.wakeIdleTakers();
    };
    if (cached && this.opts.prepare) {
      try {
        kept = await this.opts.prepare(batch);
      } catch (err) {
        giveBack();
        throw err;
      }
    }
    let rec: StoredRecord;
    try {
      rec = await log.append(payload, items, Date.now());
    } catch (err) {
      giveBack();
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (SPACE_CODES.has(code)) {
        throw errors.STITCH_ERR_QUEUE_FULL(
          [this.componentId, `no space left on the queue's disk (${code}) in ${this.opts.dir}`],
          {
            cause: err,
          },
        );
      }
      throw errors.STITCH_ERR_QUEUE_STORAGE([this.componentId, this.opts.dir, (err as Error).message], { cause: err });
    }
    this.writesInProgress--;
    const entry: DurableEntry<S> = {
      order: rec.seq,
      batch: kept,
      items,
      bytes,
      enqueuedAtMs: rec.enqueuedAtMs,
      replayed: false,
      rec,
      cached,
    };
    if (onResult) entry.onResult = onResult;
    this.unsettled.set(rec.seq, entry);
    this.push(entry);
  }

  /** The next entry with its batch loaded; an unreadable record is skipped and reported. */
  async take(): Promise<QueueEntry<S> | undefined> {
    for (;;) {
      const e = (await this.takeRaw()) as DurableEntry<S> | undefined;
      if (!e || e.batch !== undefined) return e;
      const log = this.log as SegmentLog;
      let payload: Buffer | undefined;
      try {
        payload = await log.read(e.rec);
        if (payload) e.batch = decodeRequest(this.opts.signal, payload, 'protobuf');
      } catch (err) {
        this.opts.logger.debug({ err, seq: e.rec.seq }, 'durable queue record unreadable');
        payload = undefined;
      }
      if (e.batch !== undefined) return e;
      this.opts.onCorrupt(e.items);
      this.settle(e, 'done');
    }
  }

  /** `done`: remove the record (delivered or permanently rejected). `requeue`: keep it, send again. */
  settle(entry: QueueEntry<S>, how: Settlement): void {
    const e = entry as DurableEntry<S>;
    if (how === 'requeue') {
      if (!e.cached) e.batch = undefined; // re-read from disk next time: memory stays bounded
      this.push(e);
      return;
    }
    this.log?.ack(e.rec);
    this.unsettled.delete(e.rec.seq);
    if (e.cached) this.cachedBytes -= e.bytes;
    e.batch = undefined;
    this.release(e.items, e.bytes);
    this.wakeIdleTakers();
  }

  /** Age of the oldest unsettled record, in seconds (0 when empty). */
  oldestAgeSeconds(now = Date.now()): number {
    const first = this.unsettled.values().next().value;
    return first ? Math.max(0, (now - first.enqueuedAtMs) / 1000) : 0;
  }

  /** Bytes of segment files on disk (queued payloads plus headers and not-yet-deleted segments). */
  get diskBytes(): number {
    return this.log?.diskBytes ?? 0;
  }

  /** Persists the ack index and closes the files; unsettled records stay for the next start. */
  async close(): Promise<void> {
    this.stopTaking();
    await this.log?.close();
  }

  /** Test hook: stop like a SIGKILL would (nothing more is written). */
  crash(): void {
    this.stopTaking();
    this.log?.crash();
  }
}
