/**
 * The join memory of one `correlation` processor ID, shared by its instances in every pipeline:
 * the traces pipeline's instance remembers which trace each request ID / rid ran in, the logs
 * pipeline's instance reads it (and the reverse). Bounded (lru-cache: `join_cache_size` entries,
 * `join_window` TTL). Process-wide, keyed by component ID and reference-counted, like the
 * memory_limiter's shared check.
 */
import { LRUCache } from 'lru-cache';

/** A span's trace context, as bytes ready to set on a log record. */
export interface TraceContext {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
}

/** IDs that log lines of one trace carried. */
export interface TraceIds {
  requestId?: string | undefined;
  rid?: string | undefined;
}

/** The shared state. */
export interface JoinState {
  /** request_id / rid → the trace context of the span that carried it. */
  readonly contextById: LRUCache<string, TraceContext>;
  /** trace ID (hex) → the request_id / rid its log lines carried. */
  readonly idsByTrace: LRUCache<string, TraceIds>;
}

const states = new Map<string, { state: JoinState; refs: number }>();

/** The state for a processor ID (created on first use); call `release` once per acquire. */
export function acquireJoinState(id: string, size: number, windowMs: number): JoinState {
  let s = states.get(id);
  if (!s) {
    const options = { max: size, ttl: windowMs, ttlResolution: 0, updateAgeOnGet: false };
    s = {
      state: {
        contextById: new LRUCache<string, TraceContext>(options),
        idsByTrace: new LRUCache<string, TraceIds>(options),
      },
      refs: 0,
    };
    states.set(id, s);
  }
  s.refs++;
  return s.state;
}

/** Releases one reference; the state goes when the last instance shuts down. */
export function releaseJoinState(id: string): void {
  const s = states.get(id);
  if (!s) return;
  if (--s.refs <= 0) states.delete(id);
}
