/** Factory of the `filter` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type FilterConfig, filterConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('processor/filter', () => import('./processor.js'));

/** `filter`: drops spans, span events, metrics, data points and log records matching OTTL conditions (contrib filterprocessor). */
export const filterProcessorFactory: ProcessorFactory<FilterConfig> = {
  type: 'filter',
  kind: 'processor',
  description: 'Drops spans, span events, metrics, data points and log records matching OTTL conditions (a common subset)',
  stability: { traces: 'alpha', metrics: 'alpha', logs: 'alpha' },
  configSchema: filterConfigSchema,
  load: impl.load,
  create: (settings, config, signal, next) => impl.get().createFilterProcessor(settings, config, signal, next),
};
