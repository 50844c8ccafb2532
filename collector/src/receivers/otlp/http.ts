/**
 * OTLP/HTTP server of the `otlp` receiver (fastify): POST /v1/{traces,metrics,logs} with
 * protobuf or JSON bodies, compressed or not. Responses follow the OTLP/HTTP spec and are
 * encoded like the request: 200 + Export*ServiceResponse, 400 + google.rpc.Status saying what
 * was malformed, 413 over `max_request_body_size`, 415 for an unknown content type or encoding,
 * 404 / 405 for a wrong path / method, 429 / 503 + Retry-After when the pipeline refuses with a
 * retryable error, 500 for a permanent one. A request is answered only after the pipeline
 * accepted or refused it, so backpressure reaches the client.
 */
import type { Readable } from 'node:stream';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsumeContext, CreateSettings, Host } from '../../component/component.js';
import { errors, StitchError } from '../../errors.js';
import { readBody } from '../../internal/http-server/body.js';
import { createHttpServer, type HttpServer } from '../../internal/http-server/server.js';
import { decodeRequest, encodeResponse, encodeStatus, type OtlpEncoding } from '../../model/otlp-codec.js';
import { decodeMetricsProtobuf } from '../../model/otlp-metrics/source.js';
import type { Signal } from '../../model/types.js';
import type { HttpProtocolConfig } from './config.js';
import type { ReceiverCore, RequestRefusal } from './core.js';

/** A gRPC status code name (google.rpc.Status codes are the same numbers). */
type GrpcCode = keyof typeof grpcStatus;

const CONTENT_TYPES: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** `application/json; charset=utf-8` → 'json'; undefined for anything else. */
export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  if (contentType === undefined) return undefined;
  const semi = contentType.indexOf(';');
  const media = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

/** The IPv4 address of an IPv4-mapped IPv6 address; others unchanged. */
export function normaliseAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}

