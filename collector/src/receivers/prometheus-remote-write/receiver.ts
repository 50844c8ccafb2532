/**
 * The `prometheusremotewrite` receiver: Prometheus remote-write 1.0 at POST /api/v1/write
 * (snappy + protobuf WriteRequest) into the metrics pipelines. Answers: 204 once the pipeline
 * accepted the data; 400 with a plain-text reason for a body that is not snappy or not a
 * WriteRequest; 413 over `max_request_body_size` (compressed or declared inflated size); 415 for
 * another Content-Type/Content-Encoding or remote-write 2.0; 429 (memory limit, full queue) or
 * 503 + Retry-After when the pipeline refuses with a retryable error, 500 for a permanent one, as
 * the OTLP receiver does. Prometheus retries 5xx and, with `retry_on_http_429`, 429.
 */
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Component, CreateSettings, Host, SignalConsumers } from '../../component/component.js';
import { errors, type StitchError } from '../../errors.js';
import { readBody } from '../../internal/http-server/body.js';
import { createHttpServer, type HttpServer } from '../../internal/http-server/server.js';
import { createLazyMetrics } from '../../model/lazy-metrics.js';
import { decodeWriteRequest } from '../../model/remote-write/decode.js';
import { scanWriteRequest } from '../../model/remote-write/scan.js';
import { decompressBodySync } from '../../model/remote-write/snappy.js';
import type { MetricsData } from '../../model/types.js';
import type { DropReason } from '../../telemetry/self-metrics.js';
import { createReceiverCore, type RequestRefusal } from '../otlp/core.js';
import type { PrometheusRemoteWriteReceiverConfig } from './config.js';
import { remoteWriteLazySource } from './lazy-source.js';
import { createRemoteWriteToOtlp } from './translate.js';

/** The path Prometheus writes to. */
export const WRITE_PATH = '/api/v1/write';

/** The receiver, plus the port it bound (tests listen on port 0). */
export interface PrometheusRemoteWriteReceiver extends Component {
  readonly port: number | undefined;
}

function text(reply: FastifyReply, status: number, message: string, retryAfterMs?: number): FastifyReply {
  if (retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  return reply.code(status).type('text/plain; charset=utf-8').send(`${message}\n`);
}

/** `application/x-protobuf` with no `proto` parameter or proto=prometheus.WriteRequest: remote-write 1.0. */
function isRemoteWrite1(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [media, ...params] = contentType.split(';').map((p) => p.trim());
  if (media?.toLowerCase() !== 'application/x-protobuf') return false;
  const proto = params.find((p) => p.toLowerCase().startsWith('proto='));
  return proto === undefined || proto.slice(6).replace(/"/g, '') === 'prometheus.WriteRequest';
}

/** Creates the receiver; nothing listens until `start`. */
export function createPrometheusRemoteWriteReceiver(
  settings: CreateSettings,
  config: PrometheusRemoteWriteReceiverConfig,
  next: SignalConsumers,
): PrometheusRemoteWriteReceiver {
  const core = createReceiverCore(settings, next);
  const translator = createRemoteWriteToOtlp();
  const limit = config.max_request_body_size;
  let server: HttpServer | undefined;
  let port: number | undefined;
  let stopped = false;

  const refuse = (reply: FastifyReply, reason: RequestRefusal, status: number, message: string) => {
    core.refuseRequest('metrics', 'http', reason);
    return text(reply, status, message);
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!isRemoteWrite1(request.headers['content-type'])) {
      return refuse(
        reply,
        'unsupported_media_type',
        415,
        `unsupported Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')}; expected application/x-protobuf (remote-write 1.0)`,
      );
    }
    const encoding = request.headers['content-encoding'];
    if (encoding?.toLowerCase() !== 'snappy') {
      return refuse(
        reply,
        'unsupported_media_type',
        415,
        `unsupported Content-Encoding ${JSON.stringify(encoding ?? '')}; expected snappy`,
      );
    }
    let data: MetricsData;
    try {
      // The body is read raw (snappy is not an HTTP content coding readBody knows).
      const body = await readBody(request.body as Readable, undefined, limit);
      const raw = decompressBodySync(body, limit);
      const scan = scanWriteRequest(raw);
      if (scan) {
        if (scan.samples === 0) return reply.code(204).send();
        data = createLazyMetrics(remoteWriteLazySource(scan, translator));
      } else {
        // Anything beyond plain named float series (metadata, exemplars, histograms, target_info,
        // invalid series or bytes): decode in full, which also says precisely what is wrong.
        const t = translator.translate(decodeWriteRequest(raw));
        if (t.invalidSeries > 0) settings.telemetry.dropped('metrics', t.invalidSeries, 'invalid_data' satisfies DropReason);
        if (t.points === 0) return reply.code(204).send();
        data = t.data;
      }
    } catch (err) {
      const e = err as StitchError;
      if (e.code === errors.STITCH_ERR_BODY_TOO_LARGE.code) return refuse(reply, 'too_large', 413, e.message);
      return refuse(reply, 'decode_error', 400, e.message);
    }
    const outcome = await core.export('metrics', data, 'http', {
      clientAddress: request.socket.remoteAddress,
      ...(config.include_metadata ? { metadata: request.headers } : {}),
    });
    if (outcome.ok) return reply.code(204).send();
    if (outcome.class === 'throttled') return text(reply, 429, outcome.error.message, outcome.retryAfterMs);
    if (outcome.class === 'unavailable') return text(reply, 503, outcome.error.message, outcome.retryAfterMs);
    return text(reply, 500, outcome.error.message);
  };

  return {
    get port() {
      return port;
    },
    async start(host: Host) {
      if (stopped || server) return;
      if (!core.has('metrics')) {
        settings.logger.warn('not in any metrics pipeline; listening anyway');
      }
      server = await createHttpServer({
        settings,
        config,
        host,
        onUnauthenticated: (_request, reply, err) => refuse(reply, 'unauthenticated', 401, err.message),
      });
      server.app.post(WRITE_PATH, handle);
      server.app.setNotFoundHandler((request, reply) =>
        request.url.split('?', 1)[0] === WRITE_PATH
          ? refuse(reply.header('allow', 'POST'), 'method_not_allowed', 405, `${request.method} not allowed; use POST`)
          : refuse(reply, 'not_found', 404, `no route ${request.method} ${request.url}; remote-write goes to POST ${WRITE_PATH}`),
      );
      port = await server.listen();
      settings.logger.info({ endpoint: config.endpoint, port }, 'Prometheus remote-write receiver listening');
    },
    async shutdown() {
      stopped = true;
      // In-flight requests wait on the pipeline, which shuts down after us: they complete.
      await server?.close();
    },
  };
}
