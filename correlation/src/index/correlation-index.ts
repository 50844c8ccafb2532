/**
 * The correlation index: for each request ID, reconcile ID and trace ID seen recently, what
 * belongs to it — the other IDs it was seen with, where it ran (service, namespace, pod,
 * controller, object), when, how many log lines (and error lines) and spans carried it, and the
 * metric series whose exemplars carry it.
 *
 * Pure and synchronous (no I/O, no timers): the collector's `correlation` processor feeds it once
 * per batch and the `correlation` extension reads it to answer queries, in the same process.
 *
 * Memory is bounded three ways: at most `maxEntries` entries (least recently updated evicted
 * first), entries expire `ttlMs` after their last update, and every list inside an entry is
 * capped (MAX_LINKS, MAX_SERIES). IDs are validated before they get here (validate.ts), so one
 * entry's size is bounded too. Evictions are counted.
 */
import { LRUCache } from 'lru-cache';
import { ID_KIND, type IdKind, type IndexedIdKey } from '../keys.js';

/** Most linked IDs kept per key in one entry (a trace touching many requests keeps the first ones). */
export const MAX_LINKS = 16;
/** Most metric series kept per entry. */
export const MAX_SERIES = 16;

/** A metric series, as the metrics backend names it (Prometheus name and labels). */
export interface SeriesRef {
  /** Metric name in the backend (`http_server_request_duration_seconds`). */
  readonly name: string;
  /** The series selector suffix for exemplar queries (`_bucket` for classic histograms, else ''). */
  readonly suffix: string;
  /** Its labels (sorted by name), without `__name__`. */
  readonly labels: Readonly<Record<string, string>>;
  /** A stable identity (`name{labels}`), used for de-duplication. */
  readonly key: string;
}

/** Where an ID was seen. All optional; the first non-empty value is kept. */
export interface Origin {
  service?: string | undefined;
  namespace?: string | undefined;
  pod?: string | undefined;
  controller?: string | undefined;
  objectNamespace?: string | undefined;
  objectName?: string | undefined;
}

/**
 * What one batch says about one combination of IDs. The processor folds a batch into one
 * observation per distinct combination, then records each once.
 */
export interface Observation extends Origin {
  requestId?: string | undefined;
  rid?: string | undefined;
  traceId?: string | undefined;
  logs?: number;
  errorLogs?: number;
  spans?: number;
  errorSpans?: number;
  /** Series whose exemplars carried these IDs. */
  series?: readonly SeriesRef[];
}

/** One indexed ID and what belongs to it (a read-only snapshot is handed out). */
export interface CorrelationEntry extends Origin {
  readonly id: string;
  readonly key: IndexedIdKey;
  readonly kind: IdKind;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly logCount: number;
  readonly errorLogCount: number;
  readonly spanCount: number;
  readonly errorSpanCount: number;
  readonly requestIds: readonly string[];
  readonly rids: readonly string[];
  readonly traceIds: readonly string[];
  readonly series: readonly SeriesRef[];
}

interface MutableEntry extends Origin {
  id: string;
  key: IndexedIdKey;
  kind: IdKind;
  firstSeenMs: number;
  lastSeenMs: number;
  logCount: number;
  errorLogCount: number;
  spanCount: number;
  errorSpanCount: number;
  requestIds: string[] | undefined;
  rids: string[] | undefined;
  traceIds: string[] | undefined;
  series: SeriesRef[] | undefined;
}

/** Options of {@link CorrelationIndex}. */
export interface CorrelationIndexOptions {
  /** Most entries held (each ID is one entry). */
  maxEntries: number;
  /** An entry not updated for this long is dropped. */
  ttlMs: number;
  /** The clock (ms since the epoch); tests inject one. */
  now?: () => number;
}

/** Filters for {@link CorrelationIndex.list}. */
export interface ListQuery {
  service?: string | undefined;
  kind?: IdKind | undefined;
  /** Only entries updated at or after this time (ms since the epoch). */
  sinceMs?: number | undefined;
  /** Most entries returned, newest first. */
  limit: number;
}

/** Counters of the index, for self-telemetry. */
export interface IndexStats {
  readonly entries: number;
  /** Entries evicted because the index was full (least recently updated first). */
  readonly evictedLru: number;
  /** Entries dropped because they were older than the TTL. */
  readonly expired: number;
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * The index. One per `correlation` extension; Node runs it on one thread. Recency and TTL are kept
 * by lru-cache (a linked list over a Map: O(1) touch and eviction; a plain Map used as an LRU
 * degrades once deletions from its front pile up).
 */
export class CorrelationIndex {
  private readonly entries: LRUCache<string, MutableEntry>;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private evictedLru = 0;
  private expired = 0;
  private nextPurgeMs = 0;

