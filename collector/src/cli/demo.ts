/**
 * `stitch demo` (what `npm start` runs): the collector in this process on the embedded default
 * (collector/config/default.yaml, plus the remote-write / Loki overlays when
 * PROMETHEUS_REMOTE_WRITE_URL / LOKI_URL are set), the demo service and the demo operator from
 * examples/ as child processes exporting OTLP to it, and a traffic generator with a one-line
 * progress display. Prints the local view's URL and sample request IDs. Ctrl-C (SIGINT) or SIGTERM
 * stops the traffic, then the children (they flush their telemetry), then the collector, and
 * exits 0; a second signal kills everything at once (exit 130).
 *
 * The examples live in the repository (they are not part of the published package): the demo is
 * meant to be run from a clone, after `npm ci`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatProblem, loadConfig } from '../config/index.js';
import { StitchError } from '../errors.js';
import { FactoryRegistry } from '../registry.js';
import { type RunningCollector, startCollector } from '../service/collector.js';
import { createLogger } from '../telemetry/logger.js';

/** Wrong flags for `stitch demo`. */
export class DemoUsageError extends Error {}

const CONFIG_DIR = fileURLToPath(new URL('../../config/', import.meta.url));
const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/', import.meta.url));
const DEFAULT_CONFIG = `${CONFIG_DIR}default.yaml`;
/** An in-memory overlay: the demo shows its own progress line, so the debug exporter stays quiet. */
const DEMO_OVERLAY = '(stitch demo)';
const DEMO_OVERLAY_YAML = `exporters:
  debug:
    sampling_initial: 0
    sampling_thereafter: 0
`;

/** What each listener of the default config is, for messages (keyed by its environment variable). */
const LISTENERS: Record<string, string> = {
  STITCH_OTLP_GRPC_ENDPOINT: 'OTLP gRPC receiver',
  STITCH_OTLP_HTTP_ENDPOINT: 'OTLP HTTP receiver',
  STITCH_HEALTH_ENDPOINT: 'health_check',
  STITCH_LOCAL_VIEW_ENDPOINT: 'local view',
  STITCH_CORRELATION_ENDPOINT: 'correlation API',
  STITCH_PROMETHEUS_ENDPOINT: 'Prometheus /metrics',
  STITCH_SELF_METRICS_PORT: "collector's own metrics",
};

const HELP = `Usage: stitch demo [--rate N]

Runs the collector on the embedded default (collector/config/default.yaml), a demo fastify
service and a demo operator (examples/), and traffic against the service. Open the printed URL
of the local view and search a request ID. Ctrl-C stops everything.

  --rate N   requests per second of generated traffic (default 5; 0 for none)

Every listener's address comes from an environment variable (see default.yaml), e.g.
STITCH_LOCAL_VIEW_ENDPOINT=127.0.0.1:13191. PROMETHEUS_REMOTE_WRITE_URL and LOKI_URL add those
backends.
`;

/** `host:port` of each listener of the default config, resolved from the environment. */
export function listenerAddresses(configText: string, env: NodeJS.ProcessEnv): { variable: string; address: string }[] {
  const out: { variable: string; address: string }[] = [];
  for (const m of configText.matchAll(/\$\{env:(STITCH_[A-Z0-9_]+):-([^}]*)\}/g)) {
    const variable = m[1] as string;
    const value = env[variable] || (m[2] as string);
    // The self-metrics option is a bare port on 127.0.0.1.
    out.push({ variable, address: /^\d+$/.test(value) ? `127.0.0.1:${value}` : value });
  }
  return out;
}

function hostPortOf(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  return { host: host === '' ? '0.0.0.0' : host, port: Number(address.slice(i + 1)) };
}

