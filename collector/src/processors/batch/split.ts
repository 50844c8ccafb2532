/**
 * Splitting and merging batches by item count, keeping the resource → scope → record structure.
 * Neither function edits its input: pieces are new container objects (with the input's
 * prototypes, so protobufjs field defaults still read right) that share the records themselves.
 * Written by hand: pdata's MoveAndAppendTo / split helpers have no JavaScript counterpart.
 */
import { countItems } from '../../model/count.js';
import { mergeLazyMetrics } from '../../model/lazy-merge.js';
import type { Metric, MetricsData, Signal, SignalData } from '../../model/types.js';

const KEYS = {
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'],
} as const satisfies Record<Signal, readonly [string, string, string]>;

/** The metric data fields, in the order count.ts reads them (a metric sets one). */
const POINT_FIELDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

type Obj = Record<string, unknown>;

/** A shallow copy of `obj` (same prototype) with `key` replaced. */
function withField<T extends object>(obj: T, key: string, value: unknown): T {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(obj)), obj) as Obj;
  copy[key] = value;
  return copy as T;
}

function pointsField(m: Metric): (typeof POINT_FIELDS)[number] | undefined {
  for (const f of POINT_FIELDS) if (m[f]) return f;
  return undefined;
}

function metricPoints(m: Metric): number {
  const f = pointsField(m);
  return f ? ((m[f] as { dataPoints: unknown[] }).dataPoints.length ?? 0) : 0;
}

/** Splits a list of leaves (records or metrics) so that the head holds `left` items. */
function splitLeaves(signal: Signal, leaves: unknown[], left: number): { head: unknown[]; rest: unknown[]; taken: number } {
  if (signal !== 'metrics') {
    if (leaves.length <= left) return { head: leaves, rest: [], taken: leaves.length };
    return { head: leaves.slice(0, left), rest: leaves.slice(left), taken: left };
  }
  const head: unknown[] = [];
  const rest: unknown[] = [];
  let taken = 0;
  for (const leaf of leaves as Metric[]) {
    const room = left - taken;
    if (room === 0) {
      rest.push(leaf);
      continue;
    }
    const n = metricPoints(leaf);
    if (n <= room) {
      head.push(leaf);
      taken += n;
      continue;
    }
    const f = pointsField(leaf) as (typeof POINT_FIELDS)[number];
    const data = leaf[f] as { dataPoints: unknown[] };
    head.push(withField(leaf, f, withField(data, 'dataPoints', data.dataPoints.slice(0, room))));
    rest.push(withField(leaf, f, withField(data, 'dataPoints', data.dataPoints.slice(room))));
    taken += room;
  }
  return { head, rest, taken };
}

/**
 * Splits `data` into a head with exactly `count` items (or all of them, when it has fewer) and
 * the rest. Resources and scopes that straddle the boundary appear in both, sharing their
 * resource and scope objects.
 */
export function splitData<S extends Signal>(signal: S, data: SignalData[S], count: number): [SignalData[S], SignalData[S]] {
  const [rKey, sKey, leafKey] = KEYS[signal];
  const headR: unknown[] = [];
  const restR: unknown[] = [];
  let left = count;
  for (const r of (data as unknown as Obj)[rKey] as Obj[]) {
    if (left === 0) {
      restR.push(r);
      continue;
    }
    const headS: unknown[] = [];
    const restS: unknown[] = [];
    for (const s of r[sKey] as Obj[]) {
      if (left === 0) {
        restS.push(s);
        continue;
      }
      const leaves = s[leafKey] as unknown[];
      const { head, rest, taken } = splitLeaves(signal, leaves, left);
      left -= taken;
      if (rest.length === 0) headS.push(s);
      else {
        headS.push(withField(s, leafKey, head));
        restS.push(withField(s, leafKey, rest));
      }
    }
    if (restS.length === 0) headR.push(r);
    else {
      headR.push(withField(r, sKey, headS));
      restR.push(withField(r, sKey, restS));
    }
  }
  return [{ [rKey]: headR } as unknown as SignalData[S], { [rKey]: restR } as unknown as SignalData[S]];
}

/**
 * One batch holding every resource entry of `parts`, in order. A single part is returned as is;
 * lazy metrics batches of one kind stay lazy.
 */
export function mergeData<S extends Signal>(signal: S, parts: readonly SignalData[S][]): SignalData[S] {
  if (parts.length === 1) return parts[0] as SignalData[S];
  if (signal === 'metrics') {
    // Lazy batches of one kind merge without materialising (model/lazy-merge.ts).
    const lazy = mergeLazyMetrics(parts as readonly MetricsData[]);
    if (lazy) return lazy as SignalData[S];
  }
  const rKey = KEYS[signal][0];
  const all: unknown[] = [];
  for (const p of parts) for (const r of (p as unknown as Obj)[rKey] as unknown[]) all.push(r);
  return { [rKey]: all } as unknown as SignalData[S];
}

/** Items in a batch (re-exported for the batcher). */
export { countItems };
