/**
 * One tracked file: its handle, fingerprint and offsets, and the line splitter. Reads are
 * bounded (`maxBytes` per call); an unterminated last line is carried (at most `max_log_size`
 * bytes) and a longer line is cut at `max_log_size` and the rest skipped up to its newline.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { fingerprintHash } from './checkpoint.js';

/** Called for each complete line: its text and the byte offsets around it. */
export type LineSink = (line: string, start: number, end: number) => void;

/** What one read did. */
export interface ReadResult {
  bytes: number;
  lines: number;
  truncated: number;
}

/** A file being followed. */
export class FileReader {
  /** The path it was last seen at. */
  path: string;
  fh: FileHandle | undefined;
  dev = 0;
  ino = 0;
  /** First bytes of the file (up to `fingerprint_size`); the file's identity. */
  fp: Buffer;
  private hash: string | undefined;
  /** Everything before this byte was accepted downstream (or deliberately skipped). */
  offset: number;
  /** Bytes consumed from the file so far (lines emitted, plus `carry`). */
  readPos: number;
  /** The file's size when last stat'ed: reads in this poll stop there. */
  size = 0;
  private carry: Buffer | undefined;
  private skipping = false;
  /** Polls since this file was last matched; pruned after a few. */
  missedPolls = 0;
  /** Cached file attributes (`log.file.name` etc.). */
  readonly attributes: Record<string, string> = {};

  constructor(path: string, fp: Buffer, offset: number) {
    this.path = path;
    this.fp = fp;
    this.offset = offset;
    this.readPos = offset;
  }

  /** Hash of the fingerprint (cached until the fingerprint changes). */
  get fpHash(): string {
    this.hash ??= fingerprintHash(this.fp);
    return this.hash;
  }

  /** Replaces the fingerprint (it grew, or the file was replaced in place). */
  setFingerprint(fp: Buffer): void {
    this.fp = fp;
    this.hash = undefined;
  }

  /** Restarts from `offset` (file truncated or replaced; or a read was not accepted). */
  rewind(offset: number): void {
    this.offset = offset;
    this.readPos = offset;
    this.carry = undefined;
    this.skipping = false;
  }

  /** True when bytes remain between `readPos` and the size seen at the last stat. */
  get hasData(): boolean {
    return this.readPos < this.size;
  }

  /** The offset the next checkpoint may hold: the start of the carried partial line, if any. */
  get lineBoundary(): number {
    return this.skipping ? this.readPos : this.readPos - (this.carry?.length ?? 0);
  }

  /** Opens the file if needed. Returns false when the path now holds a different file. */
  async ensureOpen(): Promise<boolean> {
    if (this.fh) return true;
    const fh = await open(this.path, 'r').catch(() => undefined);
    if (!fh) return false;
    const st = await fh.stat();
    if (st.dev !== this.dev || st.ino !== this.ino) {
      await fh.close();
      return false;
    }
    this.fh = fh;
    return true;
  }

  /** Closes the handle (idempotent). */
  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => {});
  }

  /**
   * Reads up to `maxBytes` (never past `size`) and hands complete lines to `sink`.
   * `maxLogSize` bounds a line; a longer one is cut and counted in `truncated`.
   */
  async read(maxBytes: number, maxLogSize: number, sink: LineSink): Promise<ReadResult> {
    const result: ReadResult = { bytes: 0, lines: 0, truncated: 0 };
    const want = Math.min(maxBytes, this.size - this.readPos);
    if (want <= 0 || !this.fh) return result;
    const chunk = Buffer.allocUnsafe(want);
    const { bytesRead } = await this.fh.read(chunk, 0, want, this.readPos);
    if (bytesRead === 0) {
      this.size = this.readPos; // shrank under us; the next poll's stat sorts it out
      return result;
    }
    result.bytes = bytesRead;
    const carry = this.carry;
    const data = carry ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    const base = this.readPos - (carry?.length ?? 0);
    this.readPos += bytesRead;
    this.carry = undefined;
    let pos = 0;
    for (;;) {
      const nl = data.indexOf(10, pos);
      if (nl === -1) break;
      if (this.skipping) {
        this.skipping = false; // the newline ending an over-long line: its tail is dropped
        pos = nl + 1;
        continue;
      }
      let end = nl > pos && data[nl - 1] === 13 ? nl - 1 : nl;
      if (end - pos > maxLogSize) {
        end = pos + maxLogSize;
        result.truncated++;
      }
      sink(data.toString('utf8', pos, end), base + pos, base + nl + 1);
      result.lines++;
      pos = nl + 1;
    }
    const rest = data.length - pos;
    if (this.skipping || rest === 0) return result;
    if (rest > maxLogSize) {
      // No newline within max_log_size: emit the cut line now and skip to the next newline, so
      // the carry never grows beyond max_log_size.
      sink(data.toString('utf8', pos, pos + maxLogSize), base + pos, this.readPos);
      result.lines++;
      result.truncated++;
      this.skipping = true;
      return result;
    }
    this.carry = Buffer.from(data.subarray(pos)); // a copy, so the chunk is not retained
    return result;
  }

  /** Fills `log.file.*` attributes for the options that are on. */
  setAttributes(o: { name: boolean; path: boolean; nameResolved: boolean; pathResolved: boolean }, resolved?: string): void {
    const a = this.attributes;
    for (const k in a) delete a[k];
    if (o.name) a['log.file.name'] = basename(this.path);
    if (o.path) a['log.file.path'] = this.path;
    if (resolved !== undefined) {
      if (o.nameResolved) a['log.file.name_resolved'] = basename(resolved);
      if (o.pathResolved) a['log.file.path_resolved'] = resolved;
    }
  }
}