function sendStatus(
  reply: FastifyReply,
  httpCode: number,
  grpcCode: GrpcCode,
  message: string,
  encoding: OtlpEncoding,
  retryAfterMs?: number,
): FastifyReply {
  if (retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  return reply
    .code(httpCode)
    .type(CONTENT_TYPES[encoding])
    .send(
      Buffer.from(
        encodeStatus({ code: grpcStatus[grpcCode], message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }, encoding),
      ),
    );
}

/** Starts the HTTP server; resolves with the bound port once it listens. */
export async function startHttpServer(options: {
  settings: CreateSettings;
  config: HttpProtocolConfig;
  host: Host;
  core: ReceiverCore;
}): Promise<HttpServer & { port: number }> {
  const { settings, config, host, core } = options;
  const limit = config.max_request_body_size;
  const paths = new Map<string, Signal>([
    [config.traces_url_path, 'traces'],
    [config.metrics_url_path, 'metrics'],
    [config.logs_url_path, 'logs'],
  ]);

  const refuse = (
    reply: FastifyReply,
    signal: Signal | '',
    reason: RequestRefusal,
    httpCode: number,
    grpcCode: GrpcCode,
    message: string,
    encoding: OtlpEncoding,
  ) => {
    core.refuseRequest(signal, 'http', reason);
    return sendStatus(reply, httpCode, grpcCode, message, encoding);
  };

  const server = await createHttpServer({
    settings,
    config,
    host,
    onUnauthenticated: (request, reply, err) =>
      refuse(
        reply,
        paths.get(request.routeOptions.url ?? '') ?? '',
        'unauthenticated',
        401,
        'UNAUTHENTICATED',
        err.message,
        encodingOf(request.headers['content-type']) ?? 'json',
      ),
  });
  const app = server.app;

  const handle = async (signal: Signal, request: FastifyRequest, reply: FastifyReply) => {
    const encoding = encodingOf(request.headers['content-type']);
    if (encoding === undefined) {
      const err = errors.STITCH_ERR_UNSUPPORTED_MEDIA_TYPE([request.headers['content-type'] ?? '']);
      return refuse(reply, signal, 'unsupported_media_type', 415, 'INVALID_ARGUMENT', err.message, 'json');
    }
    const declared = Number(request.headers['content-length']);
    if (declared > limit) {
      return refuse(
        reply,
        signal,
        'too_large',
        413,
        'INVALID_ARGUMENT',
        errors.STITCH_ERR_BODY_TOO_LARGE([limit]).message,
        encoding,
      );
    }
    let body: Buffer;
    try {
      body = await readBody(request.body as Readable, request.headers['content-encoding'], limit);
    } catch (err) {
      const e = err as StitchError;
      if (e.code === errors.STITCH_ERR_BODY_TOO_LARGE.code)
        return refuse(reply, signal, 'too_large', 413, 'INVALID_ARGUMENT', e.message, encoding);
      if (e.code === errors.STITCH_ERR_UNSUPPORTED_ENCODING.code) {
        return refuse(reply, signal, 'unsupported_media_type', 415, 'INVALID_ARGUMENT', e.message, encoding);
      }
      return refuse(reply, signal, 'decode_error', 400, 'INVALID_ARGUMENT', e.message, encoding);
    }
    let data: ReturnType<typeof decodeRequest<Signal>>;
    try {
      // Protobuf metrics may travel lazily (model/otlp-metrics): scanned, materialised only if read.
      data =
        signal === 'metrics' && encoding === 'protobuf' ? decodeMetricsProtobuf(body) : decodeRequest(signal, body, encoding);
    } catch (err) {
      return refuse(reply, signal, 'decode_error', 400, 'INVALID_ARGUMENT', (err as Error).message, encoding);
    }
    const context: ConsumeContext = config.include_metadata
      ? { clientAddress: normaliseAddress(request.socket.remoteAddress), metadata: request.headers }
      : { clientAddress: normaliseAddress(request.socket.remoteAddress) };
    const outcome = await core.export(signal, data, 'http', context);
    if (outcome.ok) {
      return reply
        .code(200)
        .type(CONTENT_TYPES[encoding])
        .send(Buffer.from(encodeResponse(signal, encoding)));
    }
    if (outcome.class === 'throttled') {
      return sendStatus(reply, 429, 'RESOURCE_EXHAUSTED', outcome.error.message, encoding, outcome.retryAfterMs);
    }
    if (outcome.class === 'unavailable') {
      return sendStatus(reply, 503, 'UNAVAILABLE', outcome.error.message, encoding, outcome.retryAfterMs);
    }
    return sendStatus(reply, 500, 'INTERNAL', outcome.error.message, encoding);
  };

  for (const [path, signal] of paths) {
    if (!core.has(signal)) continue;
    app.post(path, (request, reply) => handle(signal, request, reply));
  }

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] as string;
    const signal = paths.get(path);
    const encoding = encodingOf(request.headers['content-type']) ?? 'json';
    if (signal !== undefined && core.has(signal) && request.method !== 'POST') {
      reply.header('allow', 'POST');
      return refuse(
        reply,
        signal,
        'method_not_allowed',
        405,
        'UNIMPLEMENTED',
        `method ${request.method} not allowed; use POST`,
        encoding,
      );
    }
    return refuse(reply, '', 'not_found', 404, 'NOT_FOUND', `no OTLP endpoint at ${path}`, encoding);
  });

  // Anything unexpected (a bug, a fastify-level error) still gets an OTLP Status, never a crash.
  app.setErrorHandler((err, request, reply) => {
    const encoding = encodingOf(request.headers['content-type']) ?? 'json';
    settings.logger.warn({ err: (err as Error).message }, 'unexpected error in OTLP/HTTP handler');
    const code = (err as { statusCode?: number }).statusCode ?? 500;
    const message = err instanceof StitchError ? err.message : (err as Error).message;
    return sendStatus(
      reply,
      code >= 400 && code < 600 ? code : 500,
      code < 500 ? 'INVALID_ARGUMENT' : 'INTERNAL',
      message,
      encoding,
    );
  });

  const port = await server.listen();
  return Object.assign(server, { port });
}
