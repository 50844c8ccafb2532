/**
 * The relay fast path: a remote-write batch that no consumer has materialised
 * (model/remote-write/source.ts) goes back out as remote-write without becoming OTLP objects.
 *
 * What a series becomes depends only on its labels, so it is worked out once per label set and
 * cached: on a miss the source gives the series alone in OTLP form and the exporter's own
 * translator (./translate.ts) turns it into its output labels, which are encoded once. Every
 * later batch copies those bytes and the samples, so the output is exactly what the full path
 * (materialise → translate → encode) sends — the tests compare the two.
 *
 * A batch takes the full path instead when any of its series translates to something else than
 * one series with one sample (metadata on, a `_created` series, …), when two of its series end
 * up with the same labels (the full path merges them), or when a series' samples are out of time
 * order (the full path sorts them).
 */
import { encodeLabelFields } from '../../model/remote-write/encode.js';
import type { ScannedWriteRequest } from '../../model/remote-write/scan.js';
import type { RemoteWriteSource } from '../../model/remote-write/source.js';
import { hashBytes, sameBytes } from './byte-hash.js';
import type { GuardSlot } from './series-guard.js';
import type { Translator } from './translate.js';

/** What one label set becomes. Shared by every input encoding of the same output series. */
export interface RelaySeries {
  /** False when the series must go the full path. */
  readonly ok: boolean;
  /** The output series' identity (the full path's key): sharding and the series guard. */
  readonly key: string;
  /** The output label fields, encoded. */
  readonly labels: Buffer;
  /** The sender lane of the series. */
  readonly lane: number;
  /** The batch that last used this series (duplicate detection without a per-batch Set). */
  stamp: number;
  /** The exporter's series-guard record for `key`, once asked for (./series-guard.ts). */
  slot?: GuardSlot | undefined;
  /** The newest sample time this series had in the batch being planned. */
  batchLastTs?: number;
  /** Its group in its lane in the batch being planned (0, 1, … in the order first met). */
  group?: number;
}

/** One lane of a planned batch, in input order. */
export interface RelayLane {
  readonly series: number[];
  readonly entries: RelaySeries[];
  readonly group: number[];
  groups: number;
}

/** One batch, planned: the series of each lane, in input order. */
export interface RelayPlan {
  readonly scan: ScannedWriteRequest;
  /**
   * Per lane: indices of scanned series, their RelaySeries and its group (parallel arrays), and
   * the number of groups (distinct output series). An entry may come back when `repeats` is set:
   * its scanned series then follow one another in time.
   */
  readonly lanes: RelayLane[];
  /** Some output series is met more than once (merged batches repeat a sender's series). */
  repeats: boolean;
}

/** Plans scanned batches for one exporter; holds the bounded per-label-set cache. */
export interface Relay {
  /** The batch's plan, or undefined when it must take the full path. */
  plan(source: RemoteWriteSource): RelayPlan | undefined;
  /** Label sets cached. */
  readonly size: number;
}

/** A label set's input bytes, chained per hash (collisions are compared byte for byte). */
interface InputEntry {
  readonly input: Buffer;
  readonly series: RelaySeries;
  next: InputEntry | undefined;
}

/** Request shapes remembered for prediction (one per sender's first series, roughly). */
const MAX_ORDERS = 4096;

const NOT_RELAYED: RelaySeries = { ok: false, key: '', labels: Buffer.alloc(0), lane: 0, stamp: 0 };

/**
 * Creates the relay planner. `maxEntries` bounds the cache (roughly 600 bytes per label set);
 * when it is full both maps start over, so a churn of new series costs recomputation, never
 * unbounded memory.
 */
