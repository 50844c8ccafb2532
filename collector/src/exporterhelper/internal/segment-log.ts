/**
 * The durable queue's storage: an append-only log of CRC-framed records (./record.ts) split into
 * segment files, plus an ack index kept in its own file.
 *
 * - `segment-<first seq>.log`: records in seq order. A segment is rotated once it reaches
 *   `segmentBytes`; a segment is deleted once every record in it is acknowledged AND that fact
 *   is on disk in the ack index. No compaction is ever needed: space comes back a file at a time.
 * - `acks.json`: `{ackedBelow, acked: [[from, to], ...], nextSeq}`. Every seq below `ackedBelow`
 *   and every seq in `acked` is done (delivered or permanently rejected). Written to a temp file
 *   and renamed over the old one, so a crash leaves either the old or the new index, never half.
 *
 * Ordering rules that keep this crash-safe:
 * - `append` resolves only after the record's bytes were handed to the kernel (and fsynced when
 *   `fsync` is on): the queue acknowledges data to the sender only after that.
 * - An ack is recorded in memory first and written by a coalescing flusher (one write in flight,
 *   the next one picks up everything acked meanwhile). A SIGKILL between a push succeeding and
 *   its ack reaching `acks.json` redelivers that record: the at-least-once window.
 * - Segments are deleted only after the index that covers them was renamed into place.
 * - On open, records are replayed in seq order; a record whose magic, length or CRC is wrong is
 *   skipped, reported and the scan resyncs on the next valid record, so one bad block never
 *   hides the rest. A failed append is truncated away, so a full disk never leaves a torn record
 *   in front of later ones.
 */
import { type FileHandle, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RangeSet } from './ranges.js';
import {
  encodeHeader,
  HEADER_BYTES,
  parseRecord,
  RECORD_MAGIC,
  type RecordHeader,
  type RecordProblem,
  verifyRecord,
} from './record.js';

/** File operations the log performs that tests may replace to inject faults (ENOSPC, EIO). */
export interface LogIo {
  /** Appends `buffers` to the segment; returns the bytes written. */
  writev(fh: FileHandle, buffers: Buffer[]): Promise<number>;
  /** Writes the temp ack index (before the rename). */
  writeFile(path: string, data: string, fsync: boolean): Promise<void>;
}

/**
 * Writes every byte of `buffers` with as many `writev` calls as it takes. writev(2) may write
 * only part: on a disk that fills up mid-write Linux writes what fits and returns the short
 * count, and only the next call fails with ENOSPC. Stopping at the short count would report a
 * full disk as an I/O error. Returns the total written (less than asked only if a call wrote 0).
 */
export async function writevFully(writev: (buffers: Buffer[]) => Promise<number>, buffers: Buffer[]): Promise<number> {
  let total = 0;
  let rest = buffers;
  while (rest.length > 0) {
    let n = await writev(rest);
    if (n <= 0) break;
    total += n;
    let i = 0;
    while (i < rest.length && n >= (rest[i] as Buffer).length) n -= (rest[i++] as Buffer).length;
    rest = rest.slice(i);
    if (n > 0 && rest.length > 0) rest[0] = (rest[0] as Buffer).subarray(n);
  }
  return total;
}

