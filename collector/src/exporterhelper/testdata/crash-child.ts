/**
 * The collector side of the SIGKILL test: a durable-queue exporter fed a stream of numbered log
 * records. Reports over IPC each id the backend accepted ('delivered', sent before push
 * resolves) and each id consume() acknowledged ('acked'). The parent kills it mid-stream.
 */

import { errors } from '../../errors.js';
import { fileStorageConfigSchema } from '../../extensions/file-storage/config.js';
import { createFileStorage } from '../../extensions/file-storage/extension.js';
import { testHost, testSettings } from '../../testing/index.js';
import { retryOnFailureSchema, sendingQueueSchema } from '../config.js';
import { createExporterHelper } from '../exporter-helper.js';
import { idsOf, logsBatch } from './fixtures.js';

const dir = process.env.QUEUE_DIR as string;
const batches = Number(process.env.BATCHES ?? 1000);
const send = (msg: unknown) => new Promise<void>((resolve) => process.send?.(msg, () => resolve()));

const storage = createFileStorage(testSettings('file_storage', 'extension'), fileStorageConfigSchema.parse({ directory: dir }));
await storage.start(testHost());
let n = 0;
const helper = createExporterHelper({
  settings: testSettings('otlp/crash', 'exporter'),
  signal: 'logs',
  config: {
    timeout: 1000,
    retry_on_failure: retryOnFailureSchema.parse({ initial_interval: '2ms', max_interval: '10ms', max_elapsed_time: 0 }),
    sending_queue: sendingQueueSchema.parse({ storage: 'file_storage', num_consumers: 4, queue_size: 100_000 }),
  },
  push: async (batch) => {
    await new Promise((r) => setTimeout(r, 1));
    // Every third push fails (retryable), so the queue holds a mix of sent, retrying and new data.
    if (++n % 3 === 0) throw errors.STITCH_ERR_EXPORT_RETRYABLE(['backend', 'HTTP 503']);
    // Flushed to the IPC pipe before the push resolves, so the parent never misses a delivery.
    await send({ t: 'delivered', ids: idsOf(batch) });
  },
});
await helper.start(testHost({ file_storage: storage }));
await send({ t: 'ready' });
for (let i = 0; i < batches; i++) {
  const ids = [2 * i, 2 * i + 1];
  await helper.consume(logsBatch(ids));
  await send({ t: 'acked', ids });
}
await send({ t: 'done' });
