/**
 * The exporter's side of its sender thread (./sender-worker.ts), opt-in with
 * STITCH_EXPORTER_THREADS=1 (./exporter.ts `useSenderThread`): receiving and sending then use a
 * core each. It pays where receiving is the heavy half (OTLP/gRPC: ~0.7M → ~1.05M samples/s on
 * two cores), and costs ~70 MiB more RSS and a little CPU per sample (README.md, bench/README.md).
 *
 * A batch crosses as the bytes plus the receiver's scan, packed into one pooled buffer that
 * comes back with the answer (./crossing.ts): the worker neither decodes nor scans again. A batch a processor materialised
 * crosses as an OTLP protobuf request, which the worker decodes in full: it takes the path it
 * would have taken on this thread.
 *
 * The worker owns the sender's state (caches, series guard, HTTP agent). When it dies, the
 * pushes it held are refused as retryable and the next push starts a new one, whose guard starts
 * empty (a retried sample then reaches the backend twice, which Prometheus ignores).
 */
import { Worker } from 'node:worker_threads';
import { errors, StitchError } from '../../errors.js';
import type { ClientTlsMaterial } from '../../internal/http-server/tls.js';
import { encodeRequest } from '../../model/otlp-codec.js';
import { otlpMetricsSource } from '../../model/otlp-metrics/source.js';
import { remoteWriteSource } from '../../model/remote-write/source.js';
import type { MetricsData } from '../../model/types.js';
import type { PrometheusRemoteWriteConfig } from './config.js';
import { CrossingPool, packBytes, packScan } from './crossing.js';
import type { Sender, SenderEvents } from './sender.js';
import type { FromSender, SenderBatch, SenderWorkerInit, ToSender } from './sender-protocol.js';

/** A sender on a worker thread; `close` stops the thread (pushes still held are refused). */
export interface SenderWorker extends Sender {
  close(): Promise<void>;
  /** The thread now running, if any (for tests and diagnostics). */
  thread(): Worker | undefined;
}

/** What `startSenderWorker` needs. */
export interface SenderWorkerOptions {
  componentId: string;
  config: PrometheusRemoteWriteConfig;
  userAgent: string;
  tls: ClientTlsMaterial | undefined;
  events: SenderEvents;
  /** Told when the thread failed or exited on its own (the pushes it held were refused as retryable). */
  onFailure(err: Error): void;
}

/**
 * The worker's module: the compiled file next to this one. Under the test runner this module is
 * TypeScript source, and the thread (which the runner does not transform) runs the build in
 * dist/, which the suite's global setup compiles first.
 */
export function senderWorkerUrl(from: string = import.meta.url): URL {
  const url = new URL('./sender-worker.js', from);
  if (!from.endsWith('.ts')) return url;
  return new URL(url.href.replace('/collector/src/', '/collector/dist/'));
}

/**
 * The thread's flags when they must differ from the process's (undefined: inherit them): less
 * the test runner's `stitch-source` export condition, which points packages at TypeScript
 * sources the thread's plain Node cannot load. (V8 flags are process-wide: the thread has them.)
 */
export function threadExecArgv(argv: readonly string[] = process.execArgv): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if ((a === '--conditions' || a === '-C') && argv[i + 1] === 'stitch-source') i++;
    else if (a !== '--conditions=stitch-source') out.push(a);
  }
  return out.length === argv.length ? undefined : out;
}

/** The batch as it crosses (packed into a buffer of `pool`, transferred with it). */
function crossing(data: MetricsData, pool: CrossingPool): SenderBatch {
  const rw = remoteWriteSource(data);
  if (rw) return { kind: 'remote-write', ...packScan(rw.scan, pool) };
  const otlp = otlpMetricsSource(data);
  if (otlp) return { kind: 'otlp', ...packScan(otlp.scan, pool) };
  return { kind: 'otlp-protobuf', ...packBytes(encodeRequest('metrics', data, 'protobuf'), pool) };
}

