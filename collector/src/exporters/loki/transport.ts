/**
 * POSTs encoded push requests to Loki over node:http(s) with a keep-alive agent, and classifies the
 * answer: 2xx delivered, 429/5xx/network retryable (with Retry-After), other 4xx permanent with a
 * reason read from Loki's message.
 */
import http from 'node:http';
import https from 'node:https';
import { parseRetryAfter } from '../../exporterhelper/retry.js';
import { loadClientTls, type TlsClientConfig } from '../../internal/http-server/tls.js';
import type { EncodedRequest } from './encode.js';

/** Why Loki refused a request for good, from its message (its `discarded_samples` reasons). */
export type LokiRejectReason =
  | 'out_of_order'
  | 'too_old'
  | 'too_new'
  | 'line_too_long'
  | 'invalid_labels'
  | 'structured_metadata'
  | 'too_large'
  | 'unauthorized'
  | 'bad_request';

/** The outcome of one POST. */
export type SendResult =
  | { readonly ok: true; readonly status: number }
  | {
      readonly ok: false;
      /** HTTP status, or 0 when no answer arrived (network error, timeout). */
      readonly status: number;
      readonly retryable: boolean;
      readonly message: string;
      readonly retryAfterMs?: number;
      readonly reason?: LokiRejectReason;
    };

/** Sends push requests to one Loki endpoint. */
export interface LokiTransport {
  /** One POST; never rejects, the result says what happened. `abort` cancels it. */
  send(request: EncodedRequest, abort: AbortSignal): Promise<SendResult>;
  /** Closes idle keep-alive sockets. */
  close(): void;
}

/** What the transport needs. */
export interface TransportOptions {
  /** The exporter's ID, for error messages. */
  readonly owner: string;
  readonly endpoint: string;
  /** Static headers (configured `headers`, `X-Scope-OrgID` from `tenant_id`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: TlsClientConfig;
  /** Per-request credentials from an authenticator extension. */
  readonly authHeaders?: () => Promise<Readonly<Record<string, string>>>;
  /** Concurrent connections (the queue's `num_consumers`). */
  readonly maxSockets: number;
}

/** Longest Loki error message kept (bytes); Loki can echo a whole stream selector. */
const MAX_MESSAGE_BYTES = 1024;

/** Builds the transport; reads TLS files now (STITCH_ERR_COMPONENT_START when one is missing), so call it from `start`. */
export async function createTransport(options: TransportOptions): Promise<LokiTransport> {
  const url = new URL(options.endpoint);
  const secure = url.protocol === 'https:';
  // The URL scheme decides TLS (as confighttp does); `insecure` only matters for gRPC.
  const tls = secure ? await loadClientTls(options.owner, { ...options.tls, insecure: false }) : undefined;
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: options.maxSockets, ...tls })
    : new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
  const request = secure ? https.request : http.request;
  const baseHeaders: Record<string, string> = { 'user-agent': 'stitch-collector', ...options.headers };

  return {
    async send(req, abort) {
      const headers: Record<string, string | number> = { ...baseHeaders };
      if (options.authHeaders) Object.assign(headers, await options.authHeaders());
      headers['content-type'] = req.contentType;
      headers['content-length'] = req.body.byteLength;
      if (req.contentEncoding) headers['content-encoding'] = req.contentEncoding;
      if (req.tenant !== undefined) {
        for (const k of Object.keys(headers)) if (k.toLowerCase() === 'x-scope-orgid') delete headers[k];
        headers['X-Scope-OrgID'] = req.tenant;
      }
      return new Promise<SendResult>((resolve) => {
        if (abort.aborted) {
          resolve({ ok: false, status: 0, retryable: true, message: abortMessage(abort) });
          return;
        }
        const r = request(url, { method: 'POST', agent, headers, signal: abort }, (res) => {
          const status = res.statusCode ?? 0;
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < MAX_MESSAGE_BYTES) chunks.push(c);
            size += c.length;
          });
          res.on('error', () => resolve({ ok: false, status, retryable: true, message: 'response aborted' }));
          res.on('end', () => {
            if (status >= 200 && status < 300) {
              resolve({ ok: true, status });
              return;
            }
            const message = Buffer.concat(chunks).subarray(0, MAX_MESSAGE_BYTES).toString('utf8').trim() || `HTTP ${status}`;
            resolve(classify(status, message, res.headers['retry-after']));
          });
        });
        r.on('error', (err) => {
          resolve({ ok: false, status: 0, retryable: true, message: abort.aborted ? abortMessage(abort) : err.message });
        });
        r.end(req.body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

function abortMessage(abort: AbortSignal): string {
  const reason = abort.reason as { name?: string; message?: string } | undefined;
  return reason?.name === 'TimeoutError' ? 'request timed out' : `request aborted${reason?.message ? `: ${reason.message}` : ''}`;
}

/** Classifies a non-2xx answer. 429 and 5xx are retryable; every other status is permanent. */
export function classify(status: number, message: string, retryAfter?: string | string[]): SendResult {
  const retryAfterMs = parseRetryAfter(retryAfter);
  if (status === 429 || status >= 500) {
    return { ok: false, status, retryable: true, message, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }
  return { ok: false, status, retryable: false, message, reason: rejectReason(status, message) };
}

/** Maps Loki's 4xx message to a reason (Loki's validation messages, pkg/validation). */
export function rejectReason(status: number, message: string): LokiRejectReason {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 413) return 'too_large';
  const m = message.toLowerCase();
  if (m.includes('out of order') || m.includes('too far behind')) return 'out_of_order';
  if (m.includes('timestamp too old') || m.includes('too old')) return 'too_old';
  if (m.includes('timestamp too new') || m.includes('too far in future')) return 'too_new';
  if (m.includes('max entry size') || m.includes('line too long')) return 'line_too_long';
  if (m.includes('structured metadata')) return 'structured_metadata';
  if (m.includes('label')) return 'invalid_labels';
  return 'bad_request';
}
