/**
 * The `prometheusremotewrite` exporter: the exporter helper (queue, retries, WAL) in front of the
 * sender (./sender.ts: translate, guard, encode, snappy, POST), which runs on the event loop or,
 * opted in, on a worker thread of its own (./worker-sender.ts).
 */
import { readFileSync } from 'node:fs';
import { type ClientAuthenticator, resolveAuthenticator } from '../../component/auth.js';
import type { Component, CreateSettings, Host, SignalConsumers } from '../../component/component.js';
import { errors } from '../../errors.js';
import { sendingQueueSchema } from '../../exporterhelper/config.js';
import { createExporterHelper, type ExporterHelper } from '../../exporterhelper/exporter-helper.js';
import { fileStorageConfigSchema } from '../../extensions/file-storage/config.js';
import { createFileStorage } from '../../extensions/file-storage/extension.js';
import { loadClientTls } from '../../internal/http-server/tls.js';
import { ThrottledLog } from '../../internal/throttled-log.js';
import { mergeLazyMetrics } from '../../model/lazy-merge.js';
import type { MetricsData, Signal } from '../../model/types.js';
import { sharedCounter } from '../../telemetry/self-metrics.js';
import { createRemoteWriteClient, type RemoteWriteClient } from './client.js';
import type { PrometheusRemoteWriteConfig } from './config.js';
import { createSender, type SenderEvents } from './sender.js';
import { type SenderWorker, startSenderWorker } from './worker-sender.js';

export { MAX_RELAY_SERIES, MAX_TRACKED_SERIES, seriesHash } from './sender.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/** The User-Agent of every request. */
export const USER_AGENT = `Stitch/${VERSION}`;

/** At most one log line per this interval for recurring problems (permanent errors, drops). */
const LOG_INTERVAL_MS = 60_000;

/** The exporter: a Component with a metrics consumer. */
export type PrometheusRemoteWriteExporter = Component & { consumers: SignalConsumers };

/**
 * Whether the sender runs on a worker thread of its own (./worker-sender.ts): when
 * STITCH_EXPORTER_THREADS is `1` or `true`, and never with an `auth` extension (extensions live
 * on the main thread and are asked per request). Off by default: on the event loop the exporter
 * uses less memory and a little less CPU per sample, and OTLP/HTTP already reaches 1M samples/s on
 * two cores; the thread pays for OTLP/gRPC, whose receiving is heavier (README.md).
 */
export function useSenderThread(config: PrometheusRemoteWriteConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  if (config.auth !== undefined) return false;
  const set = env.STITCH_EXPORTER_THREADS?.trim().toLowerCase();
  return set === '1' || set === 'true';
}

/** Queued batches sent together at most (see ExporterHelperOptions.coalesce). */
const COALESCE_MAX_BATCHES = 16;
/** Data points sent together at most; requests are split by `max_batch_size_bytes` as always. */
const COALESCE_MAX_ITEMS = 64 * 1024;

/** Creates the exporter for the `metrics` signal. */
export function createPrometheusRemoteWriteExporter(
  settings: CreateSettings,
  config: PrometheusRemoteWriteConfig,
  _signals: readonly Signal[],
): PrometheusRemoteWriteExporter {
  const { logger, telemetry } = settings;
  const componentId = settings.id;
  const exemplarLabelsDropped = sharedCounter(
    telemetry.registry,
    'stitch_exporter_prometheusremotewrite_exemplar_labels_dropped_total',
    'Exemplar labels left out to fit Prometheus 128-rune exemplar label budget, by label.',
    ['component_id', 'label'],
  );
  const samplesDropped = sharedCounter(
    telemetry.registry,
    'stitch_exporter_prometheusremotewrite_samples_dropped_total',
    'Samples not sent because they were at or before the last sample sent for their series.',
    ['component_id', 'reason'],
  );
  const outOfOrderLog = new ThrottledLog(logger, LOG_INTERVAL_MS);
  const events: SenderEvents = {
    dropped: (reason, points) => telemetry.dropped('metrics', points, reason),
    exemplarLabelsDropped: (label, n) => exemplarLabelsDropped.inc({ component_id: componentId, label }, n),
    outOfOrder(samples) {
      samplesDropped.inc({ component_id: componentId, reason: 'out_of_order' }, samples);
      outOfOrderLog.note('out_of_order', samples, undefined, 'dropped samples at or before the last one sent for their series');
    },
  };
  const threaded = useSenderThread(config);
  let client: RemoteWriteClient | undefined;
  /** Started with the exporter when threaded; else the sender runs here. */
  let worker: SenderWorker | undefined;
  const local = threaded ? undefined : createSender({ componentId, config, client: () => client, events });
  telemetry.observe(
    'stitch_exporter_prometheusremotewrite_tracked_series',
    'Series whose last-sent timestamp the exporter remembers.',
    () => (worker ?? local)?.trackedSeries ?? 0,
  );
  const push = (data: MetricsData, abort: AbortSignal): Promise<void> => {
    const sender = worker ?? local;
    if (!sender) return Promise.reject(errors.STITCH_ERR_SHUTDOWN([componentId]));
    return sender.push(data, abort);
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
    // A backlog in the memory queue leaves as fewer, larger requests: queued batches nobody
    // materialised merge when all are remote-write or all OTLP protobuf (model/lazy-merge.ts), and
    // the relay and the transcoder send a series met in several of them as one series.
    coalesce: { merge: mergeLazyMetrics, maxBatches: COALESCE_MAX_BATCHES, maxItems: COALESCE_MAX_ITEMS },
    async start(host) {
      let auth: ClientAuthenticator | undefined;
      if (config.auth) auth = resolveAuthenticator(host, config.auth.authenticator, componentId, 'client');
      const tls = config.endpoint.startsWith('https:') ? await loadClientTls(componentId, config.tls) : undefined;
      if (threaded) {
        worker = startSenderWorker({
          componentId,
          config,
          userAgent: USER_AGENT,
          tls,
          events,
          onFailure: (err) => logger.error({ err }, 'the sender thread failed; its batches will be retried on a new one'),
        });
        return;
      }
      client = createRemoteWriteClient({
        componentId,
        endpoint: config.endpoint,
        headers: config.headers,
        userAgent: USER_AGENT,
        tls,
        auth,
        maxSockets: config.remote_write_queue.num_consumers,
        timeoutMs: config.timeout,
      });
    },
    async shutdown() {
      client?.close();
      client = undefined;
      const w = worker;
      worker = undefined;
      await w?.close();
      outOfOrderLog.flush();
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
