/** Factory of the `resource` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { type ResourceConfig, resourceConfigSchema } from './config.js';
import { createResourceProcessor } from './processor.js';

/** `resource`: inserts, updates, deletes, hashes, extracts or converts resource attributes (contrib resourceprocessor). */
export const resourceProcessorFactory: ProcessorFactory<ResourceConfig> = {
  type: 'resource',
  kind: 'processor',
  description: 'Applies insert/update/upsert/delete/hash/extract/convert actions to resource attributes',
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: resourceConfigSchema,
  exampleConfig: { attributes: [{ key: 'deployment.environment', value: 'production', action: 'upsert' }] },
  create: (settings, config, signal, next) => createResourceProcessor(settings, config, signal, next),
};
