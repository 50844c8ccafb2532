/**
 * The OTLP → remote-write fast path: an OTLP protobuf batch nobody has materialised
 * (model/otlp-metrics/source.ts) goes out as remote-write without becoming OTLP objects.
 *
 * What a point's series are (their labels) depends only on its resource, its metric's name,
 * unit, kind, temporality and monotonicity, its attribute bytes and, for histograms, its bounds
 * and whether it has a sum. That is worked out once per such identity through the exporter's own
 * translator (./translate.ts), on the point alone rebuilt as a request (`pointShape`), and cached
 * with the output label fields encoded. Each batch then writes, per point, the cached labels
 * with the values and timestamp read from the scan, in the order the translator makes series,
 * so the output is what the full path (materialise → translate → encode) sends; the tests
 * compare the two byte for byte.
 *
 * Two points of a batch may end up in the same series (batches merged by `batch` or by the
 * exporter's queue, from a sender that sends its series every interval): the plan then says
 * `repeats`, and the sender writes each such series once with its samples in time order, as
 * the full path merges them. A batch takes the full path when metadata or `_created` series are
 * configured, or when a point's translation is not the plain one (one series per number point;
 * buckets, +Inf, sum, count per histogram point).
 */

import { MetricKind, type ScannedMetricsRequest } from '../../model/otlp-metrics/scan.js';
import { type OtlpMetricsSource, pointShape, resourceShape } from '../../model/otlp-metrics/source.js';
import { encodeLabelFields, VALUE_NUMBER, VALUE_STALE } from '../../model/remote-write/encode.js';
import { hashBytes, sameBytes } from './byte-hash.js';
import type { GuardSlot } from './series-guard.js';
import type { Translation, Translator } from './translate.js';

/** One output series: its encoded labels and sender lane. Shared by every input that becomes it. */
export interface OutSeries {
  readonly key: string;
  readonly labels: Buffer;
  readonly lane: number;
  /** The batch that last wrote this series (repeat detection without a per-batch Set). */
  stamp: number;
  /** In that batch: its group in its lane (entries of one series share one). */
  group: number;
  /** The series guard's record, kept here so the sender looks nothing up (see GuardSlot). */
  slot: GuardSlot | undefined;
}

/** What one point identity becomes: its output series in translator order, or not plain. */
interface PointEntry {
  readonly ok: boolean;
  readonly resource: number;
  readonly metric: number;
  readonly attrs: Buffer;
  /** Histograms: the bounds field bytes plus a trailing sum-present byte. */
  readonly extra: Buffer | undefined;
  readonly outputs: readonly OutSeries[];
  next: PointEntry | undefined;
}

interface ResourceEntry {
  readonly id: number;
  readonly ok: boolean;
  /** The resource's target_info series, when the translator makes one. */
  readonly targetInfo: OutSeries | undefined;
}

/**
 * The samples of one lane of a planned batch in translator order: one per series, or with the
 * plan's `repeats`, series met again later in the lane (the same OutSeries and group).
 */
export interface TranscodedLane {
  readonly series: OutSeries[];
  /** Per entry: its series' group, 0, 1, … in the order series are first met in the lane. */
  readonly group: number[];
  /** Groups in the lane (distinct series). */
  groups: number;
  readonly ts: number[];
  /** VALUE_STALE, VALUE_NUMBER (see `value`) or the offset of the value bytes in the request. */
  readonly valueAt: number[];
  readonly value: number[];
}

/** One batch, planned. */
export interface TranscodePlan {
  readonly bytes: Buffer;
  readonly lanes: TranscodedLane[];
  /** Some series is met more than once (in the same lane, as a series always hashes to one). */
  readonly repeats: boolean;
  /** Points of delta sums / histograms (dropped as unsupported_data, as the translator does). */
  readonly unsupported: number;
  /** Points of unspecified temporality (dropped as invalid_data). */
  readonly invalid: number;
}

/** Plans OTLP batches for one exporter; holds the bounded per-point-identity cache. */
export interface OtlpTranscoder {
  /** The batch's plan, or undefined when it must take the full path. */
  plan(source: OtlpMetricsSource): TranscodePlan | undefined;
  /** Point identities cached. */
  readonly size: number;
}

/** True when a translation is exactly `n` plain series (one float sample each, nothing else). */
function plain(t: Translation, n: number): boolean {
  if (t.series.length !== n || t.metadata.length !== 0 || t.unsupportedPoints !== 0 || t.invalidPoints !== 0) return false;
  for (const s of t.series) {
    if (s.samples.length !== 1 || s.exemplars.length !== 0 || s.histograms.length !== 0) return false;
  }
  return true;
}

