/**
 * The exporter's worker thread: runs the sender (./sender.ts), with its caches, series guard and
 * HTTP agent, on a thread of its own, so the event loop keeps receiving while this one
 * transcodes, encodes, compresses and sends. See ./worker-sender.ts for the exporter's side.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errors, StitchError } from '../../errors.js';
import { createLazyMetrics } from '../../model/lazy-metrics.js';
import { decodeRequest } from '../../model/otlp-codec.js';
import type { ScannedMetricsRequest } from '../../model/otlp-metrics/scan.js';
import { lazyOtlpMetrics } from '../../model/otlp-metrics/source.js';
import type { ScannedWriteRequest } from '../../model/remote-write/scan.js';
import type { MetricsData } from '../../model/types.js';
import { remoteWriteLazySource } from '../../receivers/prometheus-remote-write/lazy-source.js';
import { createRemoteWriteToOtlp } from '../../receivers/prometheus-remote-write/translate.js';
import { createRemoteWriteClient } from './client.js';
import { unpackScan } from './crossing.js';
import { createSender } from './sender.js';
import type { CrossedError, FromSender, SenderBatch, SenderEventCounts, SenderWorkerInit, ToSender } from './sender-protocol.js';

const port = parentPort;
if (!port) throw new Error('sender-worker.js runs as a worker thread (see worker-sender.ts)');
const init = workerData as SenderWorkerInit;
const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const tls = init.tls && {
  ...init.tls,
  ...(init.tls.ca ? { ca: asBuffer(init.tls.ca) } : {}),
  ...(init.tls.cert ? { cert: asBuffer(init.tls.cert) } : {}),
  ...(init.tls.key ? { key: asBuffer(init.tls.key) } : {}),
};
const client = createRemoteWriteClient({
  componentId: init.componentId,
  endpoint: init.config.endpoint,
  headers: init.config.headers,
  userAgent: init.userAgent,
  tls,
  auth: undefined,
  maxSockets: init.config.remote_write_queue.num_consumers,
  timeoutMs: init.config.timeout,
});

let counts: SenderEventCounts = { unsupported: 0, invalid: 0, outOfOrder: 0, exemplarLabelsDropped: {} };
const sender = createSender({
  componentId: init.componentId,
  config: init.config,
  client: () => client,
  events: {
    dropped(reason, points) {
      if (reason === 'unsupported_data') counts.unsupported += points;
      else counts.invalid += points;
    },
    exemplarLabelsDropped(label, n) {
      counts.exemplarLabelsDropped[label] = (counts.exemplarLabelsDropped[label] ?? 0) + n;
    },
    outOfOrder(samples) {
      counts.outOfOrder += samples;
    },
  },
});
/** Rebuilds what a remote-write batch's materialise and series shapes need. */
const rwTranslator = createRemoteWriteToOtlp();

function batchOf(b: SenderBatch): MetricsData {
  // Materialised on the exporter's side: it stays so (the full path, as on that thread).
  if (b.kind === 'otlp-protobuf') return decodeRequest('metrics', Buffer.from(b.buffer, 0, b.length), 'protobuf');
  if (b.kind === 'otlp') return lazyOtlpMetrics(unpackScan<ScannedMetricsRequest>(b.buffer, b.layout));
  return createLazyMetrics(remoteWriteLazySource(unpackScan<ScannedWriteRequest>(b.buffer, b.layout), rwTranslator));
}

function crossed(caught: unknown): CrossedError {
  // Anything else is a bug: permanent, as the exporter helper treats a plain Error.
  const err =
    caught instanceof StitchError
      ? caught
      : errors.STITCH_ERR_EXPORT_PERMANENT([init.componentId, caught instanceof Error ? caught.message : String(caught)]);
  return {
    code: err.code,
    kind: err.kind,
    retryable: err.retryable,
    message: err.message,
    ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
  };
}

const aborts = new Map<number, AbortController>();

/** Answers push `id`, sending its buffer home: nothing here may read the batch after this. */
function answer(id: number, error: unknown, buffer: ArrayBuffer) {
  const reply: FromSender = { id, events: counts, trackedSeries: sender.trackedSeries, buffer };
  if (error !== undefined) reply.error = crossed(error);
  counts = { unsupported: 0, invalid: 0, outOfOrder: 0, exemplarLabelsDropped: {} };
  port?.postMessage(reply, [buffer]);
}

port.on('message', (m: ToSender) => {
  if (m.type === 'abort') {
    aborts.get(m.id)?.abort();
    return;
  }
  const abort = new AbortController();
  aborts.set(m.id, abort);
  let data: MetricsData;
  try {
    data = batchOf(m.batch);
  } catch (err) {
    aborts.delete(m.id);
    answer(m.id, err, m.batch.buffer);
    return;
  }
  sender.push(data, abort.signal).then(
    () => {
      aborts.delete(m.id);
      answer(m.id, undefined, m.batch.buffer);
    },
    (err: unknown) => {
      aborts.delete(m.id);
      answer(m.id, err, m.batch.buffer);
    },
  );
});
