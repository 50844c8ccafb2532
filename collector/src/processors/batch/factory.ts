/** Factory of the `batch` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { type BatchConfig, batchConfigSchema } from './config.js';
import { createBatchProcessor } from './processor.js';

/** `batch`: groups items into batches by count and time (the Collector's batchprocessor). */
export const batchProcessorFactory: ProcessorFactory<BatchConfig> = {
  type: 'batch',
  kind: 'processor',
  description: 'Batches spans, data points and log records by count and time; splits oversized batches',
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: batchConfigSchema,
  create: (settings, config, signal, next) => createBatchProcessor(settings, config, signal, next),
};
