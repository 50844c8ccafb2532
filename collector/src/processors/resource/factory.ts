/** Factory of the `resource` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type ResourceConfig, resourceConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('processor/resource', () => import('./processor.js'));

/** `resource`: inserts, updates, deletes, hashes, extracts or converts resource attributes (contrib resourceprocessor). */
export const resourceProcessorFactory: ProcessorFactory<ResourceConfig> = {
  type: 'resource',
  kind: 'processor',
  description: 'Applies insert/update/upsert/delete/hash/extract/convert actions to resource attributes',
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: resourceConfigSchema,
  exampleConfig: { attributes: [{ key: 'deployment.environment', value: 'production', action: 'upsert' }] },
  load: impl.load,
  create: (settings, config, signal, next) => impl.get().createResourceProcessor(settings, config, signal, next),
};
