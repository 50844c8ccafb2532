/**
 * The `otlp` exporter: one unary OTLP/gRPC `Export` call per batch through a @grpc/grpc-js
 * client (messages encoded by our codec, no proto-loader). Failures are mapped per the
 * OTLP/gRPC spec for the exporterhelper, which owns retries.
 */
import * as grpc from '@grpc/grpc-js';
import { type ClientAuthenticator, resolveAuthenticator } from '../../component/auth.js';
import type { Component, CreateSettings, Host, SignalConsumers } from '../../component/component.js';
import { errors } from '../../errors.js';
import { createExporterHelper, type ExporterHelper } from '../../exporterhelper/exporter-helper.js';
import { loadClientTls } from '../../internal/http-server/tls.js';
import { decodeResponse, encodeRequest } from '../../model/otlp-codec.js';
import type { Signal, SignalData } from '../../model/types.js';
import { OTLP_GRPC_PATHS, rawUnaryMethod } from '../../receivers/otlp/grpc.js';
import { createPartialSuccessReporter } from '../otlp-common/partial-success.js';
import { grpcCallError } from '../otlp-common/responses.js';
import type { OtlpExporterConfig } from './config.js';

/** `https://host:4317` → { target: 'host:4317', tls: true }; no scheme → the `tls` block decides. */
export function parseGrpcEndpoint(endpoint: string): { target: string; scheme?: 'http' | 'https' } {
  const m = /^(https?):\/\/(.*?)\/?$/.exec(endpoint);
  if (!m) return { target: endpoint };
  return { target: m[2] as string, scheme: m[1] as 'http' | 'https' };
}

/** Creates the exporter with a consumer for each of `signals`. */
export function createOtlpExporter(
  settings: CreateSettings,
  config: OtlpExporterConfig,
  signals: readonly Signal[],
): Component & { consumers: SignalConsumers } {
  const partials = createPartialSuccessReporter(settings);
  const { target, scheme } = parseGrpcEndpoint(config.endpoint);
  let client: grpc.Client | undefined;
  let auth: ClientAuthenticator | undefined;

  const push = <S extends Signal>(signal: S) => {
    const method = rawUnaryMethod(OTLP_GRPC_PATHS[signal]);
    return async (batch: SignalData[S], abort: AbortSignal): Promise<void> => {
      const c = client;
      if (!c) throw errors.STITCH_ERR_EXPORT_RETRYABLE([settings.id, 'not started']);
      const metadata = new grpc.Metadata();
      for (const [k, v] of Object.entries(config.headers)) metadata.set(k, v);
      if (auth) for (const [k, v] of Object.entries(await auth.headers())) metadata.set(k, v);
      // A view of the encoded bytes, not a copy (Buffer.from(Uint8Array) would copy the request).
      const encoded = encodeRequest(signal, batch, 'protobuf');
      const body = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
      const response = await new Promise<Buffer>((resolve, reject) => {
        const call = c.makeUnaryRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          body,
          metadata,
          { deadline: Date.now() + config.timeout },
          (err, value) => (err ? reject(grpcCallError(settings.id, err)) : resolve(value as Buffer)),
        );
        abort.addEventListener('abort', () => call.cancel(), { once: true });
      });
      let partial: ReturnType<typeof decodeResponse>;
      try {
        partial = decodeResponse(signal, response, 'protobuf');
      } catch {
        partial = undefined; // accepted; an unreadable response changes nothing
      }
      if (partial) partials.report(signal, partial);
    };
  };

  const helpers = new Map<Signal, ExporterHelper<Signal>>();
  for (const signal of signals) {
    helpers.set(
      signal,
      createExporterHelper({ settings, signal, config, push: push(signal) }) as unknown as ExporterHelper<Signal>,
    );
  }

  return {
    consumers: Object.fromEntries(helpers) as SignalConsumers,
    async start(host: Host) {
      if (config.auth) auth = resolveAuthenticator(host, config.auth.authenticator, settings.id, 'client');
      const insecure = scheme === 'http' || (scheme === undefined && config.tls.insecure);
      const tls = insecure ? undefined : await loadClientTls(settings.id, { ...config.tls, insecure: false });
      const credentials = tls
        ? grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null, {
            rejectUnauthorized: tls.rejectUnauthorized,
          })
        : grpc.credentials.createInsecure();
      const options: grpc.ChannelOptions = {};
      if (config.compression === 'gzip' || config.compression === 'deflate') {
        options['grpc.default_compression_algorithm'] = grpc.compressionAlgorithms[config.compression];
      }
      if (tls?.servername) options['grpc.ssl_target_name_override'] = tls.servername;
      if (config.keepalive && config.keepalive.time > 0) {
        options['grpc.keepalive_time_ms'] = config.keepalive.time;
        if (config.keepalive.timeout > 0) options['grpc.keepalive_timeout_ms'] = config.keepalive.timeout;
        if (config.keepalive.permit_without_stream) options['grpc.keepalive_permit_without_calls'] = 1;
      }
      client = new grpc.Client(target, credentials, options);
      for (const h of helpers.values()) await h.start(host);
    },
    async shutdown(signal?: AbortSignal) {
      await Promise.all([...helpers.values()].map((h) => h.shutdown(signal)));
      client?.close();
      partials.flush();
    },
  };
}
