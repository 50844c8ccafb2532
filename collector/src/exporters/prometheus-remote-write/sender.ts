/**
 * The sending side of the `prometheusremotewrite` exporter: translate a batch (./translate.ts),
 * shard its series by hash over `remote_write_queue.num_consumers` lanes, drop what was already
 * sent or is out of order (./series-guard.ts), split by `max_batch_size_bytes`, encode
 * (model/remote-write), snappy, POST (./client.ts). It runs on the exporter's worker thread
 * (./sender-worker.ts) or, when there is none, on the event loop (./exporter.ts).
 *
 * Ordering: each lane is a FIFO, and a series always hashes to the same lane, so its samples
 * leave in time order even when several batches are in flight. The exporterhelper queue in
 * front runs one consumer (as the contrib exporter does): retries of a batch then happen before
 * the next batch is sent, and concurrency comes from the lanes instead.
 */
import type { CorrelationIdKey } from '@stitch/correlation';
import { errors, StitchError } from '../../errors.js';
import { EncodeArena } from '../../internal/encode-arena.js';
import { otlpMetricsSource } from '../../model/otlp-metrics/source.js';
import {
  type EncodedRequest,
  encodeSampleSeries,
  encodeScannedSeries,
  encodeWriteRequests,
  VALUE_NUMBER,
  VALUE_STALE,
} from '../../model/remote-write/encode.js';
import type { ScannedWriteRequest } from '../../model/remote-write/scan.js';
import { compressBodySync } from '../../model/remote-write/snappy.js';
import { remoteWriteSource } from '../../model/remote-write/source.js';
import type { MetricMetadata, TimeSeries } from '../../model/remote-write/types.js';
import { STALE_NAN } from '../../model/remote-write/types.js';
import type { MetricsData } from '../../model/types.js';
import type { RemoteWriteClient } from './client.js';
import type { PrometheusRemoteWriteConfig } from './config.js';
import { createOtlpTranscoder, type OutSeries, type TranscodedLane } from './otlp-transcode.js';
import { createRelay, type RelayLane, type RelaySeries } from './relay.js';
import { type GuardSlot, SeriesGuard, sameValue } from './series-guard.js';
import { createTranslator, type Translation, translateOptionsOf } from './translate.js';

/** Series whose last-sent timestamp is remembered (about 100 bytes each plus the label key). */
export const MAX_TRACKED_SERIES = 200_000;

/** Label sets whose relay encoding is cached (model/remote-write/source.ts batches; ~600 bytes each). */
export const MAX_RELAY_SERIES = 100_000;

/** 32-bit FNV-1a of a series key: picks the sender lane. */
export function seriesHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * What the sender tells its owner, to count in the exporter's own telemetry (the worker batches
 * these up and sends them with each answer).
 */
export interface SenderEvents {
  /** Points not translatable: `unsupported_data` (delta temporality, …) or `invalid_data`. */
  dropped(reason: 'unsupported_data' | 'invalid_data', points: number): void;
  /** Exemplar labels left out to fit Prometheus' 128-rune exemplar label budget. */
  exemplarLabelsDropped(label: CorrelationIdKey, count: number): void;
  /** Samples at or before the last one sent for their series. */
  outOfOrder(samples: number): void;
}

/** What `createSender` needs. */
export interface SenderOptions {
  componentId: string;
  config: PrometheusRemoteWriteConfig;
  /** The HTTP client, once started (undefined before start and after shutdown). */
  client(): RemoteWriteClient | undefined;
  events: SenderEvents;
}

/** Sends batches; `push` settles once every series of the batch was delivered or refused. */
export interface Sender {
  /** Rejects with the most demanding retryable StitchError, else the first permanent one. */
  push(data: MetricsData, abort: AbortSignal): Promise<void>;
  /** Series whose last-sent timestamp is remembered. */
  readonly trackedSeries: number;
}

