/**
 * OTLP/gRPC server of the `otlp` receiver (@grpc/grpc-js): the three `Export` services, with
 * messages (de)serialised by our codec rather than proto-loader. Status codes follow the
 * OTLP/gRPC spec: INVALID_ARGUMENT for bad data, RESOURCE_EXHAUSTED (memory limit, full queue)
 * or UNAVAILABLE with a google.rpc.RetryInfo detail for retryable refusals, INTERNAL for a
 * permanent pipeline failure, UNAUTHENTICATED when the authenticator says no. grpc-js itself
 * inflates gzip/deflate requests and answers RESOURCE_EXHAUSTED past `max_recv_msg_size_mib`.
 */
import * as grpc from '@grpc/grpc-js';
import type { IncomingHeaders, ServerAuthenticator } from '../../component/auth.js';
import { resolveAuthenticator } from '../../component/auth.js';
import type { ConsumeContext, CreateSettings, Host } from '../../component/component.js';
import { errors } from '../../errors.js';
import { splitEndpoint } from '../../internal/http-server/config.js';
import { loadServerTls } from '../../internal/http-server/tls.js';
import { decodeRequest, encodeResponse, encodeStatus } from '../../model/otlp-codec.js';
import { decodeMetricsProtobuf } from '../../model/otlp-metrics/source.js';
import type { Signal } from '../../model/types.js';
import type { GrpcProtocolConfig } from './config.js';
import type { ReceiverCore } from './core.js';
import { raiseFlowControlWindows } from './grpc-window.js';

/** The gRPC method path of each signal's Export call. */
export const OTLP_GRPC_PATHS: Readonly<Record<Signal, string>> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
};

const SIGNAL_BY_PATH = new Map<string, Signal>(Object.entries(OTLP_GRPC_PATHS).map(([s, p]) => [p, s as Signal]));

/** Bytes in, bytes out: decoding happens in the handler so a bad message gets INVALID_ARGUMENT. */
const identity = (b: Buffer) => b;

/** A unary method definition carrying raw bytes, for the server and the otlp exporter alike. */
export function rawUnaryMethod(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

/** gRPC metadata as lower-case string headers (binary `-bin` entries as base64). */
export function metadataToHeaders(metadata: grpc.Metadata): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(metadata.toJSON())) {
    const strings = value.map((v) => (typeof v === 'string' ? v : v.toString('base64')));
    out[key] = strings.length === 1 ? (strings[0] as string) : strings;
  }
  return out;
}

/** "ipv4:1.2.3.4:5678", "1.2.3.4:5678" or "[::1]:5678" → the address alone. */
export function peerAddress(peer: string): string | undefined {
  const p = peer.replace(/^ipv[46]:/, '');
  const m = /^\[([^\]]+)\]:\d+$/.exec(p) ?? /^([^:]+):\d+$/.exec(p);
  const addr = m ? m[1] : p;
  return addr?.startsWith('::ffff:') ? addr.slice(7) : addr;
}

function statusError(code: grpc.status, message: string, retryAfterMs?: number): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  const details = encodeStatus({ code, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }, 'protobuf');
  metadata.set('grpc-status-details-bin', Buffer.from(details));
  return { code, details: message, metadata };
}

/** The running gRPC server. */
export interface GrpcServer {
  readonly port: number;
  /** Stops accepting calls, waits for in-flight ones until `signal` aborts, then forces. */
  close(signal?: AbortSignal): Promise<void>;
}