/** An address a local client can connect to (a wildcard host becomes loopback). */
function clientAddress(address: string): string {
  const { host, port } = hostPortOf(address);
  return `${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
}

async function isFree(address: string): Promise<boolean> {
  const { host, port } = hostPortOf(address);
  if (port === 0) return true;
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** One line per taken port, naming it and the variable that moves it. */
async function busyPorts(listeners: { variable: string; address: string }[]): Promise<string[]> {
  const problems: string[] = [];
  for (const l of listeners) {
    if (!(await isFree(l.address))) {
      const what = LISTENERS[l.variable] ?? l.variable;
      const { port } = hostPortOf(l.address);
      problems.push(`port ${port} (${what}, ${l.address}) is in use: stop what uses it, or set ${l.variable} to another address`);
    }
  }
  return problems;
}

/** A child process of the demo, with the tail of its stderr for error messages. */
interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<number | string>;
  stderrTail(): string;
}

function startChild(name: string, file: string, env: NodeJS.ProcessEnv): Child {
  // stdout (the programs' pino lines) is not shown: the same lines reach the local view over OTLP.
  // Its own process group: Ctrl-C on a terminal reaches only the demo, which then stops the
  // children in order (traffic first, collector last). If the demo dies, the children see the IPC
  // channel close and exit (examples/lib/child.ts).
  // The examples are TypeScript run directly: type stripping is on by default from Node 22.18 / 23.6;
  // the flag turns it on for 22.15–22.17 (the oldest Node we support) and is a no-op after.
  const proc = spawn(process.execPath, ['--experimental-strip-types', file], {
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    detached: true,
  });
  let tail = '';
  proc.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { name, proc, exited, stderrTail: () => tail };
}

function waitForMessage(child: Child, type: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${child.name} did not start within ${timeoutMs / 1000}s`)), timeoutMs);
    const onMessage = (m: unknown) => {
      if ((m as { type?: string })?.type === type) done(undefined, m as Record<string, unknown>);
    };
    const onExit = (code: number | null) =>
      done(new Error(`${child.name} exited (${code}) while starting:\n${child.stderrTail()}`));
    const done = (err?: Error, m?: Record<string, unknown>) => {
      clearTimeout(timer);
      child.proc.off('message', onMessage);
      child.proc.off('exit', onExit);
      if (err) reject(err);
      else resolve(m as Record<string, unknown>);
    };
    child.proc.on('message', onMessage);
    child.proc.once('exit', onExit);
  });
}

/** Stops a child: SIGTERM, then SIGKILL after `timeoutMs`. */
async function stopChild(child: Child, timeoutMs = 8000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
  await child.exited;
  clearTimeout(timer);
}

/** A weighted request the generator sends. */
interface Shot {
  weight: number;
  method: 'GET' | 'POST';
  path: () => string;
}

const SEARCHES = ['kettle', 'pour over', 'ethiopia', 'mug 350ml', '<b>decaf</b>', 'grinder burr'];
const PRODUCTS = ['kettle', 'teapot', 'mug', 'grinder', 'scale', 'espresso-machine'];
const rnd = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)] as T;
const SHOTS: Shot[] = [
  { weight: 30, method: 'GET', path: () => '/products' },
  { weight: 25, method: 'GET', path: () => `/products/${rnd(PRODUCTS)}` },
  { weight: 15, method: 'POST', path: () => `/cart/${Math.floor(Math.random() * 50)}/items` },
  { weight: 12, method: 'POST', path: () => '/checkout' },
  { weight: 18, method: 'GET', path: () => `/search?q=${encodeURIComponent(rnd(SEARCHES))}` },
];
const TOTAL_WEIGHT = SHOTS.reduce((n, s) => n + s.weight, 0);

function pickShot(): Shot {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const s of SHOTS) if ((r -= s.weight) < 0) return s;
  return SHOTS[0] as Shot;
}

/** Traffic at `rate` requests per second against `baseUrl`, counting outcomes. */
class Traffic {
  sent = 0;
  errors = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly samples = new Set<'ok' | 'error' | 'slow'>();

  constructor(
    private readonly baseUrl: string,
    private readonly rate: number,
    private readonly onSample: (line: string) => void,
  ) {}

  start(): void {
    if (this.rate <= 0) return;
    this.timer = setInterval(() => this.fire(), 1000 / this.rate);
  }

