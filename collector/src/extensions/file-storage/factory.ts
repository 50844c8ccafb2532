/** Factory of the `file_storage` extension. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  // The default directory is a DaemonSet hostPath; an example that runs anywhere creates its own.
  exampleConfig: { directory: join(tmpdir(), 'stitch-file-storage-example'), create_directory: true },
  create: (settings, config) => createFileStorage(settings, config),
};