interface Pending {
  resolve(): void;
  reject(err: unknown): void;
}

/** Starts the worker thread (it is running when this returns; its first push waits for it to load). */
export function startSenderWorker(options: SenderWorkerOptions): SenderWorker {
  const { componentId, events } = options;
  const init: SenderWorkerInit = {
    componentId,
    config: options.config,
    userAgent: options.userAgent,
    tls: options.tls,
  };
  const pool = new CrossingPool();
  let nextId = 1;
  let trackedSeries = 0;
  let closed = false;

  /** One thread and the pushes it holds (a thread that died refuses only its own). */
  interface Thread {
    worker: Worker;
    pending: Map<number, Pending>;
  }
  let current: Thread | undefined;

  const refuseAll = (t: Thread, err: Error) => {
    const refusal = errors.STITCH_ERR_EXPORT_RETRYABLE([componentId, `sender thread stopped: ${err.message}`], {
      cause: err,
      retryable: true,
    });
    for (const p of t.pending.values()) p.reject(refusal);
    t.pending.clear();
  };

  const onMessage = (t: Thread, m: FromSender) => {
    const e = m.events;
    if (e.unsupported > 0) events.dropped('unsupported_data', e.unsupported);
    if (e.invalid > 0) events.dropped('invalid_data', e.invalid);
    if (e.outOfOrder > 0) events.outOfOrder(e.outOfOrder);
    for (const [label, n] of Object.entries(e.exemplarLabelsDropped)) {
      events.exemplarLabelsDropped(label as keyof typeof e.exemplarLabelsDropped, n as number);
    }
    trackedSeries = m.trackedSeries;
    if (m.buffer) pool.give(m.buffer);
    const p = t.pending.get(m.id);
    if (!p) return;
    t.pending.delete(m.id);
    if (m.error === undefined) p.resolve();
    else {
      const x = m.error;
      const opts = x.retryAfterMs === undefined ? {} : { retryAfterMs: x.retryAfterMs };
      p.reject(new StitchError(x.code, x.kind, x.retryable, x.message, opts));
    }
  };

  const execArgv = threadExecArgv();
  const spawn = (): Thread => {
    const worker = new Worker(senderWorkerUrl(), {
      workerData: init,
      name: `stitch-${componentId}`,
      ...(execArgv ? { execArgv } : {}),
    });
    const t: Thread = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (m: FromSender) => onMessage(t, m));
    worker.on('error', (err) => {
      if (current === t) current = undefined;
      refuseAll(t, err);
      options.onFailure(err);
    });
    worker.on('exit', (code) => {
      if (current === t) current = undefined;
      const err = new Error(`exited with code ${code}`);
      if (!closed) options.onFailure(err);
      refuseAll(t, err);
    });
    return t;
  };
  current = spawn();

  return {
    get trackedSeries() {
      return trackedSeries;
    },
    push(data, abort) {
      if (closed) return Promise.reject(errors.STITCH_ERR_SHUTDOWN([componentId]));
      const t = (current ??= spawn());
      const w = t.worker;
      const id = nextId++;
      const batch = crossing(data, pool);
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => w.postMessage({ type: 'abort', id } satisfies ToSender);
        abort.addEventListener('abort', onAbort, { once: true });
        const done = () => abort.removeEventListener('abort', onAbort);
        t.pending.set(id, {
          resolve: () => {
            done();
            resolve();
          },
          reject: (err) => {
            done();
            reject(err);
          },
        });
        w.postMessage({ type: 'push', id, batch } satisfies ToSender, [batch.buffer]);
      });
    },
    async close() {
      closed = true;
      const t = current;
      current = undefined;
      if (!t) return;
      await t.worker.terminate();
      refuseAll(t, new Error('exporter shut down'));
    },
    thread() {
      return current?.worker;
    },
  };
}
