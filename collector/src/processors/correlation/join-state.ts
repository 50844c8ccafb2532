/**
 * The join memory of one `correlation` processor ID, shared by its instances in every pipeline:
 * the traces pipeline's instance remembers which trace each request ID / rid ran in, the logs
 * pipeline's instance reads it (and the reverse). Process-wide, keyed by component ID and
 * reference-counted, like the memory_limiter's shared check.
 *
 * Each direction is a two-generation map: writes go to the current generation; when it is older
 * than the window or holds half the size budget, it becomes the previous one and the old previous
 * is dropped whole. A lookup checks the entry's own timestamp, so the window is exact while
 * eviction costs nothing per record (an LRU with per-entry TTL measured ~2 µs per record here).
 * Memory: at most `size` entries per direction.
 */

/** A span's trace context, as bytes ready to set on a log record. */
export interface TraceContext {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly atMs: number;
}

/** IDs that log lines of one trace carried. */
export interface TraceIds {
  readonly requestId?: string | undefined;
  readonly rid?: string | undefined;
  readonly atMs: number;
}

/** A bounded map whose entries expire `windowMs` after they were written. */
export class WindowMap<V extends { readonly atMs: number }> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();
  private currentSinceMs = 0;

  constructor(
    private readonly windowMs: number,
    private readonly size: number,
  ) {}

  /** The value of `key` if written within the window before `nowMs`. */
  get(key: string, nowMs: number): V | undefined {
    const v = this.current.get(key) ?? this.previous.get(key);
    return v !== undefined && nowMs - v.atMs <= this.windowMs ? v : undefined;
  }

  /** True when `key` has a live value. */
  has(key: string, nowMs: number): boolean {
    return this.get(key, nowMs) !== undefined;
  }

  /** Writes a value (its `atMs` is when it was seen). */
  set(key: string, value: V, nowMs: number): void {
    if (nowMs - this.currentSinceMs >= this.windowMs || this.current.size >= this.size / 2) {
      this.previous = this.current;
      this.current = new Map();
      this.currentSinceMs = nowMs;
    }
    this.current.set(key, value);
  }

  /** Entries held (live or not yet dropped). */
  get count(): number {
    return this.current.size + this.previous.size;
  }
}

/** The shared state. */
export interface JoinState {
  /** request_id / rid → the trace context of the span that carried it. */
  readonly contextById: WindowMap<TraceContext>;
  /** trace ID (hex) → the request_id / rid its log lines carried. */
  readonly idsByTrace: WindowMap<TraceIds>;
}

const states = new Map<string, { state: JoinState; refs: number }>();

/** The state for a processor ID (created on first use); call `release` once per acquire. */
export function acquireJoinState(id: string, size: number, windowMs: number): JoinState {
  let s = states.get(id);
  if (!s) {
    s = { state: { contextById: new WindowMap(windowMs, size), idsByTrace: new WindowMap(windowMs, size) }, refs: 0 };
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
