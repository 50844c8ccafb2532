/** The `otlp` receiver: an OTLP/HTTP and/or OTLP/gRPC server feeding the pipelines that list it. */
import type { Component, CreateSettings, Host, SignalConsumers } from '../../component/component.js';
import type { HttpServer } from '../../internal/http-server/server.js';
import type { OtlpReceiverConfig } from './config.js';
import { createReceiverCore } from './core.js';
import { type GrpcServer, startGrpcServer } from './grpc.js';
import { startHttpServer } from './http.js';

/** The receiver, plus the ports it bound (for tests that listen on port 0). */
export interface OtlpReceiver extends Component {
  /** Bound ports once started; undefined for a protocol that is off. */
  readonly ports: { readonly http?: number; readonly grpc?: number };
}

/** Creates the receiver; nothing listens until `start`. */
export function createOtlpReceiver(settings: CreateSettings, config: OtlpReceiverConfig, next: SignalConsumers): OtlpReceiver {
  const core = createReceiverCore(settings, next);
  let http: (HttpServer & { port: number }) | undefined;
  let grpc: GrpcServer | undefined;
  let stopped = false;
  const ports: { http?: number; grpc?: number } = {};

  const shutdown = async (signal?: AbortSignal) => {
    stopped = true;
    // Both servers stop accepting and let in-flight requests finish: those are waiting on the
    // pipeline, which shuts down after us (upstream first), so they complete.
    await Promise.all([http?.close(), grpc?.close(signal)]);
  };

  return {
    ports,
    async start(host: Host) {
      if (stopped || http || grpc) return;
      const { http: httpConfig, grpc: grpcConfig } = config.protocols;
      if (!httpConfig && !grpcConfig) {
        settings.logger.warn('no protocols configured; the otlp receiver listens on nothing');
        return;
      }
      try {
        if (grpcConfig) {
          grpc = await startGrpcServer({ settings, config: grpcConfig, host, core });
          ports.grpc = grpc.port;
          settings.logger.info({ endpoint: grpcConfig.endpoint, port: grpc.port }, 'OTLP/gRPC server listening');
        }
        if (httpConfig) {
          http = await startHttpServer({ settings, config: httpConfig, host, core });
          ports.http = http.port;
          settings.logger.info({ endpoint: httpConfig.endpoint, port: http.port }, 'OTLP/HTTP server listening');
        }
      } catch (err) {
        await shutdown();
        throw err;
      }
    },
    shutdown,
  };
}
