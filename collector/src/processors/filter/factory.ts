/** Factory of the `filter` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { type FilterConfig, filterConfigSchema } from './config.js';
import { createFilterProcessor } from './processor.js';

/** `filter`: drops spans, span events, metrics, data points and log records matching OTTL conditions (contrib filterprocessor). */
export const filterProcessorFactory: ProcessorFactory<FilterConfig> = {
  type: 'filter',
  kind: 'processor',
  description: 'Drops spans, span events, metrics, data points and log records matching OTTL conditions (a common subset)',
  stability: { traces: 'alpha', metrics: 'alpha', logs: 'alpha' },
  configSchema: filterConfigSchema,
  create: (settings, config, signal, next) => createFilterProcessor(settings, config, signal, next),
};
