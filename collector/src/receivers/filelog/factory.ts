/** Factory of the `filelog` receiver. */
import type { ReceiverFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { errors } from '../../errors.js';
import { type FilelogConfig, filelogConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('receiver/filelog', () => import('./receiver.js'));

/** `filelog`: tails files (container logs under /var/log/pods) with stanza-style operators. */
export const filelogFactory: ReceiverFactory<FilelogConfig> = {
  type: 'filelog',
  kind: 'receiver',
  description: 'Tails log files (container logs in /var/log/pods) with checkpoints and stanza-style operators',
  stability: { logs: 'beta' },
  configSchema: filelogConfigSchema as never,
  exampleConfig: { include: ['/var/log/pods/*/*/*.log'], operators: [{ type: 'container' }] },
  load: impl.load,
  create(settings, config, next) {
    if (!next.logs) throw errors.STITCH_ERR_PIPELINE_SIGNAL_UNSUPPORTED(['receiver', settings.id, 'this signal']);
    return impl.get().createFilelogReceiver(settings, config, next.logs);
  },
};
