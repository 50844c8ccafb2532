/**
 * The HTTP side of the exporter: POSTs snappy-compressed WriteRequests with the remote-write 1.0
 * headers over a keep-alive agent (node:http / node:https), and maps the answer to the error
 * contract of exporterhelper: 2xx ok; 5xx and 429 retryable (honouring Retry-After); any other
 * status permanent; network failures retryable.
 */
import http from 'node:http';
import https from 'node:https';
import type { ClientAuthenticator } from '../../component/auth.js';
import { errors, type StitchError } from '../../errors.js';
import type { ClientTlsMaterial } from '../../internal/http-server/tls.js';
import { REMOTE_WRITE_CONTENT_TYPE, REMOTE_WRITE_VERSION } from '../../model/remote-write/types.js';

/** Headers the exporter sets itself; user `headers` cannot override them (as in the Collector). */
const FIXED_HEADERS = ['content-encoding', 'content-type', 'x-prometheus-remote-write-version', 'user-agent'];

/** Longest part of an error response kept for the error message. */
const MAX_ERROR_BODY = 1024;

/** Sends one compressed body; rejects with a StitchError (retryable or permanent). */
export interface RemoteWriteClient {
  send(body: Buffer, abort: AbortSignal): Promise<void>;
  close(): void;
}

/** What the client needs. */
export interface ClientOptions {
  componentId: string;
  endpoint: string;
  headers: Readonly<Record<string, string>>;
  userAgent: string;
  tls: ClientTlsMaterial | undefined;
  auth: ClientAuthenticator | undefined;
  /** Concurrent connections (one per sender). */
  maxSockets: number;
  /** The configured `timeout`, for the message of a timed-out request. */
  timeoutMs: number;
}

/**
 * Parses Retry-After (delta-seconds or an HTTP date) to milliseconds; undefined when absent or
 * unparsable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The error for a non-2xx answer, or undefined for success. `body` is the server's message
 * (Prometheus explains a rejection in plain text: "out of order sample", …).
 */
export function responseError(
  componentId: string,
  status: number,
  retryAfter: string | string[] | undefined,
  body: string,
): StitchError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const message = `HTTP ${status}${body.trim() === '' ? '' : `: ${body.trim().slice(0, MAX_ERROR_BODY)}`}`;
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter);
    return errors.STITCH_ERR_EXPORT_RETRYABLE(
      [componentId, message],
      retryAfterMs === undefined ? { retryable: true } : { retryable: true, retryAfterMs },
    );
  }
  return errors.STITCH_ERR_EXPORT_PERMANENT([componentId, message]);
}

/** Creates the client; call `close` on shutdown to free the sockets. */
export function createRemoteWriteClient(options: ClientOptions): RemoteWriteClient {
  const url = new URL(options.endpoint);
  const isHttps = url.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, ...(isHttps ? (options.tls ?? {}) : {}) };
  const agent = isHttps ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  const request = isHttps ? https.request : http.request;
  const baseHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.headers)) {
    if (!FIXED_HEADERS.includes(k.toLowerCase())) baseHeaders[k] = v;
  }
  Object.assign(baseHeaders, {
    'Content-Encoding': 'snappy',
    'Content-Type': REMOTE_WRITE_CONTENT_TYPE,
    'X-Prometheus-Remote-Write-Version': REMOTE_WRITE_VERSION,
    'User-Agent': options.userAgent,
  });

  return {
    async send(body, abort) {
      const headers: Record<string, string> = options.auth ? { ...(await options.auth.headers()), ...baseHeaders } : baseHeaders;
      if (abort.aborted) throw errors.STITCH_ERR_TIMEOUT([`${options.componentId} request`, options.timeoutMs]);
      await new Promise<void>((resolve, reject) => {
        const req = request(
          url,
          { method: 'POST', agent, headers: { ...headers, 'Content-Length': String(body.length) }, signal: abort },
          (res) => {
            const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (c: Buffer) => {
              if (!ok && size < MAX_ERROR_BODY) chunks.push(c);
              size += c.length;
            });
            res.on('error', (err) => reject(networkError(options.componentId, err)));
            res.on('end', () => {
              const err = responseError(
                options.componentId,
                res.statusCode ?? 0,
                res.headers['retry-after'],
                Buffer.concat(chunks).toString('utf8'),
              );
              if (err) reject(err);
              else resolve();
            });
          },
        );
        req.on('error', (err) => {
          if (abort.aborted)
            reject(errors.STITCH_ERR_TIMEOUT([`${options.componentId} request`, options.timeoutMs], { cause: err }));
          else reject(networkError(options.componentId, err));
        });
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

function networkError(componentId: string, err: Error): StitchError {
  return errors.STITCH_ERR_EXPORT_RETRYABLE([componentId, err.message], { cause: err, retryable: true });
}
