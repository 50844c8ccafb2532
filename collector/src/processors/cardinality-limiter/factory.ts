/** Factory of the `cardinality_limiter` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type CardinalityLimiterConfig, cardinalityLimiterConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('processor/cardinality_limiter', () => import('./processor.js'));

/** `cardinality_limiter`: per-metric series and per-label value budgets; over budget, fold into otel.metric.overflow or drop. */
export const cardinalityLimiterProcessorFactory: ProcessorFactory<CardinalityLimiterConfig> = {
  type: 'cardinality_limiter',
  kind: 'processor',
  description:
    'Stitch-only: caps series per metric and values per label; folds new series into otel.metric.overflow or drops them',
  stability: { metrics: 'alpha' },
  configSchema: cardinalityLimiterConfigSchema,
  load: impl.load,
  create: (settings, config, signal, next) => impl.get().createCardinalityLimiterProcessor(settings, config, signal, next),
};
