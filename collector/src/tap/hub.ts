/**
 * The tap hub: a registry of tap points (the entry of each pipeline and the output of each of
 * its processors) and the subscriptions `stitch tap` opens on them. A point with no subscriber
 * costs one boolean check per batch. With subscribers, items are rendered synchronously into a
 * bounded queue per subscriber; when a slow client lets its queue fill, further items are counted
 * as dropped for that client and the pipeline never waits.
 */
import type { Registry } from 'prom-client';
import type { Signal, SignalData } from '../model/types.js';
import { forEachRecord, type TapFilter, type TapRecord } from './render.js';

/** Items at most held for one subscriber before new ones are dropped. */
export const SUBSCRIBER_QUEUE = 256;
/** Items at most looked at per batch per subscriber: a tap shows a sample. */
const MAX_SCAN_PER_BATCH = 1000;

/** Where a tap point sits. `after` is `receiver` for the pipeline entry, else a processor ID. */
export interface TapPointInfo {
  readonly pipeline: string;
  readonly after: string;
  readonly signal: Signal;
  /** 0 for the pipeline entry, n after the n-th processor. */
  readonly position: number;
}

/** A place in a pipeline that can be tapped. */
export interface TapPoint extends TapPointInfo {
  /** True while someone is tapping; the hot path checks only this. */
  readonly active: boolean;
  /** Copies a sample of `batch` to the subscribers (synchronous; never throws, never waits). */
  publish(batch: SignalData[Signal]): void;
}

/** One client's view of a tap point. */
export interface TapSubscription {
  readonly point: TapPointInfo;
  /** Takes the queued records (and resets the queue). */
  take(): TapRecord[];
  /** Items dropped because the queue was full since the last call (and resets the count). */
  takeDropped(): number;
  /** Called when records arrive (the server writes them out). */
  onData: (() => void) | undefined;
  /** Stops the subscription; idempotent. */
  close(): void;
}

class Subscriber implements TapSubscription {
  queue: TapRecord[] = [];
  dropped = 0;
  remaining: number;
  onData: (() => void) | undefined;
  closed = false;

  constructor(
    readonly point: PointImpl,
    readonly filters: readonly TapFilter[],
    limit: number,
  ) {
    this.remaining = limit > 0 ? limit : Number.POSITIVE_INFINITY;
  }

  take(): TapRecord[] {
    const q = this.queue;
    this.queue = [];
    return q;
  }

  takeDropped(): number {
    const d = this.dropped;
    this.dropped = 0;
    return d;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.point.remove(this);
  }
}

class PointImpl implements TapPoint {
  active = false;
  private readonly subscribers = new Set<Subscriber>();

  constructor(
    readonly pipeline: string,
    readonly after: string,
    readonly signal: Signal,
    readonly position: number,
  ) {}

  add(s: Subscriber): void {
    this.subscribers.add(s);
    this.active = true;
  }

  remove(s: Subscriber): void {
    this.subscribers.delete(s);
    this.active = this.subscribers.size > 0;
  }

  publish(batch: SignalData[Signal]): void {
    for (const s of this.subscribers) {
      if (s.remaining <= 0) continue;
      let added = 0;
      forEachRecord(this.signal, batch, this, s.filters, MAX_SCAN_PER_BATCH, (render) => {
        if (s.queue.length >= SUBSCRIBER_QUEUE) {
          s.dropped++;
          return true;
        }
        s.queue.push(render());
        added++;
        return --s.remaining > 0;
      });
      if (added > 0) s.onData?.();
    }
  }
}

/** The tap points of one collector. */
export class TapHub {
  private readonly points = new Map<string, PointImpl>();

  /** The point at (`pipeline`, `after`), created on first use (a rebuilt graph gets the same one). */
  point(pipeline: string, after: string, signal: Signal, position: number): TapPoint {
    const key = `${pipeline}\u0000${after}`;
    let p = this.points.get(key);
    if (!p) this.points.set(key, (p = new PointImpl(pipeline, after, signal, position)));
    return p;
  }

  /** Every point, by pipeline and then in data-flow order. */
  list(): TapPointInfo[] {
    return [...this.points.values()]
      .map(({ pipeline, after, signal, position }) => ({ pipeline, after, signal, position }))
      .sort((a, b) => (a.pipeline === b.pipeline ? a.position - b.position : a.pipeline < b.pipeline ? -1 : 1));
  }

  /**
   * Subscribes to (`pipeline`, `after`); `after` omitted means the pipeline's last point (what
   * reaches its exporters). Undefined when there is no such point. `limit` 0 = no limit.
   */
  subscribe(
    pipeline: string,
    after: string | undefined,
    filters: readonly TapFilter[],
    limit: number,
  ): TapSubscription | undefined {
    let point: PointImpl | undefined;
    if (after === undefined) {
      for (const p of this.points.values()) if (p.pipeline === pipeline && (!point || p.position > point.position)) point = p;
    } else point = this.points.get(`${pipeline}\u0000${after}`);
    if (!point) return undefined;
    const s = new Subscriber(point, filters, limit);
    point.add(s);
    return s;
  }
}

const hubs = new WeakMap<Registry, TapHub>();

/**
 * The hub of the collector that owns `registry`. Each running collector has its own
 * SelfTelemetry registry, which the pipeline graph and the `tap` extension both see, so this
 * joins them without widening the component contract.
 */
export function tapHubFor(registry: Registry): TapHub {
  let hub = hubs.get(registry);
  if (!hub) hubs.set(registry, (hub = new TapHub()));
  return hub;
}
