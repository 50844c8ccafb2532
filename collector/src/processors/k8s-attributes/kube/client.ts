/**
 * A small Kubernetes API client: JSON GETs and watch streams over node:http(s) with one keep-alive
 * agent. Authentication comes from `@kubernetes/client-node`'s KubeConfig (in-cluster service
 * account, kubeconfig files with their auth plugins, CA and client certificates); the transport
 * and the watch loop are ours because the library's informer stops for good on any error other
 * than 410 and its Watch builds a new undici Agent (a new TLS connection) per request.
 *
 * The service-account token is re-read by KubeConfig's token-file authenticator every minute
 * (as client-go does), and at once after a 401, by reloading the KubeConfig.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { errors, type StitchError } from '../../../errors.js';
import type { KubeStatus, WatchEvent } from './types.js';

/** How to reach and authenticate to the API server (the processor's `auth_type` options). */
export interface KubeConnectionOptions {
  auth_type: 'serviceAccount' | 'kubeConfig' | 'none';
  /** kubeConfig: the file to load (default: $KUBECONFIG, then ~/.kube/config). */
  kube_config_path?: string | undefined;
  /** kubeConfig: the context to use instead of the file's current-context. */
  context?: string | undefined;
  /** none: the API server URL (Stitch-only; default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT). */
  endpoint?: string | undefined;
}

/** A failed API call: a StitchError (STITCH_ERR_K8S_API) with the HTTP status and Status reason. */
export type KubeApiError = StitchError & { readonly status: number; readonly reason: string };

/** True for a 410 Gone / Expired answer (HTTP or a watch ERROR event): the caller must relist. */
export function isGone(err: unknown): boolean {
  return (err as KubeApiError | undefined)?.status === 410;
}

/** The HTTP status of a failed call, 0 for network failures. */
export function apiErrorStatus(err: unknown): number {
  return (err as KubeApiError | undefined)?.status ?? 0;
}

/** What the processor needs from the API. */
export interface KubeClient {
  /** The API server's base URL. */
  readonly server: string;
  /** GETs one object or list; resolves undefined on 404, rejects with a KubeApiError otherwise. */
  get<T>(path: string, query?: Record<string, string>, signal?: AbortSignal): Promise<T | undefined>;
  /**
   * Opens a watch stream and calls `onEvent` for each event line. Resolves when the server ends
   * the stream (timeoutSeconds); rejects on HTTP errors, ERROR events (410 included), idle
   * streams and network failures.
   */
  watch<T>(path: string, query: Record<string, string>, onEvent: (ev: WatchEvent<T>) => void, signal: AbortSignal): Promise<void>;
  /** Closes idle keep-alive connections. */
  close(): void;
}

/** The API server's default for a watch without bookmarks is minutes; a silent stream longer than this is dead. */
const IDLE_GRACE_MS = 30_000;
/** A watch line (one object) larger than this is refused rather than buffered without bound. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

function apiError(method: string, path: string, status: number, reason: string, message: string, cause?: unknown): KubeApiError {
  const err = errors.STITCH_ERR_K8S_API([method, path, status === 0 ? message : `${status} ${reason}: ${message}`], {
    ...(cause === undefined ? {} : { cause }),
  });
  return Object.assign(err, { status, reason });
}

function statusError(method: string, path: string, httpStatus: number, body: string): KubeApiError {
  let s: Partial<KubeStatus> = {};
  try {
    s = JSON.parse(body) as KubeStatus;
  } catch {
    // not a Status body (a proxy's page); keep the HTTP status only
  }
  return apiError(
    method,
    path,
    s.code ?? httpStatus,
    s.reason ?? http.STATUS_CODES[httpStatus] ?? 'Error',
    s.message ?? body.slice(0, 200),
  );
}

interface Transport {
  server: URL;
  agent: http.Agent;
  headers(): Promise<Record<string, string>>;
  /** Called after a 401: re-read credentials (a rotated service-account token). */
  reload(): void;
}

