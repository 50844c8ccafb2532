/**
 * How a batch crosses to the sender thread without allocating: its request bytes and its scan's
 * typed arrays are packed into one ArrayBuffer taken from a pool, transferred to the thread, read
 * there through views, and transferred back with the answer for the next batch. Fresh buffers
 * per batch (a copy of the bytes plus a clone of every array) were external memory both isolates
 * had to account for: the exporter's thread ran three times the mark-compacts of the event-loop
 * sender (bench/README.md).
 */

type Typed = Int32Array | Float64Array | Uint8Array;
const KINDS = { i32: Int32Array, f64: Float64Array, u8: Uint8Array } as const;
type Kind = keyof typeof KINDS;

/** Where each part of a packed scan is: the bytes first, then each array 8-byte aligned. */
export interface PackLayout {
  bytesLength: number;
  arrays: [name: string, kind: Kind, offset: number, length: number][];
  /** The scan's plain number fields. */
  numbers: Record<string, number>;
}

function kindOf(a: Typed): Kind {
  return a instanceof Int32Array ? 'i32' : a instanceof Float64Array ? 'f64' : 'u8';
}

const align8 = (n: number) => (n + 7) & ~7;

/** The size a scan packs into. */
function packedSize(scan: { bytes: Uint8Array }): number {
  let size = align8(scan.bytes.byteLength);
  for (const v of Object.values(scan)) {
    if (ArrayBuffer.isView(v) && v !== scan.bytes) size += align8((v as Typed).byteLength);
  }
  return size;
}

/** Reused ArrayBuffers by size class (powers of two from 64 KiB), at most `maxHeldBytes` held. */
export class CrossingPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private held = 0;

  constructor(private readonly maxHeldBytes = 16 * 1024 * 1024) {}

  /** A buffer of at least `size` bytes (its class's size). */
  take(size: number): ArrayBuffer {
    let cls = 65536;
    while (cls < size) cls *= 2;
    const list = this.free.get(cls);
    const b = list?.pop();
    if (b !== undefined) {
      this.held -= b.byteLength;
      return b;
    }
    return new ArrayBuffer(cls);
  }

  /** Gives back a buffer that came home; dropped when the pool holds enough. */
  give(b: ArrayBuffer): void {
    if (this.held + b.byteLength > this.maxHeldBytes || b.byteLength < 65536 || (b.byteLength & (b.byteLength - 1)) !== 0) return;
    let list = this.free.get(b.byteLength);
    if (list === undefined) this.free.set(b.byteLength, (list = []));
    list.push(b);
    this.held += b.byteLength;
  }
}

/** Packs `scan` (its `bytes` and every typed array; numbers by value) into a pooled buffer. */
export function packScan(scan: { bytes: Uint8Array }, pool: CrossingPool): { buffer: ArrayBuffer; layout: PackLayout } {
  const buffer = pool.take(packedSize(scan));
  const u8 = new Uint8Array(buffer);
  u8.set(scan.bytes, 0);
  let at = align8(scan.bytes.byteLength);
  const layout: PackLayout = { bytesLength: scan.bytes.byteLength, arrays: [], numbers: {} };
  for (const [name, v] of Object.entries(scan)) {
    if (name === 'bytes') continue;
    if (typeof v === 'number') layout.numbers[name] = v;
    else if (ArrayBuffer.isView(v)) {
      const a = v as Typed;
      u8.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
      layout.arrays.push([name, kindOf(a), at, a.length]);
      at += align8(a.byteLength);
    } else throw new TypeError(`cannot pack scan field ${name} (${typeof v})`);
  }
  return { buffer, layout };
}

/** The scan `packScan` packed, as views into `buffer` (valid until the buffer goes back). */
export function unpackScan<T>(buffer: ArrayBuffer, layout: PackLayout): T {
  const scan: Record<string, unknown> = { ...layout.numbers, bytes: Buffer.from(buffer, 0, layout.bytesLength) };
  for (const [name, kind, offset, length] of layout.arrays) scan[name] = new KINDS[kind](buffer, offset, length);
  return scan as T;
}

/** Packs plain request bytes (a materialised batch, encoded) the same way. */
export function packBytes(bytes: Uint8Array, pool: CrossingPool): { buffer: ArrayBuffer; length: number } {
  const buffer = pool.take(bytes.byteLength);
  new Uint8Array(buffer).set(bytes, 0);
  return { buffer, length: bytes.byteLength };
}
