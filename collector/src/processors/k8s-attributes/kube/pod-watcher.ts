/**
 * The list-then-watch loop for the pods of one node (client-go's Reflector, reduced to what a
 * DaemonSet needs): list (paged) with the field/label selectors, then watch from the list's
 * resourceVersion with bookmarks; follow the stream's resourceVersion; after a normal end
 * (timeoutSeconds) watch again from where it stopped; on 410 Gone (an HTTP 410, or an ERROR
 * event carrying a 410 Status) relist; on any other failure wait with exponential backoff and
 * jitter, then resume. It never gives up and never throws: errors are counted and logged once
 * per failure streak.
 */
import type { Logger } from 'pino';
import { createBackoff, sleep } from './backoff.js';
import { apiErrorStatus, isGone, type KubeClient } from './client.js';
import type { KubeList, KubeObject, Pod } from './types.js';

/** What the watcher reports to the pod store. */
export interface PodSink {
  /** A pod was added or changed. */
  upsert(pod: Pod): void;
  /** A pod was deleted. */
  remove(pod: Pod): void;
  /** A (re)list finished: every pod not in `uids` is gone. */
  replaced(uids: ReadonlySet<string>): void;
}

/** Options of the loop. */
export interface PodWatcherOptions {
  readonly client: KubeClient;
  /** `/api/v1/pods` or `/api/v1/namespaces/<ns>/pods`. */
  readonly path: string;
  /** `fieldSelector` / `labelSelector` (omitted when empty). */
  readonly selectors: Readonly<Record<string, string>>;
  readonly sink: PodSink;
  readonly logger: Logger;
  /** Counts a failed call (`operation`: list | watch; `status`: HTTP status, 0 for network). */
  onError(operation: 'list' | 'watch', status: number): void;
  /** Counts a relist and why (`initial`, `gone`, `error`). */
  onRelist(reason: 'initial' | 'gone' | 'error'): void;
  /** Items per list page (default 500). */
  readonly pageSize?: number;
  /** Backoff bounds (default 1 s … 30 s). */
  readonly backoff?: { initialMs: number; maxMs: number };
  /** Watch `timeoutSeconds` (default a random 300–600 s, as client-go, to spread reconnects). */
  readonly watchTimeoutSeconds?: () => number;
}

/** A running watcher. */
export interface PodWatcher {
  /** Resolves once the first list has been applied. */
  readonly synced: Promise<void>;
  /** True after the first list. */
  readonly hasSynced: boolean;
  /** Stops the loop and waits for it to end. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the loop in the background. */
export function startPodWatcher(o: PodWatcherOptions): PodWatcher {
  const abort = new AbortController();
  const signal = abort.signal;
  const backoff = createBackoff(o.backoff ?? { initialMs: 1000, maxMs: 30_000 });
  const pageSize = o.pageSize ?? 500;
  const timeoutSeconds = o.watchTimeoutSeconds ?? (() => Math.floor(300 + Math.random() * 300));
  let hasSynced = false;
  let markSynced!: () => void;
  const synced = new Promise<void>((r) => {
    markSynced = r;
  });

  /** Lists every page; returns the list's resourceVersion. */
  const list = async (): Promise<string> => {
    const seen = new Set<string>();
    let cont: string | undefined;
    let rv = '';
    do {
      const query: Record<string, string> = { ...o.selectors, limit: String(pageSize) };
      if (cont) query.continue = cont;
      const page = await o.client.get<KubeList<Pod>>(o.path, query, signal);
      if (!page) throw Object.assign(new Error(`${o.path} not found`), { status: 404 });
      for (const pod of page.items ?? []) {
        seen.add(pod.metadata.uid);
        o.sink.upsert(pod);
      }
      rv = page.metadata?.resourceVersion ?? rv;
      cont = page.metadata?.continue || undefined;
    } while (cont && !signal.aborted);
    if (!signal.aborted) o.sink.replaced(seen);
    return rv;
  };

  const loop = async () => {
    let rv: string | undefined;
    let relistReason: 'initial' | 'gone' | 'error' = 'initial';
    let failures = 0;
    while (!signal.aborted) {
      let operation: 'list' | 'watch' = 'list';
      // Watch events arrived in this round (a list alone does not count: in a 410 storm every
      // list succeeds and every watch fails at once, which must still back off).
      let sawEvents = false;
      try {
        if (rv === undefined) {
          o.onRelist(relistReason);
          rv = await list();
          if (!hasSynced) {
            hasSynced = true;
            markSynced();
          }
        }
        operation = 'watch';
        const query: Record<string, string> = {
          ...o.selectors,
          resourceVersion: rv,
          allowWatchBookmarks: 'true',
          timeoutSeconds: String(timeoutSeconds()),
        };
        await o.client.watch<Pod | KubeObject>(
          o.path,
          query,
          (ev) => {
            const obj = ev.object as Pod;
            const next = obj.metadata?.resourceVersion;
            if (ev.type === 'ADDED' || ev.type === 'MODIFIED') o.sink.upsert(obj);
            else if (ev.type === 'DELETED') o.sink.remove(obj);
            if (next) rv = next;
            sawEvents = true;
            if (failures > 0) {
              o.logger.info({ failures }, 'k8sattributes: pod watch recovered');
              failures = 0;
              backoff.reset();
            }
          },
          signal,
        );
        // A normal end (timeoutSeconds): watch again from the last version seen.
        backoff.reset();
      } catch (err) {
        if (signal.aborted) break;
        const status = apiErrorStatus(err);
        o.onError(operation, status);
        if (failures === 0)
          o.logger.warn({ err, operation, status }, 'k8sattributes: pod %s failed; retrying with backoff', operation);
        failures++;
        if (isGone(err)) {
          // The version is compacted: relist. A first 410 relists at once; a storm backs off.
          rv = undefined;
          relistReason = 'gone';
          if (sawEvents || failures === 1) continue;
        } else if (operation === 'list') {
          relistReason = 'error';
        }
        await sleep(backoff.next(), signal);
      }
    }
  };
  const done = loop();

  return {
    synced,
    get hasSynced() {
      return hasSynced;
    },
    async stop() {
      abort.abort();
      await done;
    },
  };
}
