/**
 * Single-object lookups behind an LRU cache with a TTL (lru-cache): ReplicaSets (for their
 * Deployment), Jobs (for their CronJob), Namespaces and Nodes (for labels, annotations, UIDs).
 * Only the objects this node's pods refer to are ever fetched, one GET each, never a list or a
 * watch of the kind; only a digest of each object is kept.
 *
 * Stale entries keep serving while a refresh runs; a 404 is cached as "missing"; a failed GET
 * keeps the stale value, is counted, and is retried with backoff while something still wants
 * the object.
 */
import { LRUCache } from 'lru-cache';
import { createBackoff } from './backoff.js';
import type { KubeClient } from './client.js';
import type { KubeObject } from './types.js';

/** What is kept of a fetched object. */
export interface CachedObject {
  readonly uid: string;
  /** The controlling owner (for ReplicaSets and Jobs). */
  readonly owner: { kind: string; name: string; uid: string } | undefined;
  /** Flat attributes from labels/annotations rules (for Namespaces and Nodes). */
  readonly attrs: readonly string[];
  /** The API answered 404. */
  readonly missing: boolean;
}

/** Options of one cache. */
export interface ObjectCacheOptions {
  /** `replicasets`, `jobs`, `namespaces`, `nodes`: for telemetry and logs. */
  readonly kind: string;
  /** The API path of the object named by `key` (`ns/name` for namespaced kinds). */
  path(key: string): string;
  /** Keeps only what the rules need. */
  digest(object: KubeObject): Omit<CachedObject, 'missing'>;
  readonly client: () => KubeClient | undefined;
  readonly ttlMs: number;
  readonly max: number;
  /** Shared cap on concurrent GETs. */
  readonly limiter: Limiter;
  /** Called on every failed GET (for the api_errors counter). */
  onError(err: unknown): void;
  /** Called when a GET brought a new value. */
  onFetched(key: string, value: CachedObject): void;
  /** Whether a failed key is still worth retrying (some pod still refers to it). */
  wanted(key: string): boolean;
}

/** An LRU/TTL cache of one kind. */
export interface ObjectCache {
  /** The cached value, fresh or stale, without waiting; starts a refresh when stale or absent. */
  peek(key: string): CachedObject | undefined;
  /** Waits for a value (fetching when needed); undefined when the GET failed. */
  resolve(key: string): Promise<CachedObject | undefined>;
  readonly size: number;
  /** Stops retries. */
  close(): void;
}

/** A concurrency cap for GETs shared by every cache of a processor. */
export interface Limiter {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** Creates a limiter allowing `max` concurrent tasks (FIFO beyond). */
export function createLimiter(max: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run(fn) {
      if (active >= max) await new Promise<void>((r) => waiting.push(r));
      active++;
      try {
        return await fn();
      } finally {
        active--;
        waiting.shift()?.();
      }
    },
  };
}

const MISSING_DIGEST = { uid: '', owner: undefined, attrs: [] as string[] };

/** Creates a cache. */
export function createObjectCache(o: ObjectCacheOptions): ObjectCache {
  // The LRU/TTL store; fetching, deduplication and retries are ours (below), so a failed GET
  // never evicts the stale value that keeps serving.
  const cache = new LRUCache<string, CachedObject>({ max: o.max, ttl: o.ttlMs, allowStale: true, noDeleteOnStaleGet: true });
  const fetchOne = async (key: string): Promise<CachedObject> => {
    const client = o.client();
    if (!client) throw new Error('not started');
    const object = await o.limiter.run(() => client.get<KubeObject>(o.path(key)));
    const value = object ? { ...o.digest(object), missing: false } : { ...MISSING_DIGEST, missing: true };
    cache.set(key, value);
    return value;
  };
  // Per-key retry state after failures: bounded by the keys pods refer to.
  const failing = new Map<string, { backoff: ReturnType<typeof createBackoff>; notBefore: number; timer?: NodeJS.Timeout }>();
  const inFlight = new Map<string, Promise<CachedObject | undefined>>();
  let closed = false;

  const refresh = (key: string): Promise<CachedObject | undefined> => {
    const running = inFlight.get(key);
    if (running) return running;
    const p = fetchOne(key)
      .then((v) => {
        const f = failing.get(key);
        if (f?.timer) clearTimeout(f.timer);
        failing.delete(key);
        o.onFetched(key, v);
        return v as CachedObject | undefined;
      })
      .catch((err: unknown) => {
        o.onError(err);
        let f = failing.get(key);
        if (!f) failing.set(key, (f = { backoff: createBackoff({ initialMs: 500, maxMs: 30_000 }), notBefore: 0 }));
        const delay = f.backoff.next();
        f.notBefore = Date.now() + delay;
        if (f.timer) clearTimeout(f.timer);
        if (!closed) {
          f.timer = setTimeout(() => {
            if (o.wanted(key)) void refresh(key);
            else failing.delete(key);
          }, delay);
          f.timer.unref();
        }
        return cache.get(key);
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, p);
    return p;
  };

  return {
    peek(key) {
      const v = cache.get(key);
      if (!closed && (v === undefined || cache.getRemainingTTL(key) <= 0) && !inFlight.has(key)) {
        const f = failing.get(key);
        if (!f || Date.now() >= f.notBefore) void refresh(key);
      }
      return v;
    },
    resolve(key) {
      const v = cache.get(key);
      if (v !== undefined && cache.getRemainingTTL(key) > 0) return Promise.resolve(v);
      return refresh(key);
    },
    get size() {
      return cache.size;
    },
    close() {
      closed = true;
      for (const f of failing.values()) if (f.timer) clearTimeout(f.timer);
      failing.clear();
    },
  };
}
