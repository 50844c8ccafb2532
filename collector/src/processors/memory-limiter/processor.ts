/**
 * The memory_limiter processor: passes data on while memory is below the soft limit and refuses
 * it, retryably, above it, so receivers answer 429 / RESOURCE_EXHAUSTED and senders back off
 * instead of the collector being OOM-killed.
 */
import type { Counter, Registry } from 'prom-client';
import type { Component, Consumer, CreateSettings, Host } from '../../component/component.js';
import { errors } from '../../errors.js';
import { countItems } from '../../model/count.js';
import type { Signal, SignalData } from '../../model/types.js';
import { sharedCounter } from '../../telemetry/self-metrics.js';
import type { MemoryLimiterConfig } from './config.js';
import { sharedLimiter, toMib } from './limiter.js';
import { type MemoryProbe, processProbe } from './memory.js';

/** Test hooks. */
export interface MemoryLimiterDeps {
  /** Replaces the process probe; processors given the same probe object share one limiter. */
  probe?: MemoryProbe;
}

function refusedCounter(registry: Registry): Counter<string> {
  const name = 'stitch_processor_refused_items_total';
  return sharedCounter(registry, name, 'Items a processor refused to its sender (retryably or not), by reason.', [
    'component_id',
    'signal',
    'reason',
  ]);
}

/** A running memory_limiter for one pipeline's signal. */
export type MemoryLimiterProcessor<S extends Signal> = Component & Consumer<SignalData[S]>;

/** Creates the memory_limiter processor for `signal`, in front of `next`. */
export function createMemoryLimiterProcessor<S extends Signal>(
  settings: CreateSettings,
  config: MemoryLimiterConfig,
  signal: S,
  next: Consumer<SignalData[S]>,
  deps: MemoryLimiterDeps = {},
): MemoryLimiterProcessor<S> {
  const { limiter, release } = sharedLimiter(settings.id, config, deps.probe, processProbe, settings.logger);
  const refused = refusedCounter(settings.telemetry.registry).labels({
    component_id: settings.id,
    signal,
    reason: 'memory_limit',
  });
  // A sender retrying sooner than the next measurement would only be refused again.
  const retryAfterMs = Math.max(1000, config.check_interval);
  let state: 'created' | 'started' | 'stopped' = 'created';

  settings.telemetry.observe(
    'stitch_processor_memory_limiter_used_bytes',
    'Live memory (V8 heap used + external) at the last check of the memory limiter.',
    () => limiter.usedBytes,
  );
  settings.telemetry.observe(
    'stitch_processor_memory_limiter_soft_limit_bytes',
    'The soft limit above which the memory limiter refuses data.',
    () => limiter.limits.softBytes,
  );

  return {
    capabilities: { mutatesData: false },
    async start(_host: Host) {
      if (state !== 'created') return;
      state = 'started';
      limiter.acquire();
    },
    async shutdown() {
      if (state === 'started') release();
      state = 'stopped';
    },
    consume(batch, context) {
      if (state === 'stopped') return Promise.reject(errors.STITCH_ERR_SHUTDOWN([settings.id]));
      if (limiter.mustRefuse) {
        refused.inc(countItems(signal, batch));
        return Promise.reject(
          errors.STITCH_ERR_MEMORY_LIMIT([toMib(limiter.usedBytes), toMib(limiter.limits.softBytes)], { retryAfterMs }),
        );
      }
      return next.consume(batch, context);
    },
  };
}
