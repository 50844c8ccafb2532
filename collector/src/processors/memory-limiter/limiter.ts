/**
 * The memory check shared by every pipeline's instance of one memory_limiter ID (the Collector
 * keeps one per component ID too): one timer, one decision, whatever the number of pipelines.
 */
import type { Logger } from 'pino';
import type { MemoryLimiterConfig } from './config.js';
import type { MemoryProbe } from './memory.js';

const MIB = 1024 * 1024;

/** The limits in bytes. */
export interface Limits {
  hardBytes: number;
  softBytes: number;
}

/** The hard and soft limits for a config; percentages are of `totalBytes`. */
export function computeLimits(config: MemoryLimiterConfig, totalBytes: () => number): Limits {
  let hard: number;
  let spike: number;
  if (config.limit_mib > 0) {
    hard = config.limit_mib * MIB;
    spike = config.spike_limit_mib * MIB;
  } else {
    const total = totalBytes();
    hard = Math.floor((config.limit_percentage * total) / 100);
    spike = Math.floor((config.spike_limit_percentage * total) / 100);
  }
  if (spike === 0) spike = Math.floor(hard / 5); // the Collector's default: 20% of the limit
  return { hardBytes: hard, softBytes: hard - spike };
}

/** Measures on a timer and says whether data must be refused. */
export class MemoryLimiter {
  readonly limits: Limits;
  /** True while the last measurement was at or above the soft limit. */
  mustRefuse = false;
  /** The last measurement, in bytes. */
  usedBytes = 0;
  private refs = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastGcAt: number;

  constructor(
    private readonly config: MemoryLimiterConfig,
    private readonly probe: MemoryProbe,
    private readonly logger: Logger,
  ) {
    this.limits = computeLimits(config, probe.total);
    this.lastGcAt = Date.now();
    if (config.limit_mib > 0 && config.limit_percentage > 0) {
      logger.info('both limit_mib and limit_percentage are set; limit_mib applies (as in the Collector)');
    }
    logger.info(
      {
        limit_mib: Math.round(this.limits.hardBytes / MIB),
        soft_limit_mib: Math.round(this.limits.softBytes / MIB),
        check_interval_ms: config.check_interval,
        forced_gc: probe.gc ? 'available' : 'unavailable (run node with --expose-gc to enable)',
      },
      'memory limiter configured',
    );
  }

  /** Starts the checks for one more user; the first user starts the timer. */
  acquire(): void {
    if (++this.refs > 1) return;
    this.check(); // decide before the first interval passes
    this.timer = setInterval(() => this.check(), this.config.check_interval);
    this.timer.unref();
  }

  /** Releases one user; the last one stops the timer. Returns true when no user is left. */
  release(): boolean {
    if (this.refs === 0) return true;
    if (--this.refs > 0) return false;
    clearInterval(this.timer);
    this.timer = undefined;
    this.mustRefuse = false;
    return true;
  }

  /** One measurement and decision (the Collector's CheckMemLimits). */
  check(): void {
    const { hardBytes, softBytes } = this.limits;
    let used = this.probe.used();
    if (used < softBytes) {
      if (this.mustRefuse) this.logger.info({ used_mib: toMib(used) }, 'memory usage back within limits; accepting data again');
      this.mustRefuse = false;
      this.usedBytes = used;
      return;
    }
    // Above the soft limit: a forced GC (when the runtime exposes one, and not too often) may
    // bring usage back under it before we start refusing.
    const minGap =
      used >= hardBytes ? this.config.min_gc_interval_when_hard_limited : this.config.min_gc_interval_when_soft_limited;
    if (this.probe.gc && Date.now() - this.lastGcAt >= minGap) {
      this.logger.info({ used_mib: toMib(used), hard: used >= hardBytes }, 'memory usage above the limit; forcing a GC');
      this.probe.gc();
      this.lastGcAt = Date.now();
      used = this.probe.used();
    }
    const above = used >= softBytes;
    if (above && !this.mustRefuse) {
      this.logger.warn(
        { used_mib: toMib(used), soft_limit_mib: toMib(softBytes) },
        'memory usage above the soft limit; refusing data',
      );
    } else if (!above && this.mustRefuse) {
      this.logger.info({ used_mib: toMib(used) }, 'memory usage back within limits; accepting data again');
    }
    this.mustRefuse = above;
    this.usedBytes = used;
  }
}

/** Bytes to whole MiB. */
export function toMib(bytes: number): number {
  return Math.round(bytes / MIB);
}

interface Shared {
  limiter: MemoryLimiter;
  config: MemoryLimiterConfig;
  probe: MemoryProbe | undefined;
}

const shared = new Map<string, Shared>();

/**
 * The limiter for component `id`, shared by every pipeline that lists it. A different config (a
 * reload) or probe gets a new limiter; the entry goes away when its last user releases it.
 */
export function sharedLimiter(
  id: string,
  config: MemoryLimiterConfig,
  probe: MemoryProbe | undefined,
  makeProbe: () => MemoryProbe,
  logger: Logger,
): { limiter: MemoryLimiter; release(): void } {
  let entry = shared.get(id);
  if (!entry || entry.probe !== probe || JSON.stringify(entry.config) !== JSON.stringify(config)) {
    entry = { limiter: new MemoryLimiter(config, probe ?? makeProbe(), logger), config, probe };
    shared.set(id, entry);
  }
  const e = entry;
  return {
    limiter: e.limiter,
    release() {
      if (e.limiter.release() && shared.get(id) === e) shared.delete(id);
    },
  };
}
