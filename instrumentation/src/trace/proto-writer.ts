/**
 * A minimal protobuf writer for the server-span encoder (./span-encoder.ts). Written by hand:
 * protobufjs' Writer builds a linked list of operations per field, and the otlp-transformer's
 * ProtobufWriter is internal to that package and sizes whole requests in a first pass; neither
 * appends one span at a time into a long-lived batch buffer with precomputed byte chunks, which
 * is what keeps a span at a few hundred nanoseconds.
 *
 * Wire format: https://protobuf.dev/programming-guides/encoding/ (varints, fixed64 little-endian,
 * length-delimited fields).
 */

/** Wire types. */
export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

/** The first byte(s) of a field: `(field << 3) | wireType` as a varint. */
export function tagBytes(field: number, wireType: number): number[] {
  const out: number[] = [];
  let v = (field << 3) | wireType;
  while (v > 127) {
    out.push((v & 127) | 128);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** A growable byte buffer with protobuf primitives. Reused across batches; not thread-safe. */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialBytes: number) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Makes room for `n` more bytes (doubling; the content is kept). */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** An unsigned varint below 2^32. */
  uint32(v: number): void {
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    v >>>= 0;
    while (v > 127) {
      b[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    b[p++] = v;
    this.pos = p;
  }

  /** A signed 64-bit varint from a safe integer (negative numbers take ten bytes, as protobuf says). */
  int64(v: number): void {
    if (v >= 0 && v <= 0xffffffff) {
      this.uint32(v);
      return;
    }
    this.ensure(10);
    let lo: number;
    let hi: number;
    if (v >= 0) {
      lo = v >>> 0;
      hi = Math.floor(v / 4294967296) >>> 0;
    } else {
      const a = -v;
      lo = ~(a >>> 0) >>> 0;
      hi = ~Math.floor(a / 4294967296) >>> 0;
      lo = (lo + 1) >>> 0;
      if (lo === 0) hi = (hi + 1) >>> 0;
    }
    const b = this.buf;
    let p = this.pos;
    while (hi > 0 || lo > 127) {
      b[p++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[p++] = lo;
    this.pos = p;
  }

  /** One byte (a one-byte tag or a small varint). */
  byte(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  /** A fixed64 from its low and high 32 bits. */
  fixed64(lo: number, hi: number): void {
    this.ensure(8);
    const b = this.buf;
    const p = this.pos;
    b[p] = lo;
    b[p + 1] = lo >>> 8;
    b[p + 2] = lo >>> 16;
    b[p + 3] = lo >>> 24;
    b[p + 4] = hi;
    b[p + 5] = hi >>> 8;
    b[p + 6] = hi >>> 16;
    b[p + 7] = hi >>> 24;
    this.pos = p + 8;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** A length-prefixed UTF-8 string; ASCII (the common case for IDs, paths, routes) is copied in JS. */
  string(s: string): void {
    const n = s.length;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 127) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.uint32(n);
      this.ensure(n);
      const b = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
      this.pos = p;
      return;
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.uint32(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  /** A length-prefixed bytes field from an even-length hex string (trace and span IDs). */
  hexBytes(hex: string): void {
    const n = hex.length >>> 1;
    this.uint32(n);
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      b[p++] = (HEX_VALUE[hex.charCodeAt(2 * i) & 127]! << 4) | HEX_VALUE[hex.charCodeAt(2 * i + 1) & 127]!;
    }
    this.pos = p;
  }

  /** Length-prefixed raw bytes. */
  bytes(v: Uint8Array): void {
    this.uint32(v.length);
    this.raw(v);
  }

  /** Bytes as they are (a precomputed chunk). */
  raw(chunk: Uint8Array): void {
    const n = chunk.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    // A JS loop beats TypedArray#set's native call for short chunks (key names); set() wins on longer ones.
    if (n > 32) {
      b.set(chunk, p);
      p += n;
    } else {
      for (let i = 0; i < n; i++) b[p++] = chunk[i]!;
    }
    this.pos = p;
  }

  /**
   * Starts a length-delimited field whose length is not known yet: reserves `reserve` bytes for
   * the length varint. Returns the position to pass to {@link finishLength}.
   */
  beginLength(reserve: 1 | 2): number {
    this.ensure(reserve);
    const at = this.pos;
    this.pos += reserve;
    return at;
  }

  /** Writes the length of the field begun at `at`, moving the content when the varint's size differs. */
  finishLength(at: number, reserve: 1 | 2): void {
    const start = at + reserve;
    const len = this.pos - start;
    const size = len < 128 ? 1 : len < 16384 ? 2 : len < 2097152 ? 3 : len < 268435456 ? 4 : 5;
    if (size !== reserve) {
      this.ensure(size - reserve);
      this.buf.copyWithin(at + size, start, this.pos);
      this.pos += size - reserve;
    }
    const b = this.buf;
    let p = at;
    let v = len;
    while (v > 127) {
      b[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    b[p] = v;
  }

  /** The bytes written so far, as a standalone plain Uint8Array (one element map for chunk reads). */
  toBytes(): Uint8Array {
    return new Uint8Array(this.buf.subarray(0, this.pos));
  }
}
