/** Factory of the `file_storage` extension. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExtensionFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type FileStorageConfig, fileStorageConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('extension/file_storage', () => import('./extension.js'));

/** `file_storage`: directories for durable sending queues (`sending_queue.storage: file_storage/<name>`). */
export const fileStorageFactory: ExtensionFactory<FileStorageConfig> = {
  type: 'file_storage',
  kind: 'extension',
  description: 'Local directories for durable sending queues, one locked subdirectory per exporter and signal',
  stability: 'beta',
  configSchema: fileStorageConfigSchema as never,
  // The default directory is a DaemonSet hostPath; an example that runs anywhere creates its own.
  exampleConfig: { directory: join(tmpdir(), 'stitch-file-storage-example'), create_directory: true },
  load: impl.load,
  create: (settings, config) => impl.get().createFileStorage(settings, config),
};
