/** Factory of the `correlation` extension. */
import type { ExtensionFactory } from '../../component/component.js';
import { type CorrelationExtensionConfig, correlationExtensionConfigSchema } from './config.js';
import { createCorrelationExtension } from './extension.js';

/** `correlation`: the correlation index and its HTTP query API (default 127.0.0.1:13180). */
export const correlationExtensionFactory: ExtensionFactory<CorrelationExtensionConfig> = {
  type: 'correlation',
  kind: 'extension',
  description: 'Correlation index of request IDs, reconcile IDs and trace IDs with an HTTP query API (default 127.0.0.1:13180)',
  stability: 'alpha',
  configSchema: correlationExtensionConfigSchema as never,
  create: (settings, config) => createCorrelationExtension(settings, config),
};
