/**
 * Protobuf wire primitives shared by the hand-written encoders (remote-write's
 * `model/remote-write/encode.ts`, Loki's `exporters/loki/push-encode.ts`): sizes for their first
 * pass, varint writes for their second, on the encoder's own cursor. No allocation.
 */

/** An encoder's output and where it writes next. */
export interface WireCursor {
  buf: Buffer;
  pos: number;
}

const TWO_32 = 4294967296;

/** A uint32 as a varint at `w.pos`. */
export function writeVarint32(w: WireCursor, n: number): void {
  const b = w.buf;
  let p = w.pos;
  while (n > 0x7f) {
    b[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  b[p++] = n;
  w.pos = p;
}

/** A safe integer as an int64 varint (two's complement over 64 bits when negative, as protobufjs). */
export function writeVarint64(w: WireCursor, n: number): void {
  if (n >= 0 && n <= 0x7fffffff) {
    writeVarint32(w, n);
    return;
  }
  if (n < 0) {
    // Rare (timestamps before 1970), so BigInt is fine here.
    let b = BigInt.asUintN(64, BigInt(n));
    while (b > 0x7fn) {
      w.buf[w.pos++] = Number(b & 0x7fn) | 0x80;
      b >>= 7n;
    }
    w.buf[w.pos++] = Number(b);
    return;
  }
  let lo = n % TWO_32;
  let hi = Math.floor(n / TWO_32);
  while (hi > 0) {
    w.buf[w.pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
    hi >>>= 7;
  }
  writeVarint32(w, lo);
}

/** Strings shorter than this are measured by a JS loop; longer ones natively (a V8 fast API call wins past a few characters). */
export const SHORT_STRING = 24;

/** Bytes of a uint32 varint. */
export function varint32Len(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Bytes of an int64 varint of a safe integer (negative numbers take 10 bytes). */
export function varint64Len(n: number): number {
  if (n < 0) return 10;
  if (n < 0x10000000) return varint32Len(n);
  if (n < 34359738368) return 5; // 2^35
  if (n < 4398046511104) return 6; // 2^42
  if (n < 562949953421312) return 7; // 2^49
  return 8; // up to 2^56 > MAX_SAFE_INTEGER
}

/** UTF-8 byte length of `s` without allocating (a lone surrogate counts 3, as U+FFFD). */
export function utf8Length(s: string): number {
  const n = s.length;
  if (n >= SHORT_STRING) return Buffer.byteLength(s, 'utf8');
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 2; // a surrogate pair is 4 bytes for 2 UTF-16 units
        i++;
      } else bytes += 2; // lone surrogate → U+FFFD (3 bytes)
    } else bytes += 2;
  }
  return bytes;
}
