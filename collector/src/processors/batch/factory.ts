/** Factory of the `batch` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type BatchConfig, batchConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('processor/batch', () => import('./processor.js'));

/** `batch`: groups items into batches by count and time (the Collector's batchprocessor). */
export const batchProcessorFactory: ProcessorFactory<BatchConfig> = {
  type: 'batch',
  kind: 'processor',
  description: 'Batches spans, data points and log records by count and time; splits oversized batches',
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: batchConfigSchema,
  load: impl.load,
  create: (settings, config, signal, next) => impl.get().createBatchProcessor(settings, config, signal, next),
};
