/**
 * A scriptable fault injector in front of a real backend (Prometheus, the strict Loki receiver,
 * an OTLP sink): every request is decoded into the item IDs it carries, then answered with a
 * scripted fault or forwarded upstream. It counts, per ID, how often the upstream accepted it,
 * which gives the scenarios their `delivered` and `duplicates` figures independently of what the
 * collector reports about itself.
 *
 * Faults: a status (500, 429 + Retry-After, 400), a delay before forwarding (a backend slower
 * than the client's timeout: the request is still processed after the client gave up, as a real
 * backend does once it has the body), a connection reset, and `down()` / `up()`: the port stops
 * listening (connection refused), then listens again on the same port.
 */
import http from 'node:http';
import type { Socket } from 'node:net';

/** One scripted fault. */
export type Fault =
  | { status: number; retryAfter?: string; body?: string }
  | { delayMs: number }
  | { reset: true }
  | { forward: true };

/** What happened to one request. */
export interface Attempt {
  /** ms since the proxy started. */
  at: number;
  ids: string[];
  /** The status answered (or `reset`), and whether the client was still there to read it. */
  outcome: number | 'reset';
  clientGone: boolean;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Base URL of the backend, e.g. `http://127.0.0.1:9090`; the request path is appended. */
  upstream: string;
  /** Item IDs carried by a request body (after the proxy read it whole). */
  decode: (body: Buffer) => string[] | Promise<string[]>;
  /** Start with the port closed (the backend is down from the first request). */
  startDown?: boolean;
}

/** The running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly attempts: Attempt[];
  /** How many times the upstream accepted (2xx) each ID. */
  readonly delivered: Map<string, number>;
  /** Faults for the next requests, in order; then `always` (if set), else forward. */
  script(...faults: Fault[]): void;
  /** A fault applied to every request once the script is used up; `undefined` = forward. */
  always(fault: Fault | undefined): void;
  /** Stops listening and drops open connections: connection refused until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Resolves once every ID in `ids` was delivered at least once; rejects after `timeoutMs`. */
  waitForDelivered(ids: Iterable<string>, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/** Starts the proxy on a free loopback port (listening unless `startDown`). */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const t0 = Date.now();
  const attempts: Attempt[] = [];
  const delivered = new Map<string, number>();
  const queue: Fault[] = [];
  let persistent: Fault | undefined;
  const sockets = new Set<Socket>();

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    let ids: string[] = [];
    try {
      ids = await options.decode(body);
    } catch {
      ids = [];
    }
    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true;
    });
    const fault: Fault = queue.shift() ?? persistent ?? { forward: true };
    const attempt: Attempt = { at: Date.now() - t0, ids, outcome: 0, clientGone: false };
    attempts.push(attempt);
    if ('reset' in fault) {
      attempt.outcome = 'reset';
      req.socket.destroy();
      return;
    }
    if ('status' in fault) {
      attempt.outcome = fault.status;
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      res.writeHead(fault.status, headers).end(fault.body ?? `injected ${fault.status}`);
      return;
    }
    if ('delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (!HOP_HEADERS.has(k) && typeof v === 'string') headers[k] = v;
    }
    try {
      const up = await fetch(options.upstream + (req.url ?? '/'), {
        method: req.method,
        headers,
        body,
        signal: AbortSignal.timeout(10_000),
      });
      const text = Buffer.from(await up.arrayBuffer());
      attempt.outcome = up.status;
      if (up.status >= 200 && up.status < 300) for (const id of ids) delivered.set(id, (delivered.get(id) ?? 0) + 1);
      attempt.clientGone = clientGone;
      if (!clientGone && !res.destroyed) {
        const out: Record<string, string> = {};
        const ct = up.headers.get('content-type');
        if (ct) out['content-type'] = ct;
        const ra = up.headers.get('retry-after');
        if (ra) out['retry-after'] = ra;
        res.writeHead(up.status, out).end(text);
      }
    } catch (err) {
      attempt.outcome = 502;
      if (!res.destroyed) res.writeHead(502).end(`upstream: ${(err as Error).message}`);
    }
  });
  server.keepAliveTimeout = 1000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });

  // Take a port, then close it again when starting down: the collector gets "connection refused".
  const port = await listen(0);
  if (options.startDown) await stop();

  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    delivered,
    script: (...faults) => {
      queue.push(...faults);
    },
    always: (fault) => {
      persistent = fault;
    },
    down: stop,
    async up() {
      if (!server.listening) await listen(port);
    },
    async waitForDelivered(ids, timeoutMs = 30_000) {
      const want = [...ids];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const missing = want.filter((id) => !delivered.has(id));
        if (missing.length === 0) return;
        if (Date.now() > deadline) {
          throw new Error(`${missing.length} of ${want.length} IDs not delivered (first: ${missing.slice(0, 5).join(', ')})`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: stop,
  };
}