  private fire(): void {
    if (this.inFlight >= 64) return; // the service is stuck: do not pile up
    const shot = pickShot();
    const path = shot.path();
    const started = performance.now();
    this.inFlight++;
    fetch(`${this.baseUrl}${path}`, {
      method: shot.method,
      signal: AbortSignal.timeout(10_000),
      ...(shot.method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
    })
      .then(async (res) => {
        await res.arrayBuffer();
        const ms = performance.now() - started;
        this.sent++;
        if (res.status >= 500) this.errors++;
        const id = res.headers.get('x-request-id');
        if (id)
          this.maybeSample(id, `${shot.method} ${path.split('?')[0]} → ${res.status} in ${Math.round(ms)} ms`, res.status, ms);
      })
      .catch(() => {
        this.sent++;
        this.errors++;
      })
      .finally(() => {
        this.inFlight--;
      });
  }

  /** Prints one request ID of each kind (fine, failed, slow) once, to search in the view. */
  private maybeSample(id: string, what: string, status: number, ms: number): void {
    const kind = status >= 500 ? 'error' : ms >= 800 ? 'slow' : status < 400 && this.sent >= 3 ? 'ok' : undefined;
    if (kind === undefined || this.samples.has(kind)) return;
    this.samples.add(kind);
    this.onSample(`sample request_id: ${id}  ${what}${kind === 'slow' ? ' (slow)' : ''}`);
  }

  /** Stops sending; waits (bounded) for requests in flight. */
  async stop(timeoutMs = 3000): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `stitch demo`; resolves with the exit code once it stopped. */
export async function demoCommand(argv: string[]): Promise<number> {
  let values: { rate?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { rate: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    throw new DemoUsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const rate = values.rate === undefined ? 5 : Number(values.rate);
  if (!Number.isFinite(rate) || rate < 0 || rate > 1000) {
    throw new DemoUsageError(`--rate: expected requests per second between 0 and 1000, got ${JSON.stringify(values.rate)}`);
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const fail = (line: string) => process.stderr.write(`stitch demo: ${line}\n`);

  for (const f of ['demo-service.ts', 'demo-operator.ts']) {
    if (!existsSync(`${EXAMPLES_DIR}${f}`)) {
      fail(`${EXAMPLES_DIR}${f} is missing: run the demo from a clone of the Stitch repository (npm ci && npm start)`);
      return 1;
    }
  }

  // --- the config: the default, the backend overlays the environment asks for, quiet debug
  const files = [DEFAULT_CONFIG];
  if (process.env.PROMETHEUS_REMOTE_WRITE_URL) files.push(`${CONFIG_DIR}remote-write.yaml`);
  if (process.env.LOKI_URL) files.push(`${CONFIG_DIR}loki.yaml`);
  files.push(DEMO_OVERLAY);
  const result = loadConfig({
    files,
    env: process.env,
    registry: new FactoryRegistry(),
    readFile: (f) => (f === DEMO_OVERLAY ? DEMO_OVERLAY_YAML : readFileSync(f, 'utf8')),
  });
  if (!result.config) {
    for (const p of result.problems) fail(formatProblem(p));
    return 1;
  }
  const listeners = listenerAddresses(readFileSync(DEFAULT_CONFIG, 'utf8'), process.env);
  const busy = await busyPorts(listeners);
  if (busy.length > 0) {
    for (const line of busy) fail(line);
    fail('e.g. STITCH_LOCAL_VIEW_ENDPOINT=127.0.0.1:13191 npm start');
    return 1;
  }
  const address = (variable: string) => clientAddress(listeners.find((l) => l.variable === variable)?.address ?? '');

  // --- start: collector first (the children export to it), then the children, then traffic
  let collector: RunningCollector;
  try {
    collector = await startCollector({ config: result.config, logger: createLogger('warn') });
  } catch (err) {
    fail(err instanceof StitchError ? err.toString() : String((err as Error).stack ?? err));
    return 1;
  }
  const otlpUrl = `http://${address('STITCH_OTLP_HTTP_ENDPOINT')}`;
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
    // Short export intervals, so a request shows up in the view within a couple of seconds.
    OTEL_METRIC_EXPORT_INTERVAL: '5000',
    OTEL_BSP_SCHEDULE_DELAY: '500',
    OTEL_BLRP_SCHEDULE_DELAY: '500',
    PORT: '0',
  };
  for (const k of [
    'OTEL_SERVICE_NAME',
    'OTEL_RESOURCE_ATTRIBUTES',
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_EXPORTER_OTLP_LOGS_ENDPOINT',
    'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
  ]) {
    delete childEnv[k];
  }
  const service = startChild('demo service', `${EXAMPLES_DIR}demo-service.ts`, childEnv);
  const operator = startChild('demo operator', `${EXAMPLES_DIR}demo-operator.ts`, childEnv);
  const children = [service, operator];
  let servicePort: number;
  try {
    const [listening] = await Promise.all([
      waitForMessage(service, 'listening', 30_000),
      waitForMessage(operator, 'started', 30_000),
    ]);
    servicePort = Number(listening?.port);
  } catch (err) {
    fail((err as Error).message);
    await Promise.all(children.map((c) => stopChild(c, 2000)));
    await collector.shutdown(5000);
    return 1;
  }
  const opStats = { reconciles: 0, failed: 0 };
  operator.proc.on('message', (m: { type?: string; reconciles?: number; failed?: number }) => {
    if (m?.type === 'stats') Object.assign(opStats, { reconciles: m.reconciles ?? 0, failed: m.failed ?? 0 });
  });

  const tty = process.stdout.isTTY === true;
  const clearLine = () => {
    if (tty) process.stdout.write('\r\x1b[2K');
  };
  const print = (line: string) => {
    clearLine();
    out(line);
  };
  const viewUrl = `http://${address('STITCH_LOCAL_VIEW_ENDPOINT')}/`;
  out('Stitch demo');
  out(`  local view     ${viewUrl}`);
  out(`  OTLP in        ${otlpUrl} (HTTP), ${address('STITCH_OTLP_GRPC_ENDPOINT')} (gRPC)`);
  out(`  /metrics       http://${address('STITCH_PROMETHEUS_ENDPOINT')}/metrics`);
  out(`  correlations   http://${address('STITCH_CORRELATION_ENDPOINT')}/api/v1/correlations/{id}`);
  if (process.env.PROMETHEUS_REMOTE_WRITE_URL) out(`  remote-write   ${process.env.PROMETHEUS_REMOTE_WRITE_URL}`);
  if (process.env.LOKI_URL) out(`  Loki           ${process.env.LOKI_URL}`);
  out(`  demo service   shop-api on http://127.0.0.1:${servicePort} (pid ${service.proc.pid})`);
  out(`  demo operator  widget-operator (pid ${operator.proc.pid})`);
  out(`Open ${viewUrl} and click a slow request or a failed reconcile, or search one of the sample IDs below.`);
  out('Press Ctrl-C to stop.');

  const traffic = new Traffic(`http://127.0.0.1:${servicePort}`, rate, print);
  traffic.start();
  const startedAt = Date.now();
  const progress = () =>
    `  traffic: ${traffic.sent} requests (${traffic.errors} 5xx) · operator: ${opStats.reconciles} reconciles (${opStats.failed} failed) · ${Math.round((Date.now() - startedAt) / 1000)}s`;
  // On a terminal one line updates in place; in a log (CI, a pipe) a line every 10 s.
  const ticker = setInterval(
    () => {
      if (tty) process.stdout.write(`\r\x1b[2K${progress()}`);
      else out(progress());
    },
    tty ? 500 : 10_000,
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (code: number, why?: string) => {
      if (stopping) return;
      stopping = true;
      clearInterval(ticker);
      clearLine();
      if (why) fail(why);
      out('stopping: traffic, demo service and operator, then the collector…');
      await traffic.stop();
      await Promise.all(children.map((c) => stopChild(c)));
      await collector.shutdown(5000);
      out(`stopped after ${traffic.sent} requests.`);
      resolve(code);
    };
    let signals = 0;
    const onSignal = () => {
      signals++;
      if (signals > 1) {
        for (const c of children) c.proc.kill('SIGKILL');
        process.exit(130);
      }
      void stop(0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    for (const c of children) {
      c.proc.once('exit', (code, signal) => {
        if (!stopping) void stop(1, `${c.name} exited unexpectedly (${code ?? signal}):\n${c.stderrTail()}`);
      });
    }
  });
}
