/** Factory of the `tap` extension. */
import type { ExtensionFactory } from '../component/component.js';
import { lazyImplementation } from '../component/lazy.js';
import { type TapConfig, tapConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('extension/tap', () => import('./extension.js'));

/** `tap`: the loopback admin endpoint `stitch tap` reads live samples from (Stitch-only). */
export const tapExtensionFactory: ExtensionFactory<TapConfig> = {
  type: 'tap',
  kind: 'extension',
  description: 'Stitch-only: loopback endpoint (default 127.0.0.1:13134) streaming live samples for `stitch tap`',
  stability: 'alpha',
  configSchema: tapConfigSchema,
  load: impl.load,
  create: (settings, config) => impl.get().createTapExtension(settings, config),
};
