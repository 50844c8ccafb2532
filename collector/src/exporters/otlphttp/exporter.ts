/**
 * The `otlphttp` exporter: POSTs each batch as one OTLP/HTTP request (node:http/https with a
 * keep-alive agent), maps the answer to retryable / permanent errors for the exporterhelper and
 * never retries by itself.
 */
import http from 'node:http';
import https from 'node:https';
import { type ClientAuthenticator, resolveAuthenticator } from '../../component/auth.js';
import type { Component, CreateSettings, Host, SignalConsumers } from '../../component/component.js';
import { errors } from '../../errors.js';
import { createExporterHelper, type ExporterHelper } from '../../exporterhelper/exporter-helper.js';
import { loadClientTls } from '../../internal/http-server/tls.js';
import { decodeResponse, encodeRequest, type OtlpEncoding } from '../../model/otlp-codec.js';
import type { Signal, SignalData } from '../../model/types.js';
import { compress } from '../otlp-common/compression.js';
import { createPartialSuccessReporter } from '../otlp-common/partial-success.js';
import { httpResponseError } from '../otlp-common/responses.js';
import type { OtlpHttpExporterConfig } from './config.js';

/** Longest response body read; OTLP responses and Status messages are small. */
const MAX_RESPONSE_BYTES = 64 * 1024;

const SIGNAL_ENDPOINT_KEYS = { traces: 'traces_endpoint', metrics: 'metrics_endpoint', logs: 'logs_endpoint' } as const;

/** The URL a signal is sent to: its `*_endpoint` as given, else `endpoint` + `/v1/<signal>`. */
export function signalUrl(config: OtlpHttpExporterConfig, signal: Signal): string | undefined {
  const own = config[SIGNAL_ENDPOINT_KEYS[signal]];
  if (own !== undefined) return own;
  if (config.endpoint === undefined) return undefined;
  return `${config.endpoint.replace(/\/+$/, '')}/v1/${signal}`;
}

interface HttpAnswer {
  statusCode: number;
  contentType?: string | undefined;
  retryAfter?: string | undefined;
  body: Buffer;
}

function send(
  url: URL,
  agent: http.Agent,
  headers: Record<string, string>,
  body: Uint8Array,
  abort: AbortSignal,
): Promise<HttpAnswer> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers, signal: abort }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () =>
        resolve({
          statusCode: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          retryAfter: res.headers['retry-after'],
          body: Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Creates the exporter with a consumer for each of `signals`. */
export function createOtlpHttpExporter(
  settings: CreateSettings,
  config: OtlpHttpExporterConfig,
  signals: readonly Signal[],
): Component & { consumers: SignalConsumers } {
  const encoding: OtlpEncoding = config.encoding === 'json' ? 'json' : 'protobuf';
  const contentType = encoding === 'json' ? 'application/json' : 'application/x-protobuf';
  const compression = config.compression;
  const partials = createPartialSuccessReporter(settings);
  const urls = new Map<Signal, URL>();
  for (const signal of signals) {
    const url = signalUrl(config, signal);
    if (url === undefined) {
      throw errors.STITCH_ERR_CONFIG_MISSING([`"endpoint" or "${SIGNAL_ENDPOINT_KEYS[signal]}"`], {
        path: `exporters.${settings.id}`,
      });
    }
    urls.set(signal, new URL(url));
  }
  let agent: http.Agent | undefined;
  let auth: ClientAuthenticator | undefined;

  const push =
    <S extends Signal>(signal: S) =>
    async (batch: SignalData[S], abort: AbortSignal): Promise<void> => {
      if (!agent) throw errors.STITCH_ERR_EXPORT_RETRYABLE([settings.id, 'not started']);
      const body = await compress(encodeRequest(signal, batch, encoding), compression);
      const headers: Record<string, string> = {
        ...config.headers,
        'content-type': contentType,
        'content-length': String(body.length),
        'user-agent': 'stitch-collector',
      };
      if (compression !== 'none' && compression !== '') headers['content-encoding'] = compression;
      if (auth) Object.assign(headers, await auth.headers());
      let answer: HttpAnswer;
      try {
        answer = await send(urls.get(signal) as URL, agent, headers, body, abort);
      } catch (err) {
        if (abort.aborted) throw errors.STITCH_ERR_TIMEOUT([settings.id, config.timeout], { cause: err });
        throw errors.STITCH_ERR_EXPORT_RETRYABLE([settings.id, (err as Error).message], { cause: err });
      }
      if (answer.statusCode >= 200 && answer.statusCode < 300) {
        const respEncoding = answer.contentType?.includes('json') ? 'json' : 'protobuf';
        let partial: ReturnType<typeof decodeResponse>;
        try {
          partial = decodeResponse(signal, answer.body, respEncoding);
        } catch {
          partial = undefined; // the data was accepted; an unreadable response body changes nothing
        }
        if (partial) partials.report(signal, partial);
        return;
      }
      throw httpResponseError(settings.id, answer.statusCode, answer, answer.body);
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
      const anyHttps = [...urls.values()].some((u) => u.protocol === 'https:');
      const tls = anyHttps ? await loadClientTls(settings.id, { ...config.tls, insecure: false }) : undefined;
      agent = anyHttps ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
      for (const h of helpers.values()) await h.start(host);
    },
    async shutdown(signal?: AbortSignal) {
      // The helpers drain their queues first (they still need the agent), then the sockets close.
      await Promise.all([...helpers.values()].map((h) => h.shutdown(signal)));
      agent?.destroy();
      partials.flush();
    },
  };
}
