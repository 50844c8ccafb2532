import { describe, expect, it } from 'vitest';
import { errors } from '../../../errors.js';
import type { KubeClient } from './client.js';
import { createLimiter, createObjectCache } from './object-cache.js';
import type { KubeObject } from './types.js';

function setup(answer: (path: string) => KubeObject | undefined | Error, ttlMs = 10_000, max = 100) {
  const gets: string[] = [];
  const fetched: string[] = [];
  const client: KubeClient = {
    server: 'http://fake',
    async get<T>(path: string) {
      gets.push(path);
      const a = answer(path);
      if (a instanceof Error) throw a;
      return a as T;
    },
    async watch() {},
    close() {},
  };
  const cache = createObjectCache({
    kind: 'replicasets',
    path: (k) => `/rs/${k}`,
    digest: (o) => ({ uid: o.metadata.uid, owner: undefined, attrs: [] }),
    client: () => client,
    ttlMs,
    max,
    limiter: createLimiter(2),
    onError: () => {},
    onFetched: (k) => fetched.push(k),
    wanted: () => true,
  });
  return { cache, gets, fetched };
}

const obj = (uid: string): KubeObject => ({ metadata: { name: 'x', uid } });

describe('object cache', () => {
  it('fetches once for concurrent lookups, caches 404s as missing, and refreshes after the TTL', async () => {
    let uid = 'v1';
    const { cache, gets } = setup((p) => (p.endsWith('gone') ? undefined : obj(uid)), 100);
    const [a, b] = await Promise.all([cache.resolve('ns/rs'), cache.resolve('ns/rs')]);
    expect(a?.uid).toBe('v1');
    expect(b).toBe(a);
    expect((await cache.resolve('ns/gone'))?.missing).toBe(true);
    await cache.resolve('ns/gone');
    expect(gets).toEqual(['/rs/ns/rs', '/rs/ns/gone']);
    uid = 'v2';
    await new Promise((r) => setTimeout(r, 150));
    expect(cache.peek('ns/rs')?.uid).toBe('v1'); // stale still serves, and starts a refresh
    await new Promise((r) => setTimeout(r, 20));
    expect(cache.peek('ns/rs')?.uid).toBe('v2');
  });

  it('evicts the least recently used entry beyond max', async () => {
    const { cache, gets } = setup(() => obj('u'), 10_000, 2);
    await cache.resolve('a');
    await cache.resolve('b');
    await cache.resolve('a');
    await cache.resolve('c'); // evicts b
    await cache.resolve('a');
    await cache.resolve('b');
    expect(gets).toEqual(['/rs/a', '/rs/b', '/rs/c', '/rs/b']);
    expect(cache.size).toBe(2);
  });

  it('keeps failing keys quiet until their backoff passes, then retries by itself', async () => {
    let fail = true;
    const { cache, gets, fetched } = setup(() => (fail ? errors.STITCH_ERR_K8S_API(['GET', '/rs', 'down']) : obj('u')));
    expect(await cache.resolve('a')).toBeUndefined();
    for (let i = 0; i < 50; i++) cache.peek('a'); // a record burst must not become a GET burst
    expect(gets).toHaveLength(1);
    fail = false;
    const deadline = Date.now() + 3000;
    while (fetched.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fetched).toEqual(['a']);
    cache.close();
  });
});