/**
 * Loaded on first use: @kubernetes/client-node costs ~45 MiB of RSS, which a collector without a
 * k8sattributes processor (or with `auth_type: none`) should not pay.
 */
async function loadKubeConfigClass(): Promise<typeof KubeConfig> {
  return (await import('@kubernetes/client-node')).KubeConfig;
}

function kubeConfigFor(KubeConfigClass: typeof KubeConfig, options: KubeConnectionOptions): KubeConfig {
  const kc = new KubeConfigClass();
  if (options.auth_type === 'serviceAccount') {
    if (!process.env.KUBERNETES_SERVICE_HOST || !process.env.KUBERNETES_SERVICE_PORT) {
      throw errors.STITCH_ERR_K8S_CONFIG([
        'serviceAccount',
        'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (is the collector running in a pod?)',
      ]);
    }
    kc.loadFromCluster();
  } else if (options.kube_config_path) {
    kc.loadFromFile(options.kube_config_path);
  } else {
    kc.loadFromDefault();
  }
  if (options.context) kc.setCurrentContext(options.context);
  if (!kc.getCurrentCluster()) throw errors.STITCH_ERR_K8S_CONFIG([options.auth_type, 'the kubeconfig has no current cluster']);
  return kc;
}

async function createTransport(options: KubeConnectionOptions): Promise<Transport> {
  if (options.auth_type === 'none') {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const port = process.env.KUBERNETES_SERVICE_PORT;
    const url = options.endpoint ?? (host && port ? `https://${host.includes(':') ? `[${host}]` : host}:${port}` : undefined);
    if (!url) {
      throw errors.STITCH_ERR_K8S_CONFIG(['none', 'set endpoint, or KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT']);
    }
    const server = new URL(url);
    // As the Collector's auth_type none: no credentials and no server certificate check.
    const agent =
      server.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, rejectUnauthorized: false })
        : new http.Agent({ keepAlive: true });
    return { server, agent, headers: async () => ({}), reload: () => {} };
  }
  const KubeConfigClass = await loadKubeConfigClass();
  let kc: KubeConfig;
  try {
    kc = kubeConfigFor(KubeConfigClass, options);
  } catch (err) {
    if ((err as StitchError).code === 'STITCH_ERR_K8S_CONFIG') throw err;
    throw errors.STITCH_ERR_K8S_CONFIG([options.auth_type, (err as Error).message], { cause: err });
  }
  const server = new URL((kc.getCurrentCluster() as { server: string }).server);
  const tls: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const agent =
    server.protocol === 'https:'
      ? new https.Agent({
          keepAlive: true,
          ...(tls.ca ? { ca: tls.ca } : {}),
          ...(tls.cert ? { cert: tls.cert } : {}),
          ...(tls.key ? { key: tls.key } : {}),
          ...(tls.rejectUnauthorized !== undefined ? { rejectUnauthorized: tls.rejectUnauthorized } : {}),
          ...(tls.servername ? { servername: tls.servername } : {}),
        })
      : new http.Agent({ keepAlive: true });
  return {
    server,
    agent,
    async headers() {
      // Asks the KubeConfig each time: its token-file authenticator re-reads a rotated token.
      const opts: https.RequestOptions = { headers: {} };
      await kc.applyToHTTPSOptions(opts);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') out[k] = v;
      if (opts.auth) out.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
      return out;
    },
    reload() {
      try {
        kc = kubeConfigFor(KubeConfigClass, options);
      } catch {
        // keep the previous credentials; the next 401 tries again
      }
    },
  };
}

