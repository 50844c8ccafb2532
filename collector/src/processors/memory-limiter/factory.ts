/** Factory of the `memory_limiter` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type MemoryLimiterConfig, memoryLimiterConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('processor/memory_limiter', () => import('./processor.js'));

/** `memory_limiter`: refuses data, retryably, while the collector's memory is above the soft limit. */
export const memoryLimiterProcessorFactory: ProcessorFactory<MemoryLimiterConfig> = {
  type: 'memory_limiter',
  kind: 'processor',
  description: 'Refuses data (retryably, so senders back off) while memory use is above the soft limit',
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: memoryLimiterConfigSchema,
  exampleConfig: { check_interval: '1s', limit_mib: 4000, spike_limit_mib: 800 },
  load: impl.load,
  create: (settings, config, signal, next) => impl.get().createMemoryLimiterProcessor(settings, config, signal, next),
};
