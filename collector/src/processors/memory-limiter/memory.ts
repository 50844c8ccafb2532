/**
 * How the memory limiter measures the process and the machine. Injectable so tests can drive
 * the limiter through any memory curve.
 */
import { totalmem } from 'node:os';

/** Sources the limiter reads; the defaults read the real process. */
export interface MemoryProbe {
  /** Bytes the process holds now (see `liveBytes`). */
  used(): number;
  /** Bytes of memory available to the process in total (for the percentage limits). */
  total(): number;
  /** Forces a full garbage collection, when the runtime allows it. */
  gc?: (() => void) | undefined;
}

/**
 * Live memory: the V8 heap in use plus memory held outside it by Buffers and ArrayBuffers
 * (`external`, which includes `arrayBuffers`). This is Node's counterpart of the Go runtime's
 * heap `Alloc` that the Collector measures. RSS is not used: it keeps pages the allocators have
 * freed but not returned to the OS, so after a burst it would stay above the limit and keep
 * refusing data long after that data was gone. Set `limit_mib` below the container limit with
 * headroom for that difference (code, stacks, allocator slack: typically 20–30%).
 */
export function liveBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/**
 * The memory the process may use: the cgroup (v1 or v2) limit when the container has one
 * (libuv reads it for `process.constrainedMemory()`), else the machine's total.
 */
export function totalBytes(): number {
  const machine = totalmem();
  const constrained = process.constrainedMemory();
  return constrained > 0 && constrained < machine ? constrained : machine;
}

/** A forced GC, available when node runs with `--expose-gc`. */
export function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  return typeof gc === 'function' ? () => gc() : undefined;
}

/** The probe of the real process. */
export function processProbe(): MemoryProbe {
  return { used: liveBytes, total: totalBytes, gc: exposedGc() };
}
