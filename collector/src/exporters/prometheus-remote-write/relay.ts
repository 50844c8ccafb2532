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
}

/** One batch, planned: the series of each lane, in input order. */
export interface RelayPlan {
  readonly scan: ScannedWriteRequest;
  /** Per lane: indices of scanned series, and their RelaySeries (parallel arrays). */
  readonly lanes: { readonly series: number[]; readonly entries: RelaySeries[] }[];
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

  const lookup = (bytes: Buffer, start: number, end: number, hash: number): RelaySeries | undefined => {
    for (let e = byInput.get(hash); e !== undefined; e = e.next) {
      if (sameBytes(e.input, bytes, start, end)) return e.series;
    }
    return undefined;
  };

  const miss = (source: RemoteWriteSource, i: number, hash: number): RelaySeries => {
    if (inputs >= maxEntries) {
      byInput.clear();
      byOutput.clear();
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
    byInput.set(hash, { input, series: entry, next: byInput.get(hash) });
    inputs++;
    return entry;
  };

  return {
    get size() {
      return inputs;
    },
    plan(source) {
      const scan = source.scan;
      const { bytes, labelsStart, labelsEnd, sampleStart, sampleTs } = scan;
      stamp++;
      const plan: RelayPlan = { scan, lanes: Array.from({ length: lanes }, () => ({ series: [], entries: [] })) };
      for (let i = 0; i < scan.seriesCount; i++) {
        const start = labelsStart[i] as number;
        const end = labelsEnd[i] as number;
        const hash = hashBytes(bytes, start, end);
        const entry = lookup(bytes, start, end, hash) ?? miss(source, i, hash);
        if (!entry.ok || entry.stamp === stamp) return undefined;
        entry.stamp = stamp;
        for (let k = (sampleStart[i] as number) + 1; k < (sampleStart[i + 1] as number); k++) {
          if ((sampleTs[k] as number) < (sampleTs[k - 1] as number)) return undefined;
        }
        const lane = plan.lanes[entry.lane] as RelayPlan['lanes'][number];
        lane.series.push(i);
        lane.entries.push(entry);
      }
      return plan;
    },
  };
}