/** Builds a client from the processor's connection options; throws STITCH_ERR_K8S_CONFIG. */
export async function createKubeClient(options: KubeConnectionOptions): Promise<KubeClient> {
  const t = await createTransport(options);
  const lib = t.server.protocol === 'https:' ? https : http;
  const base = t.server.pathname.replace(/\/$/, '');

  const open = async (
    path: string,
    query: Record<string, string> | undefined,
    signal: AbortSignal | undefined,
  ): Promise<http.IncomingMessage> => {
    const headers = { accept: 'application/json', 'user-agent': 'stitch-k8sattributes', ...(await t.headers()) };
    const qs = query && Object.keys(query).length > 0 ? `?${new URLSearchParams(query).toString()}` : '';
    return new Promise((resolve, reject) => {
      const req = lib.request(
        {
          protocol: t.server.protocol,
          hostname: t.server.hostname.replace(/^\[|\]$/g, ''),
          port: t.server.port,
          path: `${base}${path}${qs}`,
          method: 'GET',
          headers,
          agent: t.agent,
          ...(signal ? { signal } : {}),
        },
        resolve,
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (err) => reject(apiError('GET', path, 0, 'NetworkError', err.message, err)));
      req.end();
    });
  };

  const readBody = (res: http.IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });

  const failed = async (path: string, res: http.IncomingMessage): Promise<never> => {
    const body = await readBody(res).catch(() => '');
    if (res.statusCode === 401) t.reload();
    throw statusError('GET', path, res.statusCode ?? 0, body);
  };

  return {
    server: t.server.toString(),
    async get<T>(path: string, query?: Record<string, string>, signal?: AbortSignal) {
      const res = await open(path, query, signal);
      if (res.statusCode === 404) {
        res.resume();
        return undefined;
      }
      if (res.statusCode !== 200) return failed(path, res);
      const body = await readBody(res).catch((err: Error) => {
        throw apiError('GET', path, 0, 'NetworkError', err.message, err);
      });
      try {
        return JSON.parse(body) as T;
      } catch (err) {
        throw apiError('GET', path, 200, 'InvalidBody', 'the answer is not JSON', err);
      }
    },
    async watch<T>(path: string, query: Record<string, string>, onEvent: (ev: WatchEvent<T>) => void, signal: AbortSignal) {
      const res = await open(path, { ...query, watch: '1' }, signal);
      if (res.statusCode !== 200) return failed(path, res);
      const idleMs = Number(query.timeoutSeconds ?? 300) * 1000 + IDLE_GRACE_MS;
      await new Promise<void>((resolve, reject) => {
        let pending = '';
        let settled = false;
        const finish = (err?: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(idle);
          res.destroy();
          if (err) reject(err);
          else resolve();
        };
        let idle = setTimeout(() => finish(apiError('GET', path, 0, 'Idle', `watch silent for ${idleMs} ms`)), idleMs);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          clearTimeout(idle);
          idle = setTimeout(() => finish(apiError('GET', path, 0, 'Idle', `watch silent for ${idleMs} ms`)), idleMs);
          pending += chunk;
          let nl = pending.indexOf('\n');
          while (nl >= 0 && !settled) {
            const line = pending.slice(0, nl);
            pending = pending.slice(nl + 1);
            nl = pending.indexOf('\n');
            if (line.trim() === '') continue;
            let ev: WatchEvent<T>;
            try {
              ev = JSON.parse(line) as WatchEvent<T>;
            } catch (err) {
              return finish(apiError('GET', path, 200, 'InvalidBody', 'a watch event is not JSON', err));
            }
            if (ev.type === 'ERROR') {
              const s = ev.object as KubeStatus;
              return finish(apiError('GET', path, s.code ?? 500, s.reason ?? 'Error', s.message ?? 'watch ERROR event'));
            }
            try {
              onEvent(ev);
            } catch (err) {
              return finish(err as Error);
            }
          }
          if (pending.length > MAX_LINE_BYTES)
            finish(apiError('GET', path, 200, 'TooLarge', `a watch event exceeds ${MAX_LINE_BYTES} bytes`));
        });
        res.on('end', () => finish());
        res.on('error', (err) => finish(apiError('GET', path, 0, 'NetworkError', err.message, err)));
        res.on('close', () => finish(signal.aborted ? undefined : apiError('GET', path, 0, 'NetworkError', 'connection closed')));
      });
    },
    close() {
      t.agent.destroy();
    },
  };
}
