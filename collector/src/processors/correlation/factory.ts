/** Factory of the `correlation` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { type CorrelationProcessorConfig, correlationProcessorConfigSchema } from './config.js';
import { createCorrelationProcessor } from './processor.js';

/** `correlation`: normalises request_id / rid / trace_id, joins logs and spans, feeds the correlation index. */
export const correlationProcessorFactory: ProcessorFactory<CorrelationProcessorConfig> = {
  type: 'correlation',
  kind: 'processor',
  description:
    'Normalises request_id / rid / trace_id aliases, lifts IDs from JSON log bodies, joins logs and spans, feeds the correlation index',
  stability: { traces: 'alpha', metrics: 'alpha', logs: 'alpha' },
  configSchema: correlationProcessorConfigSchema as never,
  create: (settings, config, signal, next) => createCorrelationProcessor(settings, config, signal, next),
};
