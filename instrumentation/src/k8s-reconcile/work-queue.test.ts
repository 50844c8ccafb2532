import { describe, expect, it } from 'vitest';
import { bucketRateLimiter, defaultControllerRateLimiter, exponentialFailureRateLimiter } from './rate-limiter.js';
import { WORKQUEUE_DURATION_BUCKETS, WorkQueue } from './work-queue.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('WorkQueue (client-go semantics)', () => {
  it('deduplicates waiting items and re-queues an item added while it is processed', async () => {
    const q = new WorkQueue<string>({ name: 'test' });
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.depth).toBe(2);
    expect(await q.get()).toBe('a');
    q.add('a'); // while processing: not handed to a second worker
    expect(await q.get()).toBe('b');
    let next: string | undefined;
    void q.get().then((v) => {
      next = v;
    });
    await tick();
    expect(next).toBeUndefined();
    q.done('a'); // now it comes back
    await tick();
    expect(next).toBe('a');
    q.done('b');
    q.done('a');
    expect(q.depth).toBe(0);
  });

  it('addAfter keeps the earliest ready time per item', async () => {
    const q = new WorkQueue<string>({ name: 'test' });
    q.addAfter('x', 5000);
    q.addAfter('x', 10);
    q.addAfter('x', 3000);
    const started = performance.now();
    expect(await q.get()).toBe('x');
    expect(performance.now() - started).toBeLessThan(1000);
    q.shutDown();
  });

  it('shutDown releases idle getters and ignores later adds', async () => {
    const q = new WorkQueue<string>({ name: 'test' });
    const pending = q.get();
    q.shutDown();
    expect(await pending).toBeUndefined();
    q.add('late');
    expect(await q.get()).toBeUndefined();
  });

  it('addRateLimited backs off per item and forget resets it', () => {
    const q = new WorkQueue<string>({ name: 'test', rateLimiter: exponentialFailureRateLimiter(5, 1_000_000) });
    q.addRateLimited('k');
    q.addRateLimited('k');
    expect(q.numRequeues('k')).toBe(2);
    q.forget('k');
    expect(q.numRequeues('k')).toBe(0);
    q.shutDown();
  });
});

describe('rate limiters', () => {
  it('exponential: 5 ms doubling per failure, capped at 1000 s', () => {
    const l = exponentialFailureRateLimiter();
    expect([1, 2, 3, 4].map(() => l.when('a'))).toEqual([5, 10, 20, 40]);
    expect(l.when('b')).toBe(5);
    for (let i = 0; i < 40; i++) l.when('a');
    expect(l.when('a')).toBe(1_000_000);
  });

  it('token bucket: 100 burst free, then 10 per second', () => {
    const now = 0;
    const l = bucketRateLimiter(10, 100, () => now);
    for (let i = 0; i < 100; i++) expect(l.when('x')).toBe(0);
    expect(l.when('x')).toBeCloseTo(100);
    expect(l.when('x')).toBeCloseTo(200);
  });

  it('the default controller limiter is the max of both', () => {
    const l = defaultControllerRateLimiter();
    expect(l.when('a')).toBe(5);
    expect(l.when('a')).toBe(10);
    l.forget('a');
    expect(l.when('a')).toBe(5);
  });

  it('workqueue buckets are client-go’s ExponentialBuckets(10e-9, 10, 12)', () => {
    expect(WORKQUEUE_DURATION_BUCKETS).toEqual([1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000]);
  });
});
