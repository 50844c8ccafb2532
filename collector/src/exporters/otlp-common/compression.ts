/** Request body compression for the otlphttp exporter (Node's zlib, async so big bodies don't block). */
import { promisify } from 'node:util';
import { deflate, gzip, zstdCompress } from 'node:zlib';

/** The `compression` values the exporters accept ('' and 'none' mean off). */
export type Compression = 'gzip' | 'deflate' | 'zstd' | 'none' | '';

const gzipAsync = promisify(gzip);
const deflateAsync = promisify(deflate);
const zstdAsync = promisify(zstdCompress);

/** Compresses `body`; returns it unchanged for 'none'. */
export async function compress(body: Uint8Array, compression: Compression): Promise<Uint8Array> {
  if (compression === 'gzip') return gzipAsync(body);
  if (compression === 'deflate') return deflateAsync(body);
  if (compression === 'zstd') return zstdAsync(body);
  return body;
}