/** A FIFO of async jobs: each starts after the previous one settled. */
class Lane {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const p = this.tail.then(job, job);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

/**
 * Entries grouped by the group index the plan gave each (0, 1, … in the order first met), by a
 * counting sort: group g is order[groupStart[g]] … order[groupStart[g + 1] - 1], in entry order.
 */
function groupOrder(group: readonly number[], groups: number): { order: Int32Array; groupStart: Int32Array } {
  const n = group.length;
  const groupStart = new Int32Array(groups + 1);
  for (let j = 0; j < n; j++) (groupStart[(group[j] as number) + 1] as number)++;
  for (let g = 0; g < groups; g++) groupStart[g + 1] = (groupStart[g + 1] as number) + (groupStart[g] as number);
  const fill = groupStart.slice(0, groups);
  const order = new Int32Array(n);
  for (let j = 0; j < n; j++) order[(fill[group[j] as number] as number)++] = j;
  return { order, groupStart };
}

/**
 * Lets I/O callbacks run before a lane's encode-compress-send: a merged batch's lanes would
 * otherwise take the event loop for one stretch of ~10 ms, and requests arriving meanwhile (an
 * HTTP/2 WINDOW_UPDATE, a gRPC call the client waits on) wait for all of it.
 */
function yieldToReceivers(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A lane's entries grouped by series (the plan numbers each series' group in the order first
 * met): group g is order[groupStart[g]] … order[groupStart[g + 1] - 1], by timestamp (a stable
 * sort: equal ones in lane order), as the full path sorts a series' samples (./translate.ts).
 */
function groupEntries(lane: TranscodedLane): { order: Int32Array; groupStart: Int32Array } {
  const { ts } = lane;
  const { order, groupStart } = groupOrder(lane.group, lane.groups);
  for (let g = 0; g < lane.groups; g++) {
    const from = groupStart[g] as number;
    const to = groupStart[g + 1] as number;
    let sorted = true;
    for (let q = from + 1; q < to && sorted; q++)
      sorted = (ts[order[q] as number] as number) >= (ts[order[q - 1] as number] as number);
    if (!sorted) {
      const part = Array.from(order.subarray(from, to)).sort((x, y) => (ts[x] as number) - (ts[y] as number) || x - y);
      order.set(part, from);
    }
  }
  return { order, groupStart };
}

/** Creates the sender of one exporter: its translator, caches, series guard and lanes. */
export function createSender(options: SenderOptions): Sender {
  const { componentId, config, events } = options;
  const translateOptions = translateOptionsOf(config);
  const translator = createTranslator(translateOptions);
  const guard = new SeriesGuard(MAX_TRACKED_SERIES);
  const lanes = Array.from({ length: config.remote_write_queue.num_consumers }, () => new Lane());
  const relay = createRelay({
    translator,
    lanes: lanes.length,
    laneOf: (key) => seriesHash(key) % lanes.length,
    maxEntries: MAX_RELAY_SERIES,
  });
  const transcoder = createOtlpTranscoder({
    translator,
    pointTranslator: createTranslator({ ...translateOptions, targetInfo: false }),
    // Metadata and `_created` series are per batch, not per point: those configs take the full path.
    fastPath: !translateOptions.sendMetadata && !translateOptions.exportCreatedMetric,
    lanes: lanes.length,
    laneOf: (key) => seriesHash(key) % lanes.length,
    maxEntries: MAX_RELAY_SERIES,
  });
  /** Bodies are encoded into this reused memory and compressed right away (see EncodeArena). */
  const arena = new EncodeArena();
  /**
   * Compresses every request of one encode before the arena is reused, then sends them in order,
   * committing each request's series (`commit(j)` per series j) once the backend accepted it.
   */
  const sendEncoded = async (
    c: RemoteWriteClient,
    requests: readonly EncodedRequest[],
    abort: AbortSignal,
    commit: (j: number) => void,
  ) => {
    const bodies = requests.map((r) => compressBodySync(r.body));
    for (let r = 0; r < requests.length; r++) {
      const req = requests[r] as EncodedRequest;
      await c.send(bodies[r] as Buffer, abort);
      for (let j = req.from; j < req.to; j++) commit(j);
    }
  };

  const countTranslation = (t: Translation) => {
    if (t.unsupportedPoints > 0) events.dropped('unsupported_data', t.unsupportedPoints);
    if (t.invalidPoints > 0) events.dropped('invalid_data', t.invalidPoints);
    for (const key in t.exemplarLabelsDropped) {
      events.exemplarLabelsDropped(key as CorrelationIdKey, t.exemplarLabelsDropped[key as CorrelationIdKey] ?? 0);
    }
  };
  const countOutOfOrder = (outOfOrder: number) => events.outOfOrder(outOfOrder);

  /**
   * The relay fast path's shard: the same guard rules as SeriesGuard.filter, on the scan's flat
   * samples (which the planner checked are in time order), then encoded straight from the scan.
   * With `repeats`, an output series met several times (merged batches) gets all its samples,
   * in order, as one series.
   */
  const sendRelayed = async (scan: ScannedWriteRequest, lane: RelayLane, repeats: boolean, abort: AbortSignal) => {
    const { series, entries } = lane;
    await yieldToReceivers();
    const c = options.client();
    if (!c) throw errors.STITCH_ERR_SHUTDOWN([componentId]);
    const { sampleStart, sampleTs: ts, sampleValue, bytes } = scan;
    const sampleValueAt = (k: number) => {
      const at = sampleValue[k] as number;
      return at < 0 ? 0 : bytes.readDoubleLE(at);
    };
    let upper = 0;
    for (const i of series) upper += (sampleStart[i + 1] as number) - (sampleStart[i] as number);
    // Output series g is the lane's entries order[groupStart[g]] … order[groupStart[g + 1] - 1].
    const grouped = repeats ? groupOrder(lane.group, lane.groups) : undefined;
    const outputs = grouped ? lane.groups : series.length;
    const at = (q: number) => (grouped ? (grouped.order[q] as number) : q);
    const sampleIdx = new Int32Array(upper);
    const sampleFrom = new Int32Array(outputs + 1);
    const labels: Buffer[] = [];
    const slots: GuardSlot[] = [];
    let k = 0;
    let outOfOrder = 0;
    for (let g = 0; g < outputs; g++) {
      const firstAt = grouped ? (grouped.groupStart[g] as number) : g;
      const entry = entries[at(firstAt)] as RelaySeries;
      const endAt = grouped ? (grouped.groupStart[g + 1] as number) : g + 1;
      // The guard's record rides on the cached series: no map lookup per series per batch.
      let slot = entry.slot;
      if (slot === undefined || slot.evicted) slot = entry.slot = guard.slot(entry.key);
      const prev = slot.timestamp === Number.NEGATIVE_INFINITY ? undefined : slot;
      let lastTs = slot.timestamp;
      const start = k;
      let increasing = (ts[sampleStart[series[at(firstAt)] as number] as number] as number) > lastTs;
      let before = Number.NEGATIVE_INFINITY;
      for (let q = firstAt; increasing && q < endAt; q++) {
        const i = series[at(q)] as number;
        for (let s = sampleStart[i] as number; increasing && s < (sampleStart[i + 1] as number); s++) {
          increasing = (ts[s] as number) > before;
          before = ts[s] as number;
        }
      }
      for (let q = firstAt; q < endAt; q++) {
        const i = series[at(q)] as number;
        const from = sampleStart[i] as number;
        const to = sampleStart[i + 1] as number;
        if (increasing) {
          for (let s = from; s < to; s++) sampleIdx[k++] = s;
          continue;
        }
        for (let s = from; s < to; s++) {
          const t = ts[s] as number;
          if (t > lastTs) {
            sampleIdx[k++] = s;
            lastTs = t;
          } else if (!(prev && t === prev.timestamp && sameValue(sampleValueAt(s), prev.value))) outOfOrder++;
        }
      }
      if (k === start) continue;
      labels.push(entry.labels);
      slots.push(slot);
      sampleFrom[labels.length] = k;
    }
    if (outOfOrder > 0) countOutOfOrder(outOfOrder);
    const batch = { scan, count: labels.length, labels, sampleFrom, sampleIdx };
    const requests = encodeScannedSeries(batch, config.max_batch_size_bytes, arena.start());
    await sendEncoded(c, requests, abort, (j) => {
      const last = sampleIdx[(sampleFrom[j + 1] as number) - 1] as number;
      // A slot forgotten meanwhile takes the write harmlessly: the series starts fresh, as evicted ones do.
      const slot = slots[j] as GuardSlot;
      slot.timestamp = ts[last] as number;
      slot.value = sampleValueAt(last);
    });
  };

  /**
   * The OTLP fast path's shard (./otlp-transcode.ts): the guard rules of SeriesGuard.filter on
   * the flat arrays, encoded from them. With `repeats`, a series met several times in the lane
   * is written once with its samples in time order (./otlp-transcode.ts says when).
   */
  const sendTranscoded = async (bytes: Buffer, lane: TranscodedLane, repeats: boolean, abort: AbortSignal) => {
    await yieldToReceivers();
    const c = options.client();
    if (!c) throw errors.STITCH_ERR_SHUTDOWN([componentId]);
    const sampleValueOf = (at: number, v: number) =>
      at === VALUE_STALE ? STALE_NAN : at === VALUE_NUMBER ? v : bytes.readDoubleLE(at);
    // Output series g is order[groupStart[g]] … order[groupStart[g + 1] - 1] of the lane's entries.
    const { order, groupStart } = repeats ? groupEntries(lane) : { order: undefined, groupStart: undefined };
    const groups = lane.groups;
    const labels: Buffer[] = [];
    const slots: GuardSlot[] = [];
    const sampleFrom: number[] = [0];
    const ts: number[] = [];
    const valueAt: number[] = [];
    const value: number[] = [];
    let outOfOrder = 0;
    for (let g = 0; g < groups; g++) {
      const first = groupStart ? (groupStart[g] as number) : g;
      const end = groupStart ? (groupStart[g + 1] as number) : g + 1;
      const out = lane.series[order ? (order[first] as number) : first] as OutSeries;
      // The guard's record rides on the cached series: no map lookup per series per batch.
      let slot = out.slot;
      if (slot === undefined || slot.evicted) slot = out.slot = guard.slot(out.key);
      const prev = slot.timestamp === Number.NEGATIVE_INFINITY ? undefined : slot;
      let lastTs = slot.timestamp;
      const start = ts.length;
      for (let q = first; q < end; q++) {
        const j = order ? (order[q] as number) : q;
        const t = lane.ts[j] as number;
        if (t <= lastTs) {
          if (
            !(
              prev &&
              t === prev.timestamp &&
              sameValue(sampleValueOf(lane.valueAt[j] as number, lane.value[j] as number), prev.value)
            )
          )
            outOfOrder++;
          continue;
        }
        lastTs = t;
        ts.push(t);
        valueAt.push(lane.valueAt[j] as number);
        value.push(lane.value[j] as number);
      }
      if (ts.length === start) continue;
      labels.push(out.labels);
      slots.push(slot);
      sampleFrom.push(ts.length);
    }
    if (outOfOrder > 0) countOutOfOrder(outOfOrder);
    const batch = { count: labels.length, labels, ...(repeats ? { sampleFrom } : {}), ts, valueAt, value, src: bytes };
    const requests = encodeSampleSeries(batch, config.max_batch_size_bytes, arena.start());
    await sendEncoded(c, requests, abort, (j) => {
      const k = (sampleFrom[j + 1] as number) - 1;
      // A slot forgotten meanwhile takes the write harmlessly: the series starts fresh, as evicted ones do.
      const slot = slots[j] as GuardSlot;
      slot.timestamp = ts[k] as number;
      slot.value = sampleValueOf(valueAt[k] as number, value[k] as number);
    });
  };

  /** Sends one shard's series in order, committing each request's series once it is accepted. */
  const sendShard = async (series: TimeSeries[], keys: string[], metadata: MetricMetadata[], abort: AbortSignal) => {
    const c = options.client();
    if (!c) throw errors.STITCH_ERR_SHUTDOWN([componentId]);
    const sendable: TimeSeries[] = [];
    const sendableKeys: string[] = [];
    let outOfOrder = 0;
    for (let i = 0; i < series.length; i++) {
      const r = guard.filter(keys[i], series[i]);
      outOfOrder += r.outOfOrder;
      if (r.series) {
        sendable.push(r.series);
        sendableKeys.push(keys[i]);
      }
    }
    if (outOfOrder > 0) countOutOfOrder(outOfOrder);
    const requests = encodeWriteRequests(sendable, metadata, config.max_batch_size_bytes, arena.start());
    await sendEncoded(c, requests, abort, (i) => guard.commit(sendableKeys[i], sendable[i]));
  };

  /** Queues a translated batch's shards on their lanes. */
  const translatedJobs = (data: MetricsData, abort: AbortSignal): Promise<void>[] => {
    const t = translator.translate(data);
    countTranslation(t);
    const n = lanes.length;
    const shards = Array.from({ length: n }, () => ({ series: [] as TimeSeries[], keys: [] as string[] }));
    for (let i = 0; i < t.series.length; i++) {
      const shard = shards[seriesHash(t.keys[i]) % n];
      shard.series.push(t.series[i]);
      shard.keys.push(t.keys[i]);
    }
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const { series, keys } = shards[i];
      const metadata = i === 0 ? t.metadata : [];
      if (series.length === 0 && metadata.length === 0) continue;
      jobs.push(lanes[i].run(() => sendShard(series, keys, metadata, abort)));
    }
    return jobs;
  };

