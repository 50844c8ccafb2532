/**
 * The framing of one durable-queue record on disk. Hand-written: it is 30 lines of fixed-width
 * header plus node:zlib's crc32, and no well-kept npm library provides a crash-safe segmented
 * log with the replay rules we need (skip a corrupt record, keep the rest).
 *
 * ```
 * offset size field
 *      0    4 magic "STQ1"           resync point after a corrupt region
 *      4    4 payload length (u32 LE)
 *      8    4 crc32 of bytes 12 .. 32+length (seq, items, time, payload)
 *     12    8 seq (u64 LE)           position in the queue, never reused
 *     20    4 items (u32 LE)         spans / data points / log records in the payload
 *     24    8 enqueued at (f64 LE)   ms since the epoch, for the oldest-item-age gauge
 *     32    n payload                the OTLP Export*ServiceRequest, protobuf (model/otlp-codec)
 * ```
 */
import { crc32 } from 'node:zlib';

/** The four bytes every record starts with. */
export const RECORD_MAGIC = Buffer.from('STQ1', 'latin1');
/** Bytes before the payload. */
export const HEADER_BYTES = 32;

/** What a record header says about its payload. */
export interface RecordHeader {
  seq: number;
  items: number;
  enqueuedAtMs: number;
  payloadBytes: number;
}

/** Builds the header for `payload`; the payload itself is written right after it (writev). */
export function encodeHeader(seq: number, items: number, enqueuedAtMs: number, payload: Uint8Array): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  RECORD_MAGIC.copy(h, 0);
  h.writeUInt32LE(payload.byteLength, 4);
  h.writeBigUInt64LE(BigInt(seq), 12);
  h.writeUInt32LE(items, 20);
  h.writeDoubleLE(enqueuedAtMs, 24);
  h.writeUInt32LE(crc32(payload, crc32(h.subarray(12, HEADER_BYTES))), 8);
  return h;
}

/** Why a record could not be read. */
export type RecordProblem = 'bad_magic' | 'bad_length' | 'truncated' | 'bad_crc';

/**
 * Parses the record at `pos` of `buf` (a whole segment file). Returns the header, or the reason
 * it is unusable. `maxPayloadBytes` rejects absurd lengths from a corrupted header before they
 * are trusted.
 */
export function parseRecord(
  buf: Buffer,
  pos: number,
  maxPayloadBytes: number,
): { ok: true; header: RecordHeader } | { ok: false; problem: RecordProblem } {
  if (buf.length - pos < HEADER_BYTES) return { ok: false, problem: 'truncated' };
  if (buf.compare(RECORD_MAGIC, 0, 4, pos, pos + 4) !== 0) return { ok: false, problem: 'bad_magic' };
  const payloadBytes = buf.readUInt32LE(pos + 4);
  if (payloadBytes > maxPayloadBytes) return { ok: false, problem: 'bad_length' };
  const end = pos + HEADER_BYTES + payloadBytes;
  if (end > buf.length) return { ok: false, problem: 'truncated' };
  const crc = crc32(buf.subarray(pos + 12, end));
  if (crc !== buf.readUInt32LE(pos + 8)) return { ok: false, problem: 'bad_crc' };
  return {
    ok: true,
    header: {
      seq: Number(buf.readBigUInt64LE(pos + 12)),
      items: buf.readUInt32LE(pos + 20),
      enqueuedAtMs: buf.readDoubleLE(pos + 24),
      payloadBytes,
    },
  };
}

/** Checks a record read back on its own (header + payload) and returns the payload. */
export function verifyRecord(buf: Buffer, expectedSeq: number): Buffer | undefined {
  const r = parseRecord(buf, 0, buf.length);
  if (!r.ok || r.header.seq !== expectedSeq || r.header.payloadBytes !== buf.length - HEADER_BYTES) return undefined;
  return buf.subarray(HEADER_BYTES);
}
