import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { errors } from '../../../errors.js';
import { createBackoff } from './backoff.js';
import type { KubeClient } from './client.js';
import { startPodWatcher } from './pod-watcher.js';
import type { Pod } from './types.js';

const gone = () =>
  Object.assign(errors.STITCH_ERR_K8S_API(['GET', '/api/v1/pods', '410 Expired']), { status: 410, reason: 'Expired' });
const pod = (uid: string, rv: string): Pod => ({ metadata: { name: uid, uid, resourceVersion: rv } });

/** A scripted client: `list` answers and `watch` behaviours, recorded with timestamps. */
function fakeClient(watch: (n: number, onEvent: (ev: never) => void) => Promise<void>) {
  const calls: { op: 'list' | 'watch'; at: number; rv?: string }[] = [];
  let watches = 0;
  const client: KubeClient = {
    server: 'http://fake',
    async get<T>() {
      calls.push({ op: 'list', at: Date.now() });
      return { metadata: { resourceVersion: '10' }, items: [pod('a', '9')] } as T;
    },
    async watch(_path, query, onEvent) {
      calls.push({ op: 'watch', at: Date.now(), rv: query.resourceVersion as string });
      return watch(watches++, onEvent as never);
    },
    close() {},
  };
  return { client, calls };
}

function watcher(client: KubeClient, errorsSeen: number[] = []) {
  return startPodWatcher({
    client,
    path: '/api/v1/pods',
    selectors: {},
    sink: { upsert() {}, remove() {}, replaced() {} },
    logger: pino({ level: 'silent' }),
    onError: (_op, status) => errorsSeen.push(status),
    onRelist() {},
    backoff: { initialMs: 20, maxMs: 80 },
    watchTimeoutSeconds: () => 1,
  });
}

describe('pod watcher', () => {
  it('relists at once after one 410 but backs off in a 410 storm', async () => {
    const { client, calls } = fakeClient(async () => {
      throw gone();
    });
    const w = watcher(client);
    await new Promise((r) => setTimeout(r, 400));
    await w.stop();
    const lists = calls.filter((c) => c.op === 'list');
    // Unbounded relisting would be thousands in 400 ms; with 20–80 ms backoff it is a handful.
    expect(lists.length).toBeGreaterThanOrEqual(3);
    expect(lists.length).toBeLessThan(15);
    expect(calls[1]?.op).toBe('watch');
    expect(calls[2]?.op).toBe('list'); // the first 410: immediate relist
  });

  it('resumes a failed watch from the last resourceVersion (bookmarks included) with backoff, then resets', async () => {
    const seen: number[] = [];
    const { client, calls } = fakeClient(async (n, onEvent) => {
      if (n === 0) {
        onEvent({ type: 'MODIFIED', object: pod('a', '11') } as never);
        onEvent({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } } as never);
        throw Object.assign(errors.STITCH_ERR_K8S_API(['GET', '/', 'reset']), { status: 0, reason: 'NetworkError' });
      }
      if (n < 3)
        throw Object.assign(errors.STITCH_ERR_K8S_API(['GET', '/', '503']), { status: 503, reason: 'ServiceUnavailable' });
      await new Promise((r) => setTimeout(r, 50));
    });
    const w = watcher(client, seen);
    await w.synced;
    await new Promise((r) => setTimeout(r, 300));
    await w.stop();
    expect(calls.filter((c) => c.op === 'list')).toHaveLength(1);
    const watches = calls.filter((c) => c.op === 'watch');
    expect(watches.map((c) => c.rv).slice(0, 4)).toEqual(['10', '15', '15', '15']);
    expect(seen.slice(0, 3)).toEqual([0, 503, 503]);
  });

  it('backoff grows exponentially within bounds, with jitter', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 0.999 });
    const lows = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    expect([1, 2, 3, 4, 5, 6].map(() => b.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 3].map(() => lows.next())).toEqual([50, 100, 200]);
  });
});
