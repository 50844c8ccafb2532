import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RangeSet } from './ranges.js';
import { HEADER_BYTES } from './record.js';
import { type LogIo, SegmentLog, type SegmentLogOptions, writevFully } from './segment-log.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'stitch-seglog-'));
  dirs.push(d);
  return d;
}

const opts = (dir: string, over: Partial<SegmentLogOptions> = {}): SegmentLogOptions => ({
  dir,
  fsync: false,
  segmentBytes: 256,
  maxRecordBytes: 1 << 20,
  logger: pino({ level: 'silent' }),
  ...over,
});

const payload = (i: number) => Buffer.from(`payload-${i}-${'x'.repeat(40)}`);
const text = (b: Buffer | undefined) => b?.toString().split('-').slice(0, 2).join('-');

async function appendMany(log: SegmentLog, from: number, to: number) {
  const recs = [];
  for (let i = from; i < to; i++) recs.push(await log.append(payload(i), 1, Date.now()));
  return recs;
}

describe('RangeSet', () => {
  it('merges adjacent and overlapping ranges', () => {
    const r = new RangeSet();
    for (const n of [5, 7, 6, 1, 2, 10]) r.add(n);
    expect(r.ranges).toEqual([
      [1, 2],
      [5, 7],
      [10, 10],
    ]);
    r.addRange(3, 9);
    expect(r.ranges).toEqual([[1, 10]]);
    r.dropBelow(4);
    expect(r.ranges).toEqual([[4, 10]]);
    expect(r.has(3)).toBe(false);
    expect(r.has(4)).toBe(true);
  });
});