  const push = async (data: MetricsData, abort: AbortSignal): Promise<void> => {
    // Remote-write nobody materialised: relay the bytes (./relay.ts); else translate.
    const source = remoteWriteSource(data);
    const plan = source ? relay.plan(source) : undefined;
    const otlp = source ? undefined : otlpMetricsSource(data);
    const transcoded = otlp ? transcoder.plan(otlp) : undefined;
    let jobs: Promise<void>[];
    if (transcoded) {
      if (transcoded.unsupported > 0) events.dropped('unsupported_data', transcoded.unsupported);
      if (transcoded.invalid > 0) events.dropped('invalid_data', transcoded.invalid);
      jobs = [];
      for (let i = 0; i < transcoded.lanes.length; i++) {
        const lane = transcoded.lanes[i] as TranscodedLane;
        if (lane.series.length > 0)
          jobs.push((lanes[i] as Lane).run(() => sendTranscoded(transcoded.bytes, lane, transcoded.repeats, abort)));
      }
    } else if (plan) {
      jobs = [];
      for (let i = 0; i < plan.lanes.length; i++) {
        const lane = plan.lanes[i] as RelayLane;
        if (lane.series.length > 0) {
          jobs.push((lanes[i] as Lane).run(() => sendRelayed(plan.scan, lane, plan.repeats, abort)));
        }
      }
    } else jobs = translatedJobs(data, abort);
    const results = await Promise.allSettled(jobs);
    let retryable: StitchError | undefined;
    let permanent: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') continue;
      const err = r.reason;
      if (err instanceof StitchError && !err.retryable) permanent ??= err;
      else if (err instanceof StitchError) {
        // Wait as long as the most demanding Retry-After asked.
        if (!retryable || (err.retryAfterMs ?? 0) > (retryable.retryAfterMs ?? 0)) retryable = err;
      } else permanent ??= err;
    }
    // Retryable wins: a retry re-sends only what was not delivered (the guard skips the rest).
    if (retryable) throw retryable;
    // The helper drops a permanent failure, counts it (`permanent_error`) and logs the server's
    // message at most once per interval.
    if (permanent) throw permanent;
  };

  return {
    push,
    get trackedSeries() {
      return guard.size;
    },
  };
}
