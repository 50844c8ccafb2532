/**
 * The `loki` exporter: maps each batch to Loki streams, splits it into push requests bounded by
 * bytes and POSTs them in order. Queue, retry and timeout come from the exporterhelper; `push`
 * never retries by itself:
 * - 429 / 5xx / network errors reject with a retryable error (with Retry-After). The batch
 *   remembers which of its requests Loki already accepted, so a retry resumes after them instead
 *   of sending them twice (Loki would reject the repeats as duplicates or out of order).
 * - other 4xx drop that request: its lines are counted by Loki's reason and Loki's message is
 *   logged at most once per interval per reason. Only when every request of a batch was refused
 *   does `push` reject with a permanent error.
 */
import type { Counter, Registry } from 'prom-client';
import { resolveAuthenticator } from '../../component/auth.js';
import type { Component, CreateSettings, Host, SignalConsumers } from '../../component/component.js';
import { errors } from '../../errors.js';
import { createExporterHelper } from '../../exporterhelper/exporter-helper.js';
import { ThrottledLog } from '../../internal/throttled-log.js';
import type { LogsData } from '../../model/types.js';
import { sharedCounter } from '../../telemetry/self-metrics.js';
import type { LokiConfig } from './config.js';
import { type ConvertedLogs, createLogsMapper, type MovedReason } from './convert.js';
import { type EncodedRequest, type EncodeOptions, encodeRequest, planRequests } from './encode.js';
import { createTransport, type LokiRejectReason, type LokiTransport } from './transport.js';

/** Test seams: a transport that opens no sockets, and the log interval. */
export interface LokiExporterDeps {
  readonly transport?: LokiTransport;
  /** At most one log line per rejection reason per this many ms (default 60 s). */
  readonly logIntervalMs?: number;
}

/**
 * A batch mapped, split and encoded, and how far sending got. The in-memory queue holds this
 * instead of the batch (`prepare`): compressed bodies, not one object graph per line. A retry
 * resumes from `next`.
 */
class PreparedPush {
  next = 0;
  rejectedLines = 0;
  /** A push is working on it; a second push of the same batch is another consume(), not a retry. */
  inFlight = false;

  constructor(
    readonly requests: readonly EncodedRequest[],
    readonly lines: number,
  ) {}

  /** Every request was sent or refused for good. */
  get finished(): boolean {
    return this.next >= this.requests.length;
  }
}

/** The exporter's own metrics, beside the shared exporter counters. */
interface LokiMetrics {
  readonly rejected: Counter<'component_id' | 'reason'>;
  readonly moved: Counter<'component_id' | 'reason'>;
  readonly truncated: Counter<'component_id'>;
  readonly requests: Counter<'component_id' | 'outcome'>;
}

const counter = sharedCounter;

function lokiMetrics(registry: Registry): LokiMetrics {
  return {
    rejected: counter(
      registry,
      'stitch_exporter_loki_rejected_lines_total',
      'Log lines Loki refused for good (4xx other than 429) and that were dropped, by reason.',
      ['component_id', 'reason'],
    ),
    moved: counter(
      registry,
      'stitch_exporter_loki_labels_moved_total',
      'Labels sent as structured metadata instead of stream labels, per log line, by reason.',
      ['component_id', 'reason'],
    ),
    truncated: counter(registry, 'stitch_exporter_loki_truncated_lines_total', 'Log lines truncated to max_line_size_bytes.', [
      'component_id',
    ]),
    requests: counter(registry, 'stitch_exporter_loki_requests_total', 'Push requests sent to Loki, by outcome.', [
      'component_id',
      'outcome',
    ]),
  };
}