export function createRelay(options: {
  translator: Translator;
  lanes: number;
  laneOf(key: string): number;
  maxEntries: number;
}): Relay {
  const { translator, lanes, laneOf, maxEntries } = options;
  // Input label bytes (by hash, chained) → series, and the output key → series, so different
  // inputs that become the same series share one entry.
  const byInput = new Map<number, InputEntry>();
  let inputs = 0;
  const byOutput = new Map<string, RelaySeries>();
  let stamp = 0;

  // A sender's requests usually carry its series in the same order every time: the input entries
  // of the last request that began with the same series, by that series' hash, predict each
  // position, and one byte comparison then replaces hashing the labels and the map lookup
  // (~110 of ~320 ns per series in plan()). Reset with the cache, so a prediction is always an
  // entry the cache would return.
  const lastOrder = new Map<number, InputEntry[]>();
  let generation = 0;

  const lookup = (bytes: Buffer, start: number, end: number, hash: number): InputEntry | undefined => {
    for (let e = byInput.get(hash); e !== undefined; e = e.next) {
      if (sameBytes(e.input, bytes, start, end)) return e;
    }
    return undefined;
  };

  const miss = (source: RemoteWriteSource, i: number, hash: number): InputEntry => {
    if (inputs >= maxEntries) {
      byInput.clear();
      byOutput.clear();
      lastOrder.clear();
      generation++;
      inputs = 0;
    }
    const t = translator.translate(source.seriesShape(i));
    const out = t.series[0];
    let entry = NOT_RELAYED;
    if (
      t.series.length === 1 &&
      out !== undefined &&
      out.samples.length === 1 &&
      out.exemplars.length === 0 &&
      out.histograms.length === 0 &&
      t.metadata.length === 0 &&
      t.unsupportedPoints === 0 &&
      t.invalidPoints === 0
    ) {
      const key = t.keys[0] as string;
      entry = byOutput.get(key) ?? { ok: true, key, labels: encodeLabelFields(out.labels), lane: laneOf(key), stamp: 0 };
      byOutput.set(key, entry);
    }
    const scan = source.scan;
    const input = Buffer.from(scan.bytes.subarray(scan.labelsStart[i] as number, scan.labelsEnd[i] as number));
    const created: InputEntry = { input, series: entry, next: byInput.get(hash) };
    byInput.set(hash, created);
    inputs++;
    return created;
  };

  /**
   * Plans one batch. A cache that starts over part-way would leave the batch's earlier series on
   * entries the rest no longer share, and two inputs of one output series would then go unnoticed
   * (the full path merges them): the batch is planned again on the fresh cache, once; a batch with
   * more distinct series than the cache holds takes the full path.
   */
  const planBatch = (source: RemoteWriteSource, again: boolean): RelayPlan | undefined => {
    const scan = source.scan;
    const { bytes, labelsStart, labelsEnd, sampleStart, sampleTs } = scan;
    stamp++;
    const plan: RelayPlan = {
      scan,
      lanes: Array.from({ length: lanes }, () => ({ series: [], entries: [], group: [], groups: 0 })),
      repeats: false,
    };
    const n = scan.seriesCount;
    const gen = generation;
    let predicted: InputEntry[] | undefined;
    let order: InputEntry[] | undefined;
    for (let i = 0; i < n; i++) {
      const start = labelsStart[i] as number;
      const end = labelsEnd[i] as number;
      let input = predicted?.[i];
      if (input === undefined || !sameBytes(input.input, bytes, start, end)) {
        const hash = hashBytes(bytes, start, end);
        input = lookup(bytes, start, end, hash) ?? miss(source, i, hash);
        if (generation !== gen) return again ? planBatch(source, false) : undefined;
        if (i === 0) {
          predicted = lastOrder.get(hash);
          // Reused in place: position i is read before it is overwritten.
          order = predicted !== undefined && predicted.length === n ? predicted : new Array<InputEntry>(n);
          if (order !== predicted) {
            if (lastOrder.size >= MAX_ORDERS) lastOrder.clear();
            lastOrder.set(hash, order);
          }
        }
      }
      if (order !== undefined) order[i] = input;
      const entry = input.series;
      if (!entry.ok) return undefined;
      const first = sampleStart[i] as number;
      const next = sampleStart[i + 1] as number;
      if (entry.stamp === stamp) {
        // Met again in this batch (merged batches repeat a sender's series): its samples continue
        // the series when they are all later; anything else the full path merges and sorts.
        if ((sampleTs[first] as number) <= (entry.batchLastTs as number)) return undefined;
        plan.repeats = true;
      } else entry.group = (plan.lanes[entry.lane] as RelayLane).groups++;
      entry.stamp = stamp;
      for (let k = first + 1; k < next; k++) {
        if ((sampleTs[k] as number) < (sampleTs[k - 1] as number)) return undefined;
      }
      entry.batchLastTs = sampleTs[next - 1] as number;
      const lane = plan.lanes[entry.lane] as RelayLane;
      lane.series.push(i);
      lane.entries.push(entry);
      lane.group.push(entry.group as number);
    }
    return plan;
  };

  return {
    get size() {
      return inputs;
    },
    plan: (source) => planBatch(source, true),
  };
}
