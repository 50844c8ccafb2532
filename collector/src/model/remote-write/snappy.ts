/**
 * Snappy block compression for remote-write bodies (the `snappy` native binding; its one-shot
 * `compress`/`uncompress` are the block format remote-write uses, not the framed stream format).
 * The async variants run on libuv's thread pool, off the event loop.
 */
import snappy from 'snappy';
import { errors } from '../../errors.js';

/** Compresses an encoded WriteRequest. */
export async function compressBody(body: Uint8Array): Promise<Buffer> {
  return snappy.compress(body);
}

/** Compresses synchronously (benchmarks, tests). */
export function compressBodySync(body: Uint8Array): Buffer {
  return snappy.compressSync(body);
}

/**
 * The uncompressed length a snappy block declares in its varint preamble, or -1 when the
 * preamble is malformed. Read before inflating so a small body cannot claim gigabytes.
 */
export function snappyDeclaredLength(body: Uint8Array): number {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < body.length && i < 5; i++) {
    const b = body[i];
    result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return result;
    shift += 7;
  }
  return -1;
}

/**
 * Inflates a snappy block. Throws STITCH_ERR_BODY_TOO_LARGE when it declares more than
 * `maxBytes`, STITCH_ERR_DECODE when it is not valid snappy.
 */
export async function decompressBody(body: Uint8Array, maxBytes: number): Promise<Buffer> {
  const declared = snappyDeclaredLength(body);
  if (declared < 0) throw errors.STITCH_ERR_DECODE(['snappy body', 'corrupt input: bad length preamble']);
  if (declared > maxBytes) throw errors.STITCH_ERR_BODY_TOO_LARGE([maxBytes]);
  try {
    return (await snappy.uncompress(body, { asBuffer: true })) as Buffer;
  } catch (err) {
    throw errors.STITCH_ERR_DECODE(['snappy body', (err as Error).message], { cause: err });
  }
}
