/** Factory of the `correlation` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type CorrelationProcessorConfig, correlationProcessorConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('processor/correlation', () => import('./processor.js'));

/** `correlation`: normalises request_id / rid / trace_id, joins logs and spans, feeds the correlation index. */
export const correlationProcessorFactory: ProcessorFactory<CorrelationProcessorConfig> = {
  type: 'correlation',
  kind: 'processor',
  description:
    'Normalises request_id / rid / trace_id aliases, lifts IDs from JSON log bodies, joins logs and spans, feeds the correlation index',
  stability: { traces: 'alpha', metrics: 'alpha', logs: 'alpha' },
  configSchema: correlationProcessorConfigSchema as never,
  load: impl.load,
  create: (settings, config, signal, next) => impl.get().createCorrelationProcessor(settings, config, signal, next),
};
