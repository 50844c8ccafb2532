/**
 * The `prometheusremotewrite` exporter: translate a batch (./translate.ts), shard its series by
 * hash over `remote_write_queue.num_consumers` senders, drop what was already sent or is out of
 * order (./series-guard.ts), split by `max_batch_size_bytes`, encode (model/remote-write), snappy,
 * POST (./client.ts).
 *
 * Ordering: each sender is a FIFO lane, and a series always hashes to the same lane, so its
 * samples leave in time order even when several batches are in flight. The exporterhelper queue
 * in front runs one consumer (as the contrib exporter does): retries of a batch then happen
 * before the next batch is sent, and concurrency comes from the lanes instead.
 */
import { readFileSync } from 'node:fs';
import type { CorrelationIdKey } from '@stitch/correlation';
import { Counter } from 'prom-client';
import { type ClientAuthenticator, resolveAuthenticator } from '../../component/auth.js';
import type { Component, CreateSettings, Host, SignalConsumers } from '../../component/component.js';
import { errors, StitchError } from '../../errors.js';
import { sendingQueueSchema } from '../../exporterhelper/config.js';
import { createExporterHelper, type ExporterHelper } from '../../exporterhelper/exporter-helper.js';
import { fileStorageConfigSchema } from '../../extensions/file-storage/config.js';
import { createFileStorage } from '../../extensions/file-storage/extension.js';
import { EncodeArena } from '../../internal/encode-arena.js';
import { loadClientTls } from '../../internal/http-server/tls.js';
import { mergeLazyMetrics } from '../../model/lazy-merge.js';
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
import type { MetricsData, Signal } from '../../model/types.js';
import { createRemoteWriteClient, type RemoteWriteClient } from './client.js';
import { acquireCompressPool, type CompressPool } from './compress-pool.js';
import type { PrometheusRemoteWriteConfig } from './config.js';
import { createOtlpTranscoder, type TranscodedLane } from './otlp-transcode.js';
import { createRelay, type RelayPlan, type RelaySeries } from './relay.js';
import { type GuardSlot, SeriesGuard, sameValue } from './series-guard.js';
import { createTranslator, type TranslateOptions, type Translation } from './translate.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/** The User-Agent of every request. */
export const USER_AGENT = `Stitch/${VERSION}`;

/** Series whose last-sent timestamp is remembered (about 100 bytes each plus the label key). */
export const MAX_TRACKED_SERIES = 200_000;

/** Label sets whose relay encoding is cached (model/remote-write/source.ts batches; ~600 bytes each). */
export const MAX_RELAY_SERIES = 100_000;

/** At most one log line per this interval for recurring problems (permanent errors, drops). */
const LOG_INTERVAL_MS = 60_000;

/** The exporter: a Component with a metrics consumer. */
export type PrometheusRemoteWriteExporter = Component & { consumers: SignalConsumers };

/** 32-bit FNV-1a of a series key: picks the sender lane. */
export function seriesHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
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

/** Logs at most once per interval, telling how many occurrences were folded into the line. */
class ThrottledLog {
  private next = 0;
  private folded = 0;

  constructor(private readonly intervalMs: number) {}

  maybe(log: (folded: number) => void): void {
    const now = Date.now();
    if (now < this.next) {
      this.folded++;
      return;
    }
    log(this.folded);
    this.folded = 0;
    this.next = now + this.intervalMs;
  }
}

function counter(settings: CreateSettings, name: string, help: string, labelNames: string[]): Counter<string> {
  const registry = settings.telemetry.registry;
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames: ['component_id', ...labelNames], registers: [registry] });
}

/**
 * A lane's scanned series grouped by output series, each group in the order met (the planner
 * checked that a group's samples follow one another in time).
 */
function groupByEntry(
  series: readonly number[],
  entries: readonly RelaySeries[],
): { series: number[]; entries: RelaySeries[]; groupStart: Int32Array } {
  const byEntry = new Map<RelaySeries, number[]>();
  for (let j = 0; j < series.length; j++) {
    const e = entries[j] as RelaySeries;
    const list = byEntry.get(e);
    if (list === undefined) byEntry.set(e, [series[j] as number]);
    else list.push(series[j] as number);
  }
  const out: number[] = [];
  const groupStart = new Int32Array(byEntry.size + 1);
  let g = 0;
  for (const list of byEntry.values()) {
    groupStart[g++] = out.length;
    for (const i of list) out.push(i);
  }
  groupStart[g] = out.length;
  return { series: out, entries: [...byEntry.keys()], groupStart };
}

