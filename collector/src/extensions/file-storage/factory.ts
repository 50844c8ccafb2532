/** Factory of the `file_storage` extension. */
import type { ExtensionFactory } from '../../component/component.js';
import { type FileStorageConfig, fileStorageConfigSchema } from './config.js';
import { createFileStorage } from './extension.js';

/** `file_storage`: directories for durable sending queues (`sending_queue.storage: file_storage/<name>`). */
export const fileStorageFactory: ExtensionFactory<FileStorageConfig> = {
  type: 'file_storage',
  kind: 'extension',
  description: 'Local directories for durable sending queues, one locked subdirectory per exporter and signal',
  stability: 'beta',
  configSchema: fileStorageConfigSchema as never,
  create: (settings, config) => createFileStorage(settings, config),
};