const defaultIo: LogIo = {
  async writev(fh, buffers) {
    return writevFully(async (b) => (await fh.writev(b)).bytesWritten, buffers);
  },
  async writeFile(path, data, fsync) {
    if (!fsync) return writeFile(path, data);
    const fh = await open(path, 'w');
    try {
      await fh.writeFile(data);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  },
};

/** Options of a segment log. */
export interface SegmentLogOptions {
  /** A directory owned by this log alone (the file_storage extension hands one out per queue). */
  dir: string;
  /** fdatasync each write batch and the ack index before acknowledging / renaming. */
  fsync: boolean;
  /** Rotate to a new segment file once the current one reaches this size. */
  segmentBytes: number;
  /** A record header claiming a larger payload is treated as corrupt. */
  maxRecordBytes: number;
  logger: Logger;
  io?: Partial<LogIo>;
}

/** One segment file. */
interface Segment {
  readonly id: number;
  readonly path: string;
  size: number;
  /** Records in this segment not yet acknowledged. */
  live: number;
  fh: FileHandle | undefined;
  /** A failed append could not be truncated away: never append here again. */
  broken: boolean;
}

/** A record that is in the queue and not yet acknowledged. */
export interface StoredRecord {
  readonly seq: number;
  readonly items: number;
  readonly enqueuedAtMs: number;
  readonly payloadBytes: number;
  /** @internal location */
  readonly segment: Segment;
  readonly offset: number;
}

/** A region of a segment that could not be read, reported once at open. */
export interface CorruptRegion {
  readonly file: string;
  readonly offset: number;
  readonly bytes: number;
  readonly problem: RecordProblem;
  /** Unacknowledged records lost in the region (known from the seqs around it). */
  readonly records: number;
  /**
   * Items lost: the damaged record's own count when exactly one record was hit and its header
   * was intact, otherwise one per lost record (a lower bound).
   */
  readonly items: number;
}

/** What `SegmentLog.open` found on disk. */
export interface OpenedLog {
  log: SegmentLog;
  /** Unacknowledged records, oldest first: replay these. */
  pending: StoredRecord[];
  corrupt: CorruptRegion[];
  /** Records found on disk that the ack index already marks done (skipped). */
  skippedAcked: number;
}

interface PendingWrite {
  payload: Uint8Array;
  items: number;
  enqueuedAtMs: number;
  resolve(r: StoredRecord): void;
  reject(e: unknown): void;
}

interface AckIndex {
  v: 1;
  ackedBelow: number;
  acked: [number, number][];
  nextSeq: number;
}

const ACKS = 'acks.json';
const ACKS_TMP = 'acks.json.tmp';
const SEGMENT_RE = /^segment-(\d{20})\.log$/;

function segmentName(id: number): string {
  return `segment-${String(id).padStart(20, '0')}.log`;
}

/** An append-only, CRC-checked, segmented record log with a separately persisted ack index. */
export class SegmentLog {
  private readonly io: LogIo;
  private readonly segments = new Map<number, Segment>();
  private active: Segment | undefined;
  /** Unacknowledged records by seq. */
  private readonly live = new Map<number, StoredRecord>();
  /** Acknowledged (or burnt) seqs above `ackedBelow`: out-of-order completions. */
  private readonly ackedAbove = new RangeSet();
  private ackedBelow = 0;
  private nextSeq = 0;
  private writes: PendingWrite[] = [];
  private writing: Promise<void> | undefined;
  private flushing: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  /** Set by the crash() test hook: no file operation happens after it, as after a SIGKILL. */
  private crashed = false;
  private lastFlushErrorLogMs = 0;

  private constructor(private readonly opts: SegmentLogOptions) {
    this.io = { ...defaultIo, ...opts.io };
  }

  /** Opens (or creates) the log in `opts.dir` and scans it for records to replay. */
  static async open(opts: SegmentLogOptions): Promise<OpenedLog> {
    const log = new SegmentLog(opts);
    await rm(join(opts.dir, ACKS_TMP), { force: true });
    const index = await log.loadIndex();
    const acked = new RangeSet(index?.acked ?? []);
    const ackedBelow = index?.ackedBelow ?? 0;
    const isAcked = (seq: number) => seq < ackedBelow || acked.has(seq);

    const names = (await readdir(opts.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    const pending: StoredRecord[] = [];
    const corrupt: CorruptRegion[] = [];
    let skippedAcked = 0;
    let maxSeq = -1;
    const ids = names.map((n) => Number(SEGMENT_RE.exec(n)?.[1]));
    // Unacknowledged seqs strictly between two known seqs: what a corrupt region cost.
    const lostBetween = (after: number, before: number) => {
      let n = 0;
      for (let s = after + 1; s < before && n < 10_000_000; s++) if (!isAcked(s)) n++;
      return n;
    };
    for (let f = 0; f < names.length; f++) {
      const name = names[f] as string;
      const id = ids[f] as number;
      const seg: Segment = { id, path: join(opts.dir, name), size: 0, live: 0, fh: undefined, broken: false };
      const buf = await readFile(seg.path);
      seg.size = buf.length;
      let pos = 0;
      // Seqs in a segment are consecutive from its id (failed appends are truncated away).
      let prevSeq = id - 1;
      while (pos < buf.length) {
        const r = parseRecord(buf, pos, opts.maxRecordBytes);
        if (r.ok) {
          const { seq } = r.header;
          maxSeq = Math.max(maxSeq, seq);
          prevSeq = seq;
          if (isAcked(seq) || log.live.has(seq)) skippedAcked++;
          else {
            const rec: StoredRecord = { ...r.header, segment: seg, offset: pos };
            seg.live++;
            log.live.set(seq, rec);
            pending.push(rec);
          }
          pos += HEADER_BYTES + r.header.payloadBytes;
          continue;
        }
        // Resync: the next offset where a whole valid record starts. The length field may be
        // the corrupted part, so it is not trusted; CRC makes a false match ~2^-32 likely.
        let next = buf.indexOf(RECORD_MAGIC, pos + 1);
        let nextHeader: RecordHeader | undefined;
        while (next !== -1) {
          const candidate = parseRecord(buf, next, opts.maxRecordBytes);
          if (candidate.ok) {
            nextHeader = candidate.header;
            break;
          }
          next = buf.indexOf(RECORD_MAGIC, next + 1);
        }
        const end = next === -1 ? buf.length : next;
        // How many unacknowledged records the region held: exact when a later record (or the
        // next segment) bounds it, at least one for a torn tail of the newest segment.
        const bound = nextHeader?.seq ?? ids[f + 1] ?? Math.max(index?.nextSeq ?? 0, prevSeq + 2);
        const records =
          nextHeader || ids[f + 1] !== undefined ? lostBetween(prevSeq, bound) : Math.max(1, lostBetween(prevSeq, bound));
        const claimed = r.problem === 'bad_crc' ? buf.readUInt32LE(pos + 20) : 0;
        const items = records === 1 && claimed > 0 && claimed < 1_000_000 ? claimed : records;
        corrupt.push({ file: name, offset: pos, bytes: end - pos, problem: r.problem, records, items });
        pos = end;
      }
      log.segments.set(id, seg);
    }
    pending.sort((a, b) => a.seq - b.seq);
    const maxAcked = acked.ranges.length > 0 ? (acked.ranges[acked.ranges.length - 1] as [number, number])[1] : -1;
    log.nextSeq = Math.max(maxSeq + 1, ackedBelow, maxAcked + 1, index?.nextSeq ?? 0);
    // In memory: everything below the oldest pending record, and every gap between pending
    // records up to nextSeq, is done.
    log.ackedBelow = pending.length > 0 ? (pending[0] as StoredRecord).seq : log.nextSeq;
    let prev = log.ackedBelow;
    for (const rec of pending) {
      log.ackedAbove.addRange(prev + 1, rec.seq - 1);
      prev = rec.seq;
    }
    if (pending.length > 0) log.ackedAbove.addRange(prev + 1, log.nextSeq - 1);
    // Fully-acknowledged segments from earlier runs go now; the index on disk already covers them.
    for (const seg of [...log.segments.values()]) if (seg.live === 0) await log.dropSegment(seg);
    return { log, pending, corrupt, skippedAcked };
  }

  private async loadIndex(): Promise<AckIndex | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.opts.dir, ACKS), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as AckIndex;
      if (parsed.v !== 1 || !Number.isSafeInteger(parsed.ackedBelow) || !Array.isArray(parsed.acked)) {
        throw new Error('unexpected shape');
      }
      return parsed;
    } catch (err) {
      // Replaying everything can only duplicate, never lose: the safe way out.
      this.opts.logger.error(
        { err, file: join(this.opts.dir, ACKS) },
        'durable queue ack index is unreadable; replaying every record on disk (duplicates possible)',
      );
      return undefined;
    }
  }

  /** Records not yet acknowledged, including those still being retried. */
  get liveCount(): number {
    return this.live.size;
  }

  /**
   * Appends one record. Concurrent calls are group-committed: one writev (and one fdatasync when
   * `fsync` is on) for everything queued while the previous batch was being written. Rejects
   * with the file-system error (ENOSPC, EIO, ...) after truncating the partial write away.
   */
  append(payload: Uint8Array, items: number, enqueuedAtMs: number): Promise<StoredRecord> {
    if (this.closed) return Promise.reject(new Error('segment log is closed'));
    return new Promise((resolve, reject) => {
      this.writes.push({ payload, items, enqueuedAtMs, resolve, reject });
      this.writing ??= this.drainWrites();
    });
  }

  private async drainWrites(): Promise<void> {
    try {
      while (this.writes.length > 0) {
        const batch = this.writes;
        this.writes = [];
        await this.writeBatch(batch);
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async writeBatch(batch: PendingWrite[]): Promise<void> {
    let bytes = 0;
    for (const w of batch) bytes += HEADER_BYTES + w.payload.byteLength;
    let seg: Segment;
    try {
      seg = await this.segmentFor(bytes);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    const firstSeq = this.nextSeq;
    const buffers: Buffer[] = [];
    for (let i = 0; i < batch.length; i++) {
      const w = batch[i] as PendingWrite;
      buffers.push(encodeHeader(firstSeq + i, w.items, w.enqueuedAtMs, w.payload));
      buffers.push(Buffer.from(w.payload.buffer, w.payload.byteOffset, w.payload.byteLength));
    }
    const sizeBefore = seg.size;
    const fh = seg.fh as FileHandle;
    try {
      const written = await this.io.writev(fh, buffers);
      if (written !== bytes) throw Object.assign(new Error(`short write: ${written} of ${bytes} bytes`), { code: 'EIO' });
      if (this.opts.fsync) await fh.datasync();
    } catch (err) {
      // Never leave a torn record in front of later appends: cut the file back.
      try {
        await fh.truncate(sizeBefore);
      } catch {
        seg.broken = true;
      }
      // Burnt seqs: never written, so mark them done and never wait for them.
      this.ackedAbove.addRange(firstSeq, firstSeq + batch.length - 1);
      this.nextSeq += batch.length;
      this.advanceAckedBelow();
      for (const w of batch) w.reject(err);
      return;
    }
    this.nextSeq += batch.length;
    let offset = sizeBefore;
    for (let i = 0; i < batch.length; i++) {
      const w = batch[i] as PendingWrite;
      const rec: StoredRecord = {
        seq: firstSeq + i,
        items: w.items,
        enqueuedAtMs: w.enqueuedAtMs,
        payloadBytes: w.payload.byteLength,
        segment: seg,
        offset,
      };
      offset += HEADER_BYTES + w.payload.byteLength;
      seg.live++;
      this.live.set(rec.seq, rec);
      w.resolve(rec);
    }
    seg.size = offset;
  }

  /** The segment to append `bytes` to: the active one, or a fresh one when it is full or broken. */
  private async segmentFor(bytes: number): Promise<Segment> {
    const cur = this.active;
    if (cur && !cur.broken && (cur.size === 0 || cur.size + bytes <= this.opts.segmentBytes)) return cur;
    const id = this.nextSeq;
    const seg: Segment = {
      id,
      path: join(this.opts.dir, segmentName(id)),
      size: 0,
      live: 0,
      fh: undefined,
      broken: false,
    };
    seg.fh = await open(seg.path, 'a+');
    const { size } = await seg.fh.stat();
    seg.size = size; // non-zero only if a failed run left bytes here; appends go after them
    if (this.opts.fsync) await this.syncDir();
    this.segments.set(id, seg);
    this.active = seg;
    if (cur && cur.live === 0) this.markDirty(); // let the flusher delete it
    return seg;
  }

  /** Reads a record's payload back; undefined when its bytes no longer check out. */
  async read(rec: StoredRecord): Promise<Buffer | undefined> {
    const seg = rec.segment;
    seg.fh ??= await open(seg.path, 'r');
    const buf = Buffer.allocUnsafe(HEADER_BYTES + rec.payloadBytes);
    const { bytesRead } = await seg.fh.read(buf, 0, buf.length, rec.offset);
    if (bytesRead !== buf.length) return undefined;
    return verifyRecord(buf, rec.seq);
  }

  /** Marks a record done (delivered or permanently rejected). Idempotent. */
  ack(rec: StoredRecord): void {
    if (!this.live.delete(rec.seq)) return;
    rec.segment.live--;
    this.ackedAbove.add(rec.seq);
    this.advanceAckedBelow();
    this.markDirty();
  }

  /** Moves `ackedBelow` over every leading acknowledged seq. */
  private advanceAckedBelow(): void {
    const first = this.ackedAbove.first();
    if (first && first[0] <= this.ackedBelow) {
      this.ackedBelow = Math.max(this.ackedBelow, first[1] + 1);
      this.ackedAbove.dropBelow(this.ackedBelow);
    }
  }

  private markDirty(): void {
    this.dirty = true;
    if (!this.closed) this.flushing ??= this.flushLoop();
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        await this.writeIndex();
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Persists the ack index now and deletes fully-acknowledged segments. */
  async flush(): Promise<void> {
    await this.writing;
    await this.flushing;
    this.dirty = true;
    await this.flushLoop();
  }

  private async writeIndex(): Promise<void> {
    const ranges = this.ackedAbove.ranges.map(([a, b]) => [a, b] as [number, number]);
    const index: AckIndex = { v: 1, ackedBelow: this.ackedBelow, acked: ranges, nextSeq: this.nextSeq };
    const deletable = [...this.segments.values()].filter((s) => s.live === 0 && s !== this.active);
    const tmp = join(this.opts.dir, ACKS_TMP);
    try {
      await this.io.writeFile(tmp, JSON.stringify(index), this.opts.fsync);
      if (this.crashed) return;
      await rename(tmp, join(this.opts.dir, ACKS));
      if (this.opts.fsync) await this.syncDir();
    } catch (err) {
      // The old index stays valid; the window of redeliverable records grows until this works.
      const now = Date.now();
      if (now - this.lastFlushErrorLogMs > 10_000) {
        this.lastFlushErrorLogMs = now;
        this.opts.logger.error({ err, dir: this.opts.dir }, 'cannot persist durable queue ack index; will retry');
      }
      await rm(tmp, { force: true }).catch(() => {});
      return;
    }
    for (const seg of deletable) await this.dropSegment(seg);
  }

  private async dropSegment(seg: Segment): Promise<void> {
    this.segments.delete(seg.id);
    const fh = seg.fh;
    seg.fh = undefined;
    await fh?.close().catch(() => {});
    await rm(seg.path, { force: true }).catch((err) => {
      this.opts.logger.warn({ err, file: seg.path }, 'cannot delete acknowledged queue segment');
    });
  }

  private async syncDir(): Promise<void> {
    const dh = await open(this.opts.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }

  /** Bytes of segment files currently on disk. */
  get diskBytes(): number {
    let n = 0;
    for (const s of this.segments.values()) n += s.size;
    return n;
  }

  /** Finishes pending writes, persists the ack index and closes every file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    for (const seg of this.segments.values()) {
      await seg.fh?.close().catch(() => {});
      seg.fh = undefined;
    }
  }

  /** Test hook: stop like a SIGKILL would, persisting nothing more. */
  crash(): void {
    this.closed = true;
    this.crashed = true;
    this.dirty = false;
    for (const seg of this.segments.values()) {
      void seg.fh?.close().catch(() => {});
      seg.fh = undefined;
    }
  }
}