describe('SegmentLog', () => {
  it('replays unacknowledged records in order after a reopen, and only those', async () => {
    const dir = await tempDir();
    const { log } = await SegmentLog.open(opts(dir));
    const recs = await appendMany(log, 0, 10);
    for (const i of [0, 1, 2, 5, 7]) log.ack(recs[i] as (typeof recs)[number]);
    await log.close();

    const again = await SegmentLog.open(opts(dir));
    expect(again.pending.map((r) => r.seq)).toEqual([3, 4, 6, 8, 9]);
    expect(await Promise.all(again.pending.map(async (r) => text(await again.log.read(r))))).toEqual([
      'payload-3',
      'payload-4',
      'payload-6',
      'payload-8',
      'payload-9',
    ]);
    expect(again.corrupt).toEqual([]);
    // New records never reuse a seq.
    const next = await again.log.append(payload(10), 1, Date.now());
    expect(next.seq).toBe(10);
    await again.log.close();
  });

  it('rotates segments and deletes a segment once all its records are acknowledged', async () => {
    const dir = await tempDir();
    const { log } = await SegmentLog.open(opts(dir));
    const recs = await appendMany(log, 0, 12); // ~82 bytes each: 3 per 256-byte segment
    const segments = () => readdir(dir).then((n) => n.filter((f) => f.startsWith('segment-')).length);
    expect(await segments()).toBe(4);
    for (const r of recs.slice(0, 6)) log.ack(r);
    await log.flush();
    expect(await segments()).toBe(2);
    for (const r of recs.slice(6)) log.ack(r);
    await log.flush();
    expect(await segments()).toBe(1); // the active segment stays
    await log.close();
    const again = await SegmentLog.open(opts(dir));
    expect(again.pending).toEqual([]);
    expect(await segments()).toBe(0);
    await again.log.close();
  });

  it('skips a corrupted record in the middle, reports it, and replays the rest', async () => {
    const dir = await tempDir();
    const { log } = await SegmentLog.open(opts(dir, { segmentBytes: 1 << 20 }));
    const recs = await appendMany(log, 0, 5);
    await log.close();
    const file = join(dir, (await readdir(dir)).find((f) => f.startsWith('segment-')) as string);
    const bytes = await readFile(file);
    const r2 = recs[2] as (typeof recs)[number];
    bytes[r2.offset + HEADER_BYTES + 3] ^= 0xff; // flip payload bits of record 2
    await writeFile(file, bytes);

    const again = await SegmentLog.open(opts(dir));
    expect(again.pending.map((r) => r.seq)).toEqual([0, 1, 3, 4]);
    expect(again.corrupt).toHaveLength(1);
    expect(again.corrupt[0]).toMatchObject({ problem: 'bad_crc', records: 1, items: 1 });
    await again.log.close();
  });

  it('resyncs after a corrupted length field and after a truncated tail', async () => {
    const dir = await tempDir();
    const { log } = await SegmentLog.open(opts(dir, { segmentBytes: 1 << 20 }));
    const recs = await appendMany(log, 0, 6);
    await log.close();
    const file = join(dir, (await readdir(dir)).find((f) => f.startsWith('segment-')) as string);
    const bytes = await readFile(file);
    bytes.writeUInt32LE(0xfffffff0, (recs[1] as (typeof recs)[number]).offset + 4); // absurd length
    await writeFile(file, bytes);
    await truncate(file, bytes.length - 10); // torn last record

    const again = await SegmentLog.open(opts(dir));
    expect(again.pending.map((r) => r.seq)).toEqual([0, 2, 3, 4]);
    expect(again.corrupt.map((c) => [c.problem, c.records])).toEqual([
      ['bad_length', 1],
      ['truncated', 1],
    ]);
    await again.log.close();
  });

  it('treats an unreadable ack index as "nothing acknowledged" (duplicates, never loss)', async () => {
    const dir = await tempDir();
    const { log } = await SegmentLog.open(opts(dir, { segmentBytes: 1 << 20 }));
    const recs = await appendMany(log, 0, 4);
    log.ack(recs[0] as (typeof recs)[number]);
    await log.close();
    await writeFile(join(dir, 'acks.json'), '{"v":1,"acked');
    const again = await SegmentLog.open(opts(dir));
    expect(again.pending.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
    await again.log.close();
  });

  it('a crash before the ack index is written redelivers those records (the at-least-once window)', async () => {
    const dir = await tempDir();
    const { log } = await SegmentLog.open(opts(dir, { segmentBytes: 1 << 20 }));
    const recs = await appendMany(log, 0, 4);
    log.ack(recs[0] as (typeof recs)[number]);
    await log.flush();
    log.ack(recs[1] as (typeof recs)[number]);
    log.crash(); // the second ack never reached acks.json
    const again = await SegmentLog.open(opts(dir));
    expect(again.pending.map((r) => r.seq)).toEqual([1, 2, 3]);
    await again.log.close();
  });

  it('on ENOSPC rejects the append, truncates the partial write, and keeps every earlier record', async () => {
    const dir = await tempDir();
    let full = false;
    const io: Partial<LogIo> = {
      async writev(fh, buffers) {
        if (full) {
          await fh.write((buffers[0] as Buffer).subarray(0, 10)); // a partial write, then the disk is full
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        return (await fh.writev(buffers)).bytesWritten;
      },
    };
    const { log } = await SegmentLog.open(opts(dir, { segmentBytes: 1 << 20, io }));
    await appendMany(log, 0, 3);
    full = true;
    await expect(log.append(payload(3), 1, Date.now())).rejects.toMatchObject({ code: 'ENOSPC' });
    full = false;
    await appendMany(log, 4, 6);
    await log.close();
    const again = await SegmentLog.open(opts(dir));
    expect(again.corrupt).toEqual([]);
    expect(await Promise.all(again.pending.map(async (r) => text(await again.log.read(r))))).toEqual([
      'payload-0',
      'payload-1',
      'payload-2',
      'payload-4',
      'payload-5',
    ]);
    await again.log.close();
  });

  it('keeps writing after a short writev, so a disk filling up mid-write surfaces as ENOSPC', async () => {
    // Linux writes what fits and returns the short count; only the next call fails with ENOSPC.
    let room = 23;
    const out: Buffer[] = [];
    const writev = async (bufs: Buffer[]) => {
      if (room === 0) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      const all = Buffer.concat(bufs).subarray(0, Math.min(room, 7));
      room -= all.length;
      out.push(all);
      return all.length;
    };
    const bufs = [Buffer.from('0123456789'), Buffer.from('abc'), Buffer.from('ABCDEFGHIJ')];
    expect(await writevFully(writev, bufs)).toBe(23);
    expect(Buffer.concat(out).toString()).toBe('0123456789abcABCDEFGHIJ');
    room = 5;
    await expect(writevFully(writev, [Buffer.from('more than five')])).rejects.toMatchObject({ code: 'ENOSPC' });
  });

  it('group-commits concurrent appends into one write', async () => {
    const dir = await tempDir();
    let writes = 0;
    const io: Partial<LogIo> = {
      async writev(fh, buffers) {
        writes++;
        return (await fh.writev(buffers)).bytesWritten;
      },
    };
    const { log } = await SegmentLog.open(opts(dir, { segmentBytes: 1 << 20, io, fsync: true }));
    const recs = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(payload(i), 1, Date.now())));
    expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(writes).toBeLessThanOrEqual(2);
    await log.close();
  });
});
