/**
 * Snappy compression of remote-write bodies on worker threads (opt-in: STITCH_COMPRESS_WORKERS,
 * see `defaultCompressWorkers` for why it is off by default). The groundwork for moving the
 * whole send (compress + HTTP request) off the event loop.
 *
 * The encoded body's memory is transferred to the worker (no copy when the body owns its
 * ArrayBuffer, one copy otherwise); the worker compresses, copies the result into a fresh
 * ArrayBuffer (the binding's output is an external buffer, which cannot be transferred) and
 * transfers it back. Each call gets its own promise and the exporter's lanes await it before
 * sending, so per-lane ordering and the retry / error semantics are the exporter's as before.
 *
 * One process-wide pool, shared by every exporter (`acquireCompressPool` / `release`): the
 * workers are unref'd (they never keep the process alive) and terminated when the last user
 * releases the pool. When no worker can start, or they all died, bodies are compressed on the main
 * thread instead (`model/remote-write/snappy.ts`); the bodies a dying worker held are refused.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { compressBody } from '../../model/remote-write/snappy.js';

/** Compresses remote-write bodies (the body is detached: do not use it after the call). */
export interface CompressPool {
  compress(body: Uint8Array): Promise<Buffer>;
  /** Workers running (0 after a fallback to the main thread). */
  readonly workers: number;
  /** Drops one user; the last one terminates the workers. */
  release(): Promise<void>;
}

/** The worker's code (plain CommonJS, so it runs the same from src under vitest and from dist). */
function workerSource(snappyPath: string): string {
  return `
const { parentPort } = require('node:worker_threads');
const snappy = require(${JSON.stringify(snappyPath)});
parentPort.on('message', (m) => {
  try {
    const c = snappy.compressSync(new Uint8Array(m.buf, m.off, m.len));
    const out = new Uint8Array(c.length);
    out.set(c);
    // The input goes back too: this isolate allocates little and collects rarely, so memory
    // left here would pile up; the main thread's frequent GC frees it.
    parentPort.postMessage({ id: m.id, buf: out.buffer, input: m.buf }, [out.buffer, m.buf]);
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String((err && err.message) || err) });
  }
});`;
}

interface Job {
  resolve(b: Buffer): void;
  reject(err: unknown): void;
}

/**
 * Workers by default: none (compress with the binding's async API, on libuv's pool), unless
 * `STITCH_COMPRESS_WORKERS` asks for some. Measured on 2 cores (bench/README.md): a worker moved
 * no work off the event loop that mattered (postMessage of a body costs about what the async
 * call's submit + callback cost; the compression itself was already off the event loop), cost
 * ~5% more CPU per sample and ~200 MiB more RSS (the worker's malloc arena and rarely collected
 * isolate). It pays once the worker also sends the request (bench/README.md, what is left).
 */
export function defaultCompressWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const set = env.STITCH_COMPRESS_WORKERS;
  if (set !== undefined && /^\d+$/.test(set.trim())) return Math.min(Number(set), 8);
  return 0;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
  alive: boolean;
}

/** A pool of its own (tests); `terminate` stops the workers, later bodies go to the main thread. */
export interface OwnCompressPool {
  readonly pool: CompressPool;
  terminate(): Promise<void>;
}

let shared: { own: OwnCompressPool; users: number } | undefined;

/**
 * The process-wide pool (created on first use with `workers` threads, default
 * `defaultCompressWorkers()`; with none it compresses on the main thread); call `release()` once
 * per acquire.
 */
export function acquireCompressPool(workers = defaultCompressWorkers()): CompressPool {
  if (!shared) shared = { own: createCompressPool(workers), users: 0 };
  shared.users++;
  return shared.own.pool;
}

/** A pool with `size` workers, not shared (acquireCompressPool is what exporters use). */
export function createCompressPool(size: number): OwnCompressPool {
  const slots: Slot[] = [];
  let nextId = 0;
  let rr = 0;
  let snappyPath: string | undefined;
  try {
    snappyPath = createRequire(import.meta.url).resolve('snappy');
  } catch {
    snappyPath = undefined;
  }
  for (let i = 0; snappyPath && i < size; i++) {
    let worker: Worker;
    try {
      worker = new Worker(workerSource(snappyPath), { eval: true, name: 'stitch-snappy' });
    } catch {
      break; // workers unavailable: compress on the main thread
    }
    worker.unref();
    const slot: Slot = { worker, jobs: new Map(), alive: true };
    worker.on('message', (m: { id: number; buf?: ArrayBuffer; error?: string }) => {
      const job = slot.jobs.get(m.id);
      if (!job) return;
      slot.jobs.delete(m.id);
      if (m.buf) job.resolve(Buffer.from(m.buf));
      else job.reject(new Error(`snappy compress: ${m.error}`));
    });
    const down = () => {
      if (!slot.alive) return;
      slot.alive = false;
      // Bodies it had not answered were transferred to it: their sends fail (the exporter makes
      // that retryable); later bodies go to another worker or the main thread.
      for (const job of slot.jobs.values()) job.reject(new Error('snappy compress worker stopped'));
      slot.jobs.clear();
    };
    worker.on('error', down);
    worker.on('exit', down);
    slots.push(slot);
  }

  const pick = (): Slot | undefined => {
    for (let k = 0; k < slots.length; k++) {
      const s = slots[(rr + k) % slots.length] as Slot;
      if (s.alive) {
        rr = (rr + k + 1) % slots.length;
        return s;
      }
    }
    return undefined;
  };

  const pool: CompressPool = {
    get workers() {
      return slots.filter((s) => s.alive).length;
    },
    compress(body) {
      const slot = pick();
      if (!slot) return compressBody(body);
      const id = nextId++;
      // Transfer the body's memory when it owns its ArrayBuffer (the encoder allocates one per
      // request above the Buffer pool size); a pooled or shared one is copied first.
      const owns = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
      let buf: ArrayBuffer;
      if (owns) buf = body.buffer as ArrayBuffer;
      else {
        const copy = new Uint8Array(body.byteLength); // not body.slice(): on a Buffer that is a view
        copy.set(body);
        buf = copy.buffer;
      }
      return new Promise<Buffer>((resolve, reject) => {
        slot.jobs.set(id, { resolve, reject });
        slot.worker.postMessage({ id, buf, off: 0, len: body.byteLength }, [buf]);
      });
    },
    async release() {
      if (!shared || shared.own.pool !== pool) return;
      if (--shared.users > 0) return;
      const s = shared;
      shared = undefined;
      await s.own.terminate();
    },
  };
  return {
    pool,
    async terminate() {
      await Promise.all(
        slots.map(async (s) => {
          s.alive = false;
          for (const job of s.jobs.values()) job.reject(new Error('snappy compress worker stopped'));
          s.jobs.clear();
          await s.worker.terminate();
        }),
      );
    },
  };
}
