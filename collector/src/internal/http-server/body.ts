/**
 * Reads a request body with its Content-Encoding undone, bounded by a byte limit on both the
 * bytes received and the bytes inflated: a gzip bomb stops inflating at the limit instead of
 * filling memory. Node's zlib does the decompression (gzip, deflate, zstd).
 */
import type { Readable, Transform } from 'node:stream';
import { createGunzip, createInflate, createZstdDecompress } from 'node:zlib';
import { errors, type StitchError } from '../../errors.js';

const DECOMPRESSORS: Readonly<Record<string, () => Transform>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  zstd: createZstdDecompress,
};

/** The Content-Encoding values `readBody` understands ('' and 'identity' mean none). */
export const SUPPORTED_ENCODINGS = ['gzip', 'deflate', 'zstd'] as const;

/**
 * Resolves with the whole (decompressed) body. Rejects with STITCH_ERR_BODY_TOO_LARGE past
 * `limit` bytes, STITCH_ERR_UNSUPPORTED_ENCODING for an unknown encoding (before reading) and
 * STITCH_ERR_DECODE when the compressed data is corrupt. On rejection the rest of the request
 * is left unread; Node discards it once the response is sent.
 */
export function readBody(raw: Readable, contentEncoding: string | undefined, limit: number): Promise<Buffer> {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  let decompressor: Transform | undefined;
  if (encoding !== '' && encoding !== 'identity') {
    const make = DECOMPRESSORS[encoding];
    if (make === undefined) return Promise.reject(errors.STITCH_ERR_UNSUPPORTED_ENCODING([encoding]));
    decompressor = make();
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let size = 0;
    let settled = false;
    const finish = (err: StitchError | undefined) => {
      if (settled) return;
      settled = true;
      raw.off('data', onRaw);
      raw.off('error', onRawError);
      raw.off('aborted', onAborted);
      if (decompressor) {
        raw.unpipe(decompressor);
        decompressor.destroy();
      }
      if (err) {
        chunks.length = 0;
        reject(err);
      } else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const tooLarge = () => finish(errors.STITCH_ERR_BODY_TOO_LARGE([limit]));
    const onRaw = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) tooLarge();
    };
    const onOut = (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) return tooLarge();
      chunks.push(chunk);
    };
    const onRawError = (err: Error) => finish(errors.STITCH_ERR_DECODE(['request body', err.message], { cause: err }));
    const onAborted = () => finish(errors.STITCH_ERR_DECODE(['request body', 'the client closed the connection']));

    raw.on('data', onRaw);
    raw.on('error', onRawError);
    raw.on('aborted', onAborted);
    const out = decompressor ?? raw;
    if (decompressor) {
      decompressor.on('error', (err) => finish(errors.STITCH_ERR_DECODE([`${encoding} body`, err.message], { cause: err })));
      raw.pipe(decompressor);
      out.on('data', onOut);
    } else {
      raw.on('data', onOut);
    }
    out.on('end', () => finish(undefined));
  });
}
