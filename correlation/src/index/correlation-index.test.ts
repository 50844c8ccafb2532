import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CorrelationIndex, MAX_LINKS, seriesRef } from './correlation-index.js';

const TRACE = 'ab'.repeat(16);

/** A real full GC, so heap deltas measure what is retained, not garbage. */
function forceGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('CorrelationIndex', () => {
  it('links request, trace and reconcile IDs both ways and adds up counts', () => {
    const c = clock();
    const index = new CorrelationIndex({ maxEntries: 100, ttlMs: 60_000, now: c.now });
    const series = seriesRef('http_server_request_duration_seconds', { job: 'shop/checkout', http_route: '/cart' }, '_bucket');
    index.record({ requestId: 'req-1', service: 'checkout', namespace: 'shop', logs: 3, errorLogs: 1 });
    c.t += 10;
    index.record({ requestId: 'req-1', traceId: TRACE, pod: 'checkout-1', spans: 2, series: [series] });
    index.record({ requestId: 'req-1', series: [series] }); // same series twice → kept once

    const req = index.get('req-1')!;
    expect(req).toMatchObject({
      kind: 'request',
      key: 'request_id',
      service: 'checkout',
      namespace: 'shop',
      pod: 'checkout-1',
      logCount: 3,
      errorLogCount: 1,
      spanCount: 2,
      traceIds: [TRACE],
      firstSeenMs: 1_000_000,
      lastSeenMs: 1_000_010,
    });
    expect(req.series.map((s) => s.key)).toEqual([series.key]);
    expect(index.get(TRACE)).toMatchObject({ kind: 'trace', requestIds: ['req-1'], spanCount: 2, logCount: 0 });
    expect(index.get('unknown')).toBeUndefined();
  });

  it('caps the links of one entry', () => {
    const index = new CorrelationIndex({ maxEntries: 1000, ttlMs: 60_000 });
    for (let i = 0; i < 100; i++) index.record({ traceId: TRACE, requestId: `r${i}` });
    expect(index.get(TRACE)!.requestIds).toHaveLength(MAX_LINKS);
  });

  it('expires entries after the TTL and lists newest first with filters', () => {
    const c = clock();
    const index = new CorrelationIndex({ maxEntries: 100, ttlMs: 1000, now: c.now });
    index.record({ requestId: 'old', service: 'a' });
    c.t += 600;
    index.record({ rid: 'rec-1', service: 'op', controller: 'widgets' });
    c.t += 100;
    index.record({ requestId: 'new', service: 'a' });
    expect(index.list({ limit: 10 }).map((e) => e.id)).toEqual(['new', 'rec-1', 'old']);
    expect(index.list({ limit: 10, kind: 'reconcile' }).map((e) => e.id)).toEqual(['rec-1']);
    expect(index.list({ limit: 10, service: 'a' }).map((e) => e.id)).toEqual(['new', 'old']);
    expect(index.list({ limit: 1 }).map((e) => e.id)).toEqual(['new']);
    expect(index.list({ limit: 10, sinceMs: c.t - 50 }).map((e) => e.id)).toEqual(['new']);
    c.t += 500; // 'old' is 1200 ms old now
    expect(index.get('old')).toBeUndefined();
    index.record({ requestId: 'newest' });
    expect(index.stats()).toMatchObject({ entries: 3, expired: 1, evictedLru: 0 });
  });

  it('stays bounded under a flood of unique IDs, evicting the least recently updated', () => {
    const index = new CorrelationIndex({ maxEntries: 5000, ttlMs: 3_600_000 });
    index.record({ requestId: 'keep-me', service: 's' });
    forceGc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200_000; i++) {
      index.record({ requestId: `flood-${i}-0f8fad5b-d9cb-469f-a165`, traceId: (i + 1).toString(16).padStart(32, '0'), logs: 1 });
      if (i % 1000 === 0) index.record({ requestId: 'keep-me', logs: 1 }); // refreshed: never the oldest
    }
    forceGc();
    const grownMiB = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    const stats = index.stats();
    expect(stats.entries).toBe(5000);
    expect(stats.evictedLru).toBe(400_000 + 1 - 5000);
    expect(index.get('keep-me')?.logCount).toBe(200);
    expect(index.get('flood-0-0f8fad5b-d9cb-469f-a165')).toBeUndefined();
    // 5000 entries of a few hundred bytes each: far below what 400k entries would take (~200 MiB).
    expect(grownMiB).toBeLessThan(20);
  });
});
