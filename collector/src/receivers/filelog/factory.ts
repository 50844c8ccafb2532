/** Factory of the `filelog` receiver. */
import type { ReceiverFactory } from '../../component/component.js';
import { errors } from '../../errors.js';
import { type FilelogConfig, filelogConfigSchema } from './config.js';
import { createFilelogReceiver } from './receiver.js';

/** `filelog`: tails files (container logs under /var/log/pods) with stanza-style operators. */
export const filelogFactory: ReceiverFactory<FilelogConfig> = {
  type: 'filelog',
  kind: 'receiver',
  description: 'Tails log files (container logs in /var/log/pods) with checkpoints and stanza-style operators',
  stability: { logs: 'beta' },
  configSchema: filelogConfigSchema as never,
  exampleConfig: { include: ['/var/log/pods/*/*/*.log'], operators: [{ type: 'container' }] },
  create(settings, config, next) {
    if (!next.logs) throw errors.STITCH_ERR_PIPELINE_SIGNAL_UNSUPPORTED(['receiver', settings.id, 'this signal']);
    return createFilelogReceiver(settings, config, next.logs);
  },
};