/** Creates the exporter (logs only). */
export function createLokiExporter(
  settings: CreateSettings,
  config: LokiConfig,
  deps: LokiExporterDeps = {},
): Component & { consumers: SignalConsumers } {
  const id = settings.id;
  const telemetry = settings.telemetry;
  const metrics = lokiMetrics(telemetry.registry);
  const mapper = createLogsMapper(config);
  const encodeOptions: EncodeOptions = { encoding: config.encoding, gzip: config.compression === 'gzip' };
  const refusals = new ThrottledLog(settings.logger, deps.logIntervalMs ?? 60_000);
  // Batches pushed without being prepared (durable queue, no queue), keyed by the batch object:
  // the helper retries with the same object, so a retry resumes.
  const progress = new WeakMap<LogsData, PreparedPush>();
  let transport = deps.transport;

  function countMapping(converted: ConvertedLogs): void {
    if (converted.truncated > 0) metrics.truncated.inc({ component_id: id }, converted.truncated);
    for (const reason of Object.keys(converted.moved) as MovedReason[]) {
      const n = converted.moved[reason];
      if (n > 0) metrics.moved.inc({ component_id: id, reason }, n);
    }
  }

  /** Maps the batch to streams, splits them into requests by bytes and encodes each. */
  async function prepare(batch: LogsData): Promise<PreparedPush> {
    const converted = mapper.convert(batch);
    countMapping(converted);
    const requests: EncodedRequest[] = [];
    for (const plan of planRequests(converted, config.max_batch_size_bytes)) {
      requests.push(await encodeRequest(plan, encodeOptions));
    }
    return new PreparedPush(requests, converted.lines);
  }

  async function push(data: LogsData | PreparedPush, abort: AbortSignal): Promise<void> {
    if (!transport) throw errors.STITCH_ERR_EXPORT_RETRYABLE([id, 'not started']);
    // Prepared when the memory queue took it; a queue entry is pushed by one worker at a time.
    if (data instanceof PreparedPush) return sendFrom(data, abort);
    let p = progress.get(data);
    if (p === undefined || p.inFlight) {
      // The same object can be consumed twice at once (one receiver in two pipelines into this
      // exporter): only a push that finds no other push working on it resumes its progress.
      const fresh = await prepare(data);
      if (progress.get(data) === undefined) progress.set(data, fresh); // looked up again: prepare awaited
      p = fresh;
    }
    try {
      await sendFrom(p, abort);
    } finally {
      if (p.finished && progress.get(data) === p) progress.delete(data);
    }
  }

  async function sendFrom(p: PreparedPush, abort: AbortSignal): Promise<void> {
    if (!transport) throw errors.STITCH_ERR_EXPORT_RETRYABLE([id, 'not started']);
    p.inFlight = true;
    try {
      while (p.next < p.requests.length) {
        const request = p.requests[p.next];
        const result = await transport.send(request, abort);
        if (result.ok) {
          metrics.requests.inc({ component_id: id, outcome: 'sent' });
        } else if (result.retryable) {
          metrics.requests.inc({ component_id: id, outcome: 'retryable' });
          const what = result.status === 0 ? result.message : `Loki answered ${result.status}: ${result.message}`;
          throw errors.STITCH_ERR_EXPORT_RETRYABLE([id, what], {
            ...(result.retryAfterMs !== undefined && { retryAfterMs: result.retryAfterMs }),
          });
        } else {
          const reason: LokiRejectReason = result.reason ?? 'bad_request';
          metrics.requests.inc({ component_id: id, outcome: 'rejected' });
          metrics.rejected.inc({ component_id: id, reason }, request.lines);
          refusals.note(reason, request.lines, undefined, 'Loki refused a push request; its lines are dropped', {
            status: result.status,
            loki_message: result.message,
          });
          p.rejectedLines += request.lines;
          if (p.rejectedLines === p.lines) {
            p.next = p.requests.length;
            throw errors.STITCH_ERR_EXPORT_PERMANENT([id, `Loki answered ${result.status} (${reason}): ${result.message}`]);
          }
        }
        p.next++;
      }
      if (p.rejectedLines > 0) telemetry.dropped('logs', p.rejectedLines, 'permanent_error');
    } finally {
      p.inFlight = false;
    }
  }

  const helper = createExporterHelper({
    settings,
    signal: 'logs',
    config,
    push,
    prepare,
    // Runs before the queue hands out data (a durable queue may replay at once).
    async start(host: Host) {
      const authenticator = config.auth ? resolveAuthenticator(host, config.auth.authenticator, id, 'client') : undefined;
      transport ??= await createTransport({
        owner: id,
        endpoint: config.endpoint,
        // `tenant_id` and `loki.tenant` hints travel with each request (EncodedRequest.tenant).
        headers: config.headers,
        tls: config.tls,
        maxSockets: config.sending_queue.enabled ? config.sending_queue.num_consumers : 1,
        ...(authenticator && { authHeaders: () => authenticator.headers() }),
      });
    },
    // Runs last, once the queue has drained: nothing uses the sockets any more.
    async shutdown() {
      transport?.close();
      refusals.flush();
    },
  });

  return {
    consumers: { logs: helper },
    start: (host: Host) => helper.start(host),
    shutdown: (signal?: AbortSignal) => helper.shutdown(signal),
  };
}
