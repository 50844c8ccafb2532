/** Factory of the `correlation` extension. */
import type { ExtensionFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type CorrelationExtensionConfig, correlationExtensionConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('extension/correlation', () => import('./extension.js'));

/** `correlation`: the correlation index and its HTTP query API (default 127.0.0.1:13180). */
export const correlationExtensionFactory: ExtensionFactory<CorrelationExtensionConfig> = {
  type: 'correlation',
  kind: 'extension',
  description: 'Correlation index of request IDs, reconcile IDs and trace IDs with an HTTP query API (default 127.0.0.1:13180)',
  stability: 'alpha',
  configSchema: correlationExtensionConfigSchema as never,
  load: impl.load,
  create: (settings, config) => impl.get().createCorrelationExtension(settings, config),
};
