/** Factory of the `attributes` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type AttributesConfig, attributesConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('processor/attributes', () => import('./processor.js'));

/** `attributes`: edits span, log record and data point attributes, with include/exclude (contrib attributesprocessor). */
export const attributesProcessorFactory: ProcessorFactory<AttributesConfig> = {
  type: 'attributes',
  kind: 'processor',
  description: 'Applies insert/update/upsert/delete/hash/extract/convert actions to span, log and data point attributes',
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: attributesConfigSchema,
  exampleConfig: { actions: [{ key: 'db.statement', action: 'delete' }] },
  load: impl.load,
  create: (settings, config, signal, next) => impl.get().createAttributesProcessor(settings, config, signal, next),
};
