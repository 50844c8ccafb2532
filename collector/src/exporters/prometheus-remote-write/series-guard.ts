/**
 * Remembers the last timestamp sent for each series, so the exporter never sends a sample at or
 * before it: Prometheus rejects a whole request for one out-of-order or duplicate sample.
 *
 * A sample at exactly the last sent timestamp with the same value is a re-send (the exporter
 * helper retries whole batches, and part of a batch may already have been delivered): it is
 * skipped without counting as a drop. Anything else at or before the last timestamp is dropped
 * and counted as out of order.
 *
 * Bounded: at most `maxSeries` entries; past that the series first seen longest ago is forgotten.
 * A series forgotten and seen again starts fresh (its next sample is sent whatever its time; the
 * backend decides).
 */
import type { TimeSeries } from '../../model/remote-write/types.js';

/** What was last sent for a series. */
export interface LastSent {
  readonly timestamp: number;
  readonly value: number;
}

/**
 * A series' record, handed out by {@link SeriesGuard.slot} so a caller that meets the series
 * again (the relay keeps it on its cached series) skips the map lookups. `timestamp` is
 * -Infinity until something was sent.
 */
export interface GuardSlot {
  timestamp: number;
  value: number;
  /** Set when the guard forgot the series: take a new slot. */
  evicted: boolean;
}

type Last = GuardSlot;

const NOTHING_SENT = Number.NEGATIVE_INFINITY;

/** What filtering one series did. */
export interface GuardResult {
  /** The series to send (the input, or a copy without the refused samples); undefined if nothing is left. */
  series: TimeSeries | undefined;
  /** Samples and histograms dropped as out of order or duplicate with another value. */
  outOfOrder: number;
}

/** Equal, or both NaN: a re-send of the same sample. */
export function sameValue(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** Per-series last-sent tracking for one exporter. */
export class SeriesGuard {
  private readonly last = new Map<string, Last>();

  constructor(private readonly maxSeries: number) {}

  /** Number of series tracked. */
  get size(): number {
    return this.last.size;
  }

  /** Removes the samples (and native histograms) at or before what was last sent for `key`. */
  filter(key: string, ts: TimeSeries): GuardResult {
    const prev = this.peek(key);
    let outOfOrder = 0;
    let samples = ts.samples;
    let histograms = ts.histograms;
    let lastTs = prev ? prev.timestamp : Number.NEGATIVE_INFINITY;
    const lastValue = prev?.value;
    if (samples.length > 0 && (samples[0].timestamp <= lastTs || !strictlyIncreasing(samples))) {
      const kept = [];
      for (const s of samples) {
        if (s.timestamp > lastTs) {
          kept.push(s);
          lastTs = s.timestamp;
        } else if (!(prev && s.timestamp === prev.timestamp && sameValue(s.value, lastValue as number))) outOfOrder++;
      }
      samples = kept;
    }
    lastTs = prev ? prev.timestamp : Number.NEGATIVE_INFINITY;
    if (histograms.length > 0 && (histograms[0].timestamp <= lastTs || !strictlyIncreasing(histograms))) {
      const kept = [];
      for (const h of histograms) {
        if (h.timestamp > lastTs) {
          kept.push(h);
          lastTs = h.timestamp;
        } else if (!(prev && h.timestamp === prev.timestamp)) outOfOrder++;
      }
      histograms = kept;
    }
    if (samples.length === 0 && histograms.length === 0) return { series: undefined, outOfOrder };
    if (samples === ts.samples && histograms === ts.histograms) return { series: ts, outOfOrder };
    return { series: { labels: ts.labels, samples, exemplars: ts.exemplars, histograms }, outOfOrder };
  }

  /** What was last sent for `key` (the relay fast path filters its flat samples against it). */
  peek(key: string): LastSent | undefined {
    const rec = this.last.get(key);
    return rec === undefined || rec.timestamp === NOTHING_SENT ? undefined : rec;
  }

  /** The record of `key`, created as "nothing sent" when new; see {@link GuardSlot}. */
  slot(key: string): GuardSlot {
    let rec = this.last.get(key);
    if (rec === undefined) {
      rec = { timestamp: NOTHING_SENT, value: 0, evicted: false };
      this.insert(key, rec);
    }
    return rec;
  }

  /** Records that `ts` was delivered. Call only after the backend accepted it. */
  commit(key: string, ts: TimeSeries): void {
    const s = ts.samples.at(-1);
    const h = ts.histograms.at(-1);
    let timestamp: number;
    let value: number;
    if (s && (!h || s.timestamp >= h.timestamp)) {
      timestamp = s.timestamp;
      value = s.value;
    } else if (h) {
      timestamp = h.timestamp;
      value = h.sum;
    } else return;
    this.commitLast(key, timestamp, value);
  }

  /** Records that a series' newest delivered sample is (`timestamp`, `value`). */
  commitLast(key: string, timestamp: number, value: number): void {
    const entry = this.last.get(key);
    if (entry) {
      // Update in place: no Map churn on the hot path (the profile showed delete+set per series).
      entry.timestamp = timestamp;
      entry.value = value;
      return;
    }
    this.insert(key, { timestamp, value, evicted: false });
  }

  private insert(key: string, rec: Last): void {
    this.last.set(key, rec);
    if (this.last.size > this.maxSeries) {
      // Map iteration order is insertion order: the series first seen longest ago goes.
      const oldest = this.last.entries().next();
      if (!oldest.done) {
        oldest.value[1].evicted = true;
        this.last.delete(oldest.value[0]);
      }
    }
  }
}

function strictlyIncreasing(xs: readonly { timestamp: number }[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i].timestamp <= xs[i - 1].timestamp) return false;
  return true;
}