/** Queued batches sent together at most (see ExporterHelperOptions.coalesce). */
const COALESCE_MAX_BATCHES = 16;
/** Data points sent together at most; requests are split by `max_batch_size_bytes` as always. */
const COALESCE_MAX_ITEMS = 64 * 1024;

/**
 * Queued remote-write batches nobody materialised, as one (by byte concatenation): the relay
 * sends a series met in several of them as one series. Anything else is pushed batch by batch:
 * the OTLP transcoder would send a merged batch that repeats a sender's series the full path.
 */
function mergeMetricsBatches(batches: MetricsData[]): MetricsData | undefined {
  for (const b of batches) if (remoteWriteSource(b) === undefined) return undefined;
  return mergeLazyMetrics(batches);
}

/** Creates the exporter for the `metrics` signal. */
export function createPrometheusRemoteWriteExporter(
  settings: CreateSettings,
  config: PrometheusRemoteWriteConfig,
  _signals: readonly Signal[],
): PrometheusRemoteWriteExporter {
  const { logger, telemetry } = settings;
  const componentId = settings.id;
  const translateOptions: TranslateOptions = {
    namespace: config.namespace,
    addMetricSuffixes: config.add_metric_suffixes,
    externalLabels: config.external_labels,
    resourceToTelemetry: config.resource_to_telemetry_conversion.enabled,
    excludeServiceAttributes: config.resource_to_telemetry_conversion.exclude_service_attributes,
    targetInfo: config.target_info.enabled,
    exportCreatedMetric: config.export_created_metric.enabled,
    sendMetadata: config.send_metadata,
    exponentialHistograms: config.exponential_histograms,
  };
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
  const exemplarLabelsDropped = counter(
    settings,
    'stitch_exporter_prometheusremotewrite_exemplar_labels_dropped_total',
    'Exemplar labels left out to fit Prometheus 128-rune exemplar label budget, by label.',
    ['label'],
  );
  const samplesDropped = counter(
    settings,
    'stitch_exporter_prometheusremotewrite_samples_dropped_total',
    'Samples not sent because they were at or before the last sample sent for their series.',
    ['reason'],
  );
  telemetry.observe(
    'stitch_exporter_prometheusremotewrite_tracked_series',
    'Series whose last-sent timestamp the exporter remembers.',
    () => guard.size,
  );
  const outOfOrderLog = new ThrottledLog(LOG_INTERVAL_MS);
  let client: RemoteWriteClient | undefined;
  let pool: CompressPool | undefined;
  /** Bodies are encoded into this reused memory and compressed right away (see EncodeArena). */
  const arena = new EncodeArena();
  /**
   * Compresses every body of one encode before the arena is reused: on this thread, or on the
   * compress workers (./compress-pool.ts, which copy the body first); a worker that died makes
   * the send retryable.
   */
  const compressAll = (requests: readonly EncodedRequest[]): (Buffer | Promise<Buffer>)[] => {
    const p = pool;
    if (!p || p.workers === 0) return requests.map((r) => compressBodySync(r.body));
    return requests.map((r) => {
      const compressed = p.compress(r.body).catch((err: Error) => {
        throw errors.STITCH_ERR_EXPORT_RETRYABLE([componentId, err.message], { cause: err, retryable: true });
      });
      compressed.catch(() => {}); // awaited in order below; an earlier failed send leaves it unawaited
      return compressed;
    });
  };

  const countTranslation = (t: Translation) => {
    if (t.unsupportedPoints > 0) telemetry.dropped('metrics', t.unsupportedPoints, 'unsupported_data');
    if (t.invalidPoints > 0) telemetry.dropped('metrics', t.invalidPoints, 'invalid_data');
    for (const key in t.exemplarLabelsDropped) {
      exemplarLabelsDropped.inc({ component_id: componentId, label: key }, t.exemplarLabelsDropped[key as CorrelationIdKey] ?? 0);
    }
  };

  const countOutOfOrder = (outOfOrder: number) => {
    samplesDropped.inc({ component_id: componentId, reason: 'out_of_order' }, outOfOrder);
    outOfOrderLog.maybe((folded) =>
      logger.warn({ samples: outOfOrder, folded }, 'dropped samples at or before the last one sent for their series'),
    );
  };

  /**
   * The relay fast path's shard: the same guard rules as SeriesGuard.filter, on the scan's flat
   * samples (which the planner checked are in time order), then encoded straight from the scan.
   * With `repeats`, an output series met several times (merged batches) gets all its samples,
   * in order, as one series.
   */
  const sendRelayed = async (
    scan: ScannedWriteRequest,
    series: number[],
    entries: RelaySeries[],
    repeats: boolean,
    abort: AbortSignal,
  ) => {
    const c = client;
    if (!c) throw errors.STITCH_ERR_SHUTDOWN([componentId]);
    const { sampleStart, sampleTs: ts, sampleValue, bytes } = scan;
    const sampleValueAt = (k: number) => {
      const at = sampleValue[k] as number;
      return at < 0 ? 0 : bytes.readDoubleLE(at);
    };
    let upper = 0;
    for (const i of series) upper += (sampleStart[i + 1] as number) - (sampleStart[i] as number);
    // Output series g is scanned series list[groupStart[g]] … list[groupStart[g + 1] - 1].
    const grouped = repeats ? groupByEntry(series, entries) : undefined;
    const list = grouped ? grouped.series : series;
    const outputs = grouped ? grouped.entries : entries;
    const sampleIdx = new Int32Array(upper);
    const sampleFrom = new Int32Array(outputs.length + 1);
    const labels: Buffer[] = [];
    const slots: GuardSlot[] = [];
    let k = 0;
    let outOfOrder = 0;
    for (let g = 0; g < outputs.length; g++) {
      const entry = outputs[g] as RelaySeries;
      const firstAt = grouped ? (grouped.groupStart[g] as number) : g;
      const endAt = grouped ? (grouped.groupStart[g + 1] as number) : g + 1;
      // The guard's record rides on the cached series: no map lookup per series per batch.
      let slot = entry.slot;
      if (slot === undefined || slot.evicted) slot = entry.slot = guard.slot(entry.key);
      const prev = slot.timestamp === Number.NEGATIVE_INFINITY ? undefined : slot;
      let lastTs = slot.timestamp;
      const start = k;
      let increasing = (ts[sampleStart[list[firstAt] as number] as number] as number) > lastTs;
      let before = Number.NEGATIVE_INFINITY;
      for (let q = firstAt; increasing && q < endAt; q++) {
        const i = list[q] as number;
        for (let s = sampleStart[i] as number; increasing && s < (sampleStart[i + 1] as number); s++) {
          increasing = (ts[s] as number) > before;
          before = ts[s] as number;
        }
      }
      for (let q = firstAt; q < endAt; q++) {
        const i = list[q] as number;
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
    const bodies = compressAll(requests);
    for (let r = 0; r < requests.length; r++) {
      const req = requests[r] as EncodedRequest;
      await c.send(await (bodies[r] as Buffer | Promise<Buffer>), abort);
      for (let j = req.from; j < req.to; j++) {
        const last = sampleIdx[(sampleFrom[j + 1] as number) - 1] as number;
        // A slot forgotten meanwhile takes the write harmlessly: the series starts fresh, as evicted ones do.
        const slot = slots[j] as GuardSlot;
        slot.timestamp = ts[last] as number;
        slot.value = sampleValueAt(last);
      }
    }
  };

  /**
   * The OTLP fast path's shard (./otlp-transcode.ts): one sample per series, the guard rules of
   * SeriesGuard.filter, encoded from the flat arrays.
   */
  const sendTranscoded = async (bytes: Buffer, lane: TranscodedLane, abort: AbortSignal) => {
    const c = client;
    if (!c) throw errors.STITCH_ERR_SHUTDOWN([componentId]);
    const sampleValueOf = (j: number) => {
      const at = lane.valueAt[j] as number;
      return at === VALUE_STALE ? STALE_NAN : at === VALUE_NUMBER ? (lane.value[j] as number) : bytes.readDoubleLE(at);
    };
    const n = lane.labels.length;
    const labels: Buffer[] = [];
    const keys: string[] = [];
    const ts: number[] = [];
    const valueAt: number[] = [];
    const value: number[] = [];
    let outOfOrder = 0;
    for (let j = 0; j < n; j++) {
      const key = lane.keys[j] as string;
      const t = lane.ts[j] as number;
      const prev = guard.peek(key);
      if (prev && t <= prev.timestamp) {
        if (!(t === prev.timestamp && sameValue(sampleValueOf(j), prev.value))) outOfOrder++;
        continue;
      }
      labels.push(lane.labels[j] as Buffer);
      keys.push(key);
      ts.push(t);
      valueAt.push(lane.valueAt[j] as number);
      value.push(lane.value[j] as number);
    }
    if (outOfOrder > 0) countOutOfOrder(outOfOrder);
    const batch = { count: labels.length, labels, ts, valueAt, value, src: bytes };
    const requests = encodeSampleSeries(batch, config.max_batch_size_bytes, arena.start());
    const bodies = compressAll(requests);
    for (let r = 0; r < requests.length; r++) {
      const req = requests[r] as EncodedRequest;
      await c.send(await (bodies[r] as Buffer | Promise<Buffer>), abort);
      for (let j = req.from; j < req.to; j++) {
        const at = valueAt[j] as number;
        const v = at === VALUE_STALE ? STALE_NAN : at === VALUE_NUMBER ? (value[j] as number) : bytes.readDoubleLE(at);
        guard.commitLast(keys[j] as string, ts[j] as number, v);
      }
    }
  };

  /** Sends one shard's series in order, committing each request's series once it is accepted. */
  const sendShard = async (series: TimeSeries[], keys: string[], metadata: MetricMetadata[], abort: AbortSignal) => {
    const c = client;
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
    const bodies = compressAll(requests);
    for (let r = 0; r < requests.length; r++) {
      const req = requests[r] as EncodedRequest;
      await c.send(await (bodies[r] as Buffer | Promise<Buffer>), abort);
      for (let i = req.from; i < req.to; i++) guard.commit(sendableKeys[i], sendable[i]);
    }
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
      if (transcoded.unsupported > 0) telemetry.dropped('metrics', transcoded.unsupported, 'unsupported_data');
      if (transcoded.invalid > 0) telemetry.dropped('metrics', transcoded.invalid, 'invalid_data');
      jobs = [];
      for (let i = 0; i < transcoded.lanes.length; i++) {
        const lane = transcoded.lanes[i] as TranscodedLane;
        if (lane.labels.length > 0) jobs.push((lanes[i] as Lane).run(() => sendTranscoded(transcoded.bytes, lane, abort)));
      }
    } else if (plan) {
      jobs = [];
      for (let i = 0; i < plan.lanes.length; i++) {
        const { series, entries } = plan.lanes[i] as RelayPlan['lanes'][number];
        if (series.length > 0) {
          jobs.push((lanes[i] as Lane).run(() => sendRelayed(plan.scan, series, entries, plan.repeats, abort)));
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

  // `wal` (contrib) → the durable sending queue on a private file_storage in wal.directory.
  const wal = config.wal
    ? createFileStorage(
        { ...settings, id: `${componentId}/wal` },
        fileStorageConfigSchema.parse({ directory: config.wal.directory, create_directory: true }),
      )
    : undefined;
  const walId = `${componentId}/wal`;

  const helper: ExporterHelper<'metrics'> = createExporterHelper({
    settings,
    signal: 'metrics',
    config: {
      timeout: config.timeout,
      retry_on_failure: config.retry_on_failure,
      sending_queue: sendingQueueSchema.parse({
        enabled: config.remote_write_queue.enabled || wal !== undefined,
        // One consumer, as the contrib exporter: the lanes inside push give the concurrency.
        num_consumers: 1,
        queue_size: config.remote_write_queue.queue_size,
        ...(wal ? { storage: walId } : {}),
      }),
    },
    push,
    // A backlog of relayed remote-write in the memory queue leaves as fewer, larger requests.
    coalesce: { merge: mergeMetricsBatches, maxBatches: COALESCE_MAX_BATCHES, maxItems: COALESCE_MAX_ITEMS },
    async start(host) {
      let auth: ClientAuthenticator | undefined;
      if (config.auth) auth = resolveAuthenticator(host, config.auth.authenticator, componentId, 'client');
      const tls = config.endpoint.startsWith('https:') ? await loadClientTls(componentId, config.tls) : undefined;
      client = createRemoteWriteClient({
        componentId,
        endpoint: config.endpoint,
        headers: config.headers,
        userAgent: USER_AGENT,
        tls,
        auth,
        maxSockets: lanes.length,
        timeoutMs: config.timeout,
      });
      pool = acquireCompressPool();
    },
    async shutdown() {
      client?.close();
      const p = pool;
      pool = undefined;
      await p?.release();
      await wal?.shutdown();
    },
  });

  return {
    consumers: { metrics: helper },
    async start(host: Host) {
      if (!wal) return helper.start(host);
      await wal.start(host);
      // The helper finds its storage through the host: add the private WAL storage to it.
      return helper.start({ ...host, getExtension: (id) => (id === walId ? wal : host.getExtension(id)) });
    },
    shutdown(signal?: AbortSignal) {
      return helper.shutdown(signal);
    },
  };
}
