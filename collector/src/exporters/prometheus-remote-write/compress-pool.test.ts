import snappy from 'snappy';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireCompressPool, createCompressPool, defaultCompressWorkers, type OwnCompressPool } from './compress-pool.js';

const body = (n: number, seed: number) => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * seed) & 0xff;
  return b;
};

const own: OwnCompressPool[] = [];
afterEach(async () => {
  for (const p of own.splice(0)) await p.terminate();
});

describe('snappy compress pool', () => {
  it('answers every body with its own compression, whatever order the calls run in', async () => {
    const p = createCompressPool(2);
    own.push(p);
    expect(p.pool.workers).toBe(2);
    // Large bodies own their memory (moved to the worker), small ones come from Buffer's pool (copied).
    const inputs = Array.from({ length: 40 }, (_, i) => body(i % 2 === 0 ? 50_000 + i : 100 + i, i + 1));
    const expected = inputs.map((b) => Buffer.from(b));
    const outs = await Promise.all(inputs.map((b) => p.pool.compress(b)));
    outs.forEach((o, i) => {
      expect(snappy.uncompressSync(o)).toEqual(expected[i]);
    });
    expect(inputs[0]?.byteLength).toBe(0); // transferred, not copied
    expect(inputs[1]?.equals(expected[1] as Buffer)).toBe(true); // a pooled body is left alone
    const neighbour = Buffer.from('still readable'); // Buffer's shared pool was not detached
    expect(neighbour.toString()).toBe('still readable');
  });

  it('compresses on the main thread once its workers are gone, and refuses what they held', async () => {
    const p = createCompressPool(1);
    own.push(p);
    const held = expect(p.pool.compress(body(200_000, 3))).rejects.toThrow(/worker stopped/);
    await p.terminate();
    await held;
    expect(p.pool.workers).toBe(0);
    const out = await p.pool.compress(body(1000, 5));
    expect(snappy.uncompressSync(out)).toEqual(body(1000, 5));
  });

  it('is shared by every user and stops its workers when the last one releases it', async () => {
    const a = acquireCompressPool(1);
    const b = acquireCompressPool(1);
    expect(b).toBe(a);
    expect(a.workers).toBe(1);
    await a.release();
    expect(a.workers).toBe(1); // b still uses it
    await b.release();
    expect(a.workers).toBe(0);
    const c = acquireCompressPool(1);
    expect(c).not.toBe(a);
    expect(snappy.uncompressSync(await c.compress(body(10_000, 9)))).toEqual(body(10_000, 9));
    await c.release();
  });

  it('uses workers only when STITCH_COMPRESS_WORKERS asks, else the main thread', async () => {
    expect(defaultCompressWorkers({})).toBe(0);
    expect(defaultCompressWorkers({ STITCH_COMPRESS_WORKERS: '0' })).toBe(0);
    expect(defaultCompressWorkers({ STITCH_COMPRESS_WORKERS: '3' })).toBe(3);
    expect(defaultCompressWorkers({ STITCH_COMPRESS_WORKERS: 'lots' })).toBe(0);
    const none = createCompressPool(0);
    own.push(none);
    expect(none.pool.workers).toBe(0);
    expect(snappy.uncompressSync(await none.pool.compress(body(5000, 2)))).toEqual(body(5000, 2));
  });
});