const CUMULATIVE = 2;
const DELTA = 1;

/**
 * Creates the transcoder. `translator` is the exporter's; `pointTranslator` the same options
 * with target_info off (a point's shape then translates to its own series only). `fastPath` is
 * false when the options add anything per batch (metadata, `_created` series). `maxEntries`
 * bounds the cache; when it is full everything starts over, so churn costs recomputation, never
 * unbounded memory.
 */
export function createOtlpTranscoder(options: {
  translator: Translator;
  pointTranslator: Translator;
  fastPath: boolean;
  lanes: number;
  laneOf(key: string): number;
  maxEntries: number;
}): OtlpTranscoder {
  const { translator, pointTranslator, fastPath, lanes, laneOf, maxEntries } = options;
  const points = new Map<number, PointEntry>();
  let pointCount = 0;
  const resources = new Map<string, ResourceEntry>();
  const metricIds = new Map<string, number>();
  const byOutput = new Map<string, OutSeries>();
  let stamp = 0;

  const output = (t: Translation, i: number): OutSeries => {
    const key = t.keys[i] as string;
    let out = byOutput.get(key);
    if (out === undefined) {
      out = {
        key,
        labels: encodeLabelFields((t.series[i] as Translation['series'][number]).labels),
        lane: laneOf(key),
        stamp: 0,
        group: 0,
        slot: undefined,
      };
      byOutput.set(key, out);
    }
    return out;
  };

  const resourceEntry = (scan: ScannedMetricsRequest, r: number): ResourceEntry => {
    const key = scan.bytes.toString('latin1', scan.resStart[r] as number, scan.resEnd[r] as number);
    let e = resources.get(key);
    if (e === undefined) {
      const t = translator.translate(resourceShape(scan, r));
      const ok = (plain(t, 1) || plain(t, 2)) && (t.series[0]?.samples[0]?.timestamp ?? 0) === 1;
      e = { id: resources.size + 1, ok, targetInfo: ok && t.series.length === 2 ? output(t, 1) : undefined };
      resources.set(key, e);
    }
    return e;
  };

  const metricId = (scan: ScannedMetricsRequest, m: number): number => {
    const b = scan.bytes;
    const key = `${scan.metricKind[m]}/${scan.metricTemporality[m]}/${scan.metricMonotonic[m]}/${b.toString(
      'latin1',
      scan.nameStart[m] as number,
      scan.nameEnd[m] as number,
    )}\u0000${b.toString('latin1', scan.unitStart[m] as number, scan.unitEnd[m] as number)}`;
    let id = metricIds.get(key);
    if (id === undefined) {
      id = metricIds.size + 1;
      metricIds.set(key, id);
    }
    return id;
  };

  const miss = (scan: ScannedMetricsRequest, r: number, res: number, m: number, met: number, p: number, hash: number) => {
    const b = scan.bytes;
    const kind = scan.metricKind[m] as MetricKind;
    const t = pointTranslator.translate(pointShape(scan, r, m, p));
    let n = 1;
    let extra: Buffer | undefined;
    if (kind === MetricKind.Histogram) {
      const bs = scan.boundsStart[p] as number;
      const be = scan.boundsEnd[p] as number;
      extra = Buffer.allocUnsafe(be - bs + 1);
      b.copy(extra, 0, bs, be);
      extra[be - bs] = (scan.sumAt[p] as number) >= 0 ? 1 : 0;
      n = (scan.bucketCount[p] as number) + 1 + (extra[be - bs] as number);
    }
    const ok = plain(t, n);
    const outputs: OutSeries[] = [];
    if (ok) for (let i = 0; i < n; i++) outputs.push(output(t, i));
    const entry: PointEntry = {
      ok,
      resource: res,
      metric: met,
      attrs: Buffer.from(b.subarray(scan.attrStart[p] as number, scan.attrEnd[p] as number)),
      extra,
      outputs,
      next: points.get(hash),
    };
    points.set(hash, entry);
    pointCount++;
    return entry;
  };

  const lookup = (scan: ScannedMetricsRequest, res: number, met: number, p: number, hash: number, hist: boolean) => {
    const b = scan.bytes;
    const as = scan.attrStart[p] as number;
    const ae = scan.attrEnd[p] as number;
    for (let e = points.get(hash); e !== undefined; e = e.next) {
      if (e.resource !== res || e.metric !== met || !sameBytes(e.attrs, b, as, ae)) continue;
      if (hist) {
        const x = e.extra as Buffer;
        const bs = scan.boundsStart[p] as number;
        const be = scan.boundsEnd[p] as number;
        if (x.length !== be - bs + 1 || x.compare(b, bs, be, 0, be - bs) !== 0) continue;
        if (x[be - bs] !== ((scan.sumAt[p] as number) >= 0 ? 1 : 0)) continue;
      }
      return e;
    }
    return undefined;
  };

  return {
    get size() {
      return pointCount;
    },
    plan(source) {
      if (!fastPath) return undefined;
      if (pointCount >= maxEntries || byOutput.size >= 4 * maxEntries) {
        points.clear();
        resources.clear();
        metricIds.clear();
        byOutput.clear();
        pointCount = 0;
      }
      const scan = source.scan;
      const b = scan.bytes;
      stamp++;
      const out: TranscodedLane[] = [];
      for (let i = 0; i < lanes; i++) out.push({ series: [], group: [], groups: 0, ts: [], valueAt: [], value: [] });
      let unsupported = 0;
      let invalid = 0;
      let repeats = false;
      const put = (s: OutSeries, ms: number, valueAt: number, value: number): void => {
        const lane = out[s.lane] as TranscodedLane;
        if (s.stamp === stamp) repeats = true;
        else {
          s.stamp = stamp;
          s.group = lane.groups++;
        }
        lane.series.push(s);
        lane.group.push(s.group);
        lane.ts.push(ms);
        lane.valueAt.push(valueAt);
        lane.value.push(value);
      };
      let m = 0;
      let p = 0;
      for (let r = 0; r < scan.resourceCount; r++) {
        const resEntry = resourceEntry(scan, r);
        if (!resEntry.ok) return undefined;
        let latest = 0;
        for (const mEnd = scan.resMetricEnd[r] as number; m < mEnd; m++) {
          const pEnd = scan.metricPointEnd[m] as number;
          const kind = scan.metricKind[m] as MetricKind;
          if (kind === MetricKind.None) continue;
          if (kind !== MetricKind.Gauge && scan.metricTemporality[m] !== CUMULATIVE) {
            if (scan.metricTemporality[m] === DELTA) unsupported += pEnd - p;
            else invalid += pEnd - p;
            p = pEnd;
            continue;
          }
          const met = metricId(scan, m);
          const hist = kind === MetricKind.Histogram;
          const seed = Math.imul(resEntry.id, 0x9e3779b1) ^ Math.imul(met, 0x85ebca6b);
          for (; p < pEnd; p++) {
            let hash = hashBytes(b, scan.attrStart[p] as number, scan.attrEnd[p] as number, seed);
            if (hist) hash = hashBytes(b, scan.boundsStart[p] as number, scan.boundsEnd[p] as number, hash);
            const e = lookup(scan, resEntry.id, met, p, hash, hist) ?? miss(scan, r, resEntry.id, m, met, p, hash);
            if (!e.ok) return undefined;
            const ms = scan.ms[p] as number;
            if (ms > latest) latest = ms;
            const stale = scan.stale[p] === 1;
            const outputs = e.outputs;
            if (!hist) {
              const at = scan.valueAt[p] as number;
              if (stale) put(outputs[0] as OutSeries, ms, VALUE_STALE, 0);
              else if (at >= 0) put(outputs[0] as OutSeries, ms, at, 0);
              else put(outputs[0] as OutSeries, ms, VALUE_NUMBER, scan.intValue[p] as number);
              continue;
            }
            // Buckets (cumulative), +Inf (= count), sum when present, count: the translator's order.
            const nb = outputs.length - 2 - ((scan.sumAt[p] as number) >= 0 ? 1 : 0);
            const count = scan.intValue[p] as number;
            let at = scan.bucketsAt[p] as number;
            let cumulative = 0;
            for (let k = 0; k < nb; k++, at += 8) {
              cumulative += b.readUInt32LE(at + 4) * 4294967296 + b.readUInt32LE(at);
              put(outputs[k] as OutSeries, ms, stale ? VALUE_STALE : VALUE_NUMBER, cumulative);
            }
            put(outputs[nb] as OutSeries, ms, stale ? VALUE_STALE : VALUE_NUMBER, count);
            let o = nb + 1;
            const sumAt = scan.sumAt[p] as number;
            if (sumAt >= 0) put(outputs[o++] as OutSeries, ms, stale ? VALUE_STALE : sumAt, 0);
            put(outputs[o] as OutSeries, ms, stale ? VALUE_STALE : VALUE_NUMBER, count);
          }
        }
        if (latest > 0 && resEntry.targetInfo !== undefined) put(resEntry.targetInfo, latest, VALUE_NUMBER, 1);
      }
      return { bytes: b, lanes: out, repeats, unsupported, invalid };
    },
  };
}