  constructor(options: CorrelationIndexOptions) {
    if (!(options.maxEntries > 0)) throw new RangeError('maxEntries must be positive');
    if (!(options.ttlMs > 0)) throw new RangeError('ttlMs must be positive');
    this.ttlMs = options.ttlMs;
    const now = options.now ?? Date.now;
    this.now = now;
    this.entries = new LRUCache<string, MutableEntry>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      ttlResolution: 0,
      updateAgeOnGet: false,
      perf: { now },
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.evictedLru++;
        else if (reason === 'expire') this.expired++;
      },
    });
  }

  /**
   * Records one observation: each of its IDs gets (or refreshes) an entry, linked to the others,
   * with the counts and series added. Cost: a few O(1) cache operations per ID.
   */
  record(o: Observation): void {
    const now = this.now();
    if (o.requestId !== undefined) this.apply('request_id', o.requestId, o, now);
    if (o.rid !== undefined) this.apply('rid', o.rid, o, now);
    if (o.traceId !== undefined) this.apply('trace_id', o.traceId, o, now);
    if (now >= this.nextPurgeMs) {
      // Stale entries also go lazily when read or evicted; a sweep every tenth of the TTL keeps
      // expired ones from lingering (and being counted late) in a quiet index.
      this.nextPurgeMs = now + Math.max(1, this.ttlMs / 10);
      this.entries.purgeStale();
    }
  }

  /** The entry of an ID, or undefined when it is unknown or expired. Does not refresh it. */
  get(id: string): CorrelationEntry | undefined {
    const e = this.entries.peek(id);
    if (e === undefined || this.now() - e.lastSeenMs > this.ttlMs) return undefined;
    return snapshot(e);
  }

  /** Entries matching the query, most recently updated first. */
  list(q: ListQuery): CorrelationEntry[] {
    const since = Math.max(q.sinceMs ?? 0, this.now() - this.ttlMs);
    const out: CorrelationEntry[] = [];
    if (q.limit <= 0) return out;
    // values() runs from the most to the least recently updated entry.
    for (const e of this.entries.values()) {
      if (out.length >= q.limit || e.lastSeenMs < since) break;
      if (q.kind !== undefined && e.kind !== q.kind) continue;
      if (q.service !== undefined && e.service !== q.service) continue;
      out.push(snapshot(e));
    }
    return out;
  }

  /** Current size and eviction counters. */
  stats(): IndexStats {
    return { entries: this.entries.size, evictedLru: this.evictedLru, expired: this.expired };
  }

  private apply(key: IndexedIdKey, id: string, o: Observation, now: number): void {
    let e = this.entries.get(id);
    if (e === undefined) {
      e = {
        id,
        key,
        kind: ID_KIND[key],
        firstSeenMs: now,
        lastSeenMs: now,
        logCount: 0,
        errorLogCount: 0,
        spanCount: 0,
        errorSpanCount: 0,
        requestIds: undefined,
        rids: undefined,
        traceIds: undefined,
        series: undefined,
      };
      this.entries.set(id, e);
    } else {
      e.lastSeenMs = now;
      this.entries.set(id, e); // refreshes the TTL; get() already made it the most recent
    }
    e.service ||= o.service;
    e.namespace ||= o.namespace;
    e.pod ||= o.pod;
    e.controller ||= o.controller;
    e.objectNamespace ||= o.objectNamespace;
    e.objectName ||= o.objectName;
    e.logCount += o.logs ?? 0;
    e.errorLogCount += o.errorLogs ?? 0;
    e.spanCount += o.spans ?? 0;
    e.errorSpanCount += o.errorSpans ?? 0;
    if (key !== 'request_id' && o.requestId !== undefined) e.requestIds = link(e.requestIds, o.requestId);
    if (key !== 'rid' && o.rid !== undefined) e.rids = link(e.rids, o.rid);
    if (key !== 'trace_id' && o.traceId !== undefined) e.traceIds = link(e.traceIds, o.traceId);
    if (o.series !== undefined) for (const s of o.series) e.series = addSeries(e.series, s);
  }
}

function link(list: string[] | undefined, id: string): string[] {
  if (list === undefined) return [id];
  if (list.length < MAX_LINKS && !list.includes(id)) list.push(id);
  return list;
}

function addSeries(list: SeriesRef[] | undefined, s: SeriesRef): SeriesRef[] {
  if (list === undefined) return [s];
  if (list.length < MAX_SERIES && !list.some((x) => x.key === s.key)) list.push(s);
  return list;
}

function snapshot(e: MutableEntry): CorrelationEntry {
  return {
    id: e.id,
    key: e.key,
    kind: e.kind,
    firstSeenMs: e.firstSeenMs,
    lastSeenMs: e.lastSeenMs,
    service: e.service,
    namespace: e.namespace,
    pod: e.pod,
    controller: e.controller,
    objectNamespace: e.objectNamespace,
    objectName: e.objectName,
    logCount: e.logCount,
    errorLogCount: e.errorLogCount,
    spanCount: e.spanCount,
    errorSpanCount: e.errorSpanCount,
    requestIds: e.requestIds ? [...e.requestIds] : EMPTY,
    rids: e.rids ? [...e.rids] : EMPTY,
    traceIds: e.traceIds ? [...e.traceIds] : EMPTY,
    series: e.series ? [...e.series] : EMPTY,
  };
}

/** Builds a SeriesRef (labels sorted; key computed once). */
export function seriesRef(name: string, labels: Readonly<Record<string, string>>, suffix = ''): SeriesRef {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) sorted[k] = labels[k] as string;
  return { name, suffix, labels: sorted, key: `${name}${suffix}${JSON.stringify(sorted)}` };
}