/** Starts the gRPC server; resolves once it is bound. */
export async function startGrpcServer(options: {
  settings: CreateSettings;
  config: GrpcProtocolConfig;
  host: Host;
  core: ReceiverCore;
}): Promise<GrpcServer> {
  const { settings, config, host, core } = options;
  const auth: ServerAuthenticator | undefined = config.auth
    ? resolveAuthenticator(host, config.auth.authenticator, settings.id, 'server')
    : undefined;
  const tls = await loadServerTls(settings.id, config.tls);
  const maxRecv = (config.max_recv_msg_size_mib > 0 ? config.max_recv_msg_size_mib : 4) * 1024 * 1024;

  const serverOptions: grpc.ServerOptions = {
    'grpc.max_receive_message_length': maxRecv,
    interceptors: [
      // grpc-js refuses an oversized message itself, before any handler or interceptor sees a
      // message or a status; it then reports the end of the call as a cancel. Count those here.
      // (A client that cancels before its message arrived is counted the same way.)
      (method, call) => {
        let received = false;
        let answered = false;
        return new grpc.ServerInterceptingCall(call, {
          start: (next) =>
            next({
              onReceiveMessage: (message, nextMessage) => {
                received = true;
                nextMessage(message);
              },
              onCancel: () => {
                if (!received && !answered) core.refuseRequest(SIGNAL_BY_PATH.get(method.path) ?? '', 'grpc', 'too_large');
              },
            }),
          sendStatus: (status, next) => {
            answered = true;
            next(status);
          },
        });
      },
    ],
  };
  if (config.max_concurrent_streams > 0) serverOptions['grpc.max_concurrent_streams'] = config.max_concurrent_streams;
  const sp = config.keepalive?.server_parameters;
  if (sp) {
    serverOptions['grpc.keepalive_time_ms'] = sp.time;
    serverOptions['grpc.keepalive_timeout_ms'] = sp.timeout;
    if (sp.max_connection_idle > 0) serverOptions['grpc.max_connection_idle_ms'] = sp.max_connection_idle;
    if (sp.max_connection_age > 0) serverOptions['grpc.max_connection_age_ms'] = sp.max_connection_age;
    if (sp.max_connection_age_grace > 0) serverOptions['grpc.max_connection_age_grace_ms'] = sp.max_connection_age_grace;
  }
  if (config.keepalive?.enforcement_policy?.permit_without_stream) serverOptions['grpc.keepalive_permit_without_calls'] = 1;

  const server = new grpc.Server(serverOptions);

  const handler =
    (signal: Signal): grpc.handleUnaryCall<Buffer, Buffer> =>
    (call, callback) => {
      void (async () => {
        const headers = metadataToHeaders(call.metadata);
        if (auth) {
          try {
            await auth.authenticate(headers as IncomingHeaders);
          } catch (err) {
            core.refuseRequest(signal, 'grpc', 'unauthenticated');
            return callback(statusError(grpc.status.UNAUTHENTICATED, (err as Error).message));
          }
        }
        let data: ReturnType<typeof decodeRequest<Signal>>;
        try {
          // Metrics may travel lazily (model/otlp-metrics): scanned, materialised only if read.
          data = signal === 'metrics' ? decodeMetricsProtobuf(call.request) : decodeRequest(signal, call.request, 'protobuf');
        } catch (err) {
          core.refuseRequest(signal, 'grpc', 'decode_error');
          return callback(statusError(grpc.status.INVALID_ARGUMENT, (err as Error).message));
        }
        const clientAddress = peerAddress(call.getPeer());
        const context: ConsumeContext = config.include_metadata ? { clientAddress, metadata: headers } : { clientAddress };
        const outcome = await core.export(signal, data, 'grpc', context);
        if (outcome.ok) return callback(null, Buffer.from(encodeResponse(signal, 'protobuf')));
        const code =
          outcome.class === 'throttled'
            ? grpc.status.RESOURCE_EXHAUSTED
            : outcome.class === 'unavailable'
              ? grpc.status.UNAVAILABLE
              : grpc.status.INTERNAL;
        callback(statusError(code, outcome.error.message, outcome.retryAfterMs));
      })().catch((err: Error) => {
        // Never let a failure escape the handler: answer INTERNAL and keep serving.
        settings.logger.warn({ err: err.message }, 'unexpected error in OTLP/gRPC handler');
        callback(statusError(grpc.status.INTERNAL, err.message));
      });
    };

  for (const signal of ['traces', 'metrics', 'logs'] as const) {
    if (!core.has(signal)) continue;
    server.addService({ Export: rawUnaryMethod(OTLP_GRPC_PATHS[signal]) }, { Export: handler(signal) });
  }

  const credentials = tls
    ? grpc.ServerCredentials.createSsl(tls.ca ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.requestCert)
    : grpc.ServerCredentials.createInsecure();
  const { host: bindHost, port } = splitEndpoint(config.endpoint);
  const target = bindHost.includes(':') ? `[${bindHost}]:${port}` : `${bindHost}:${port}`;
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, credentials, (err, p) => {
      if (err) reject(errors.STITCH_ERR_LISTEN([settings.id, config.endpoint, err.message], { cause: err }));
      else resolve(p);
    });
  });
  if (!raiseFlowControlWindows(server)) {
    settings.logger.debug('grpc-js internals changed: HTTP/2 flow-control windows left at their defaults');
  }

  let closed: Promise<void> | undefined;
  return {
    port: boundPort,
    close(signal?: AbortSignal) {
      closed ??= new Promise<void>((resolve) => {
        const force = () => {
          server.forceShutdown();
          resolve();
        };
        if (signal?.aborted) return force();
        signal?.addEventListener('abort', force, { once: true });
        server.tryShutdown(() => {
          signal?.removeEventListener('abort', force);
          resolve();
        });
      });
      return closed;
    },
  };
}
