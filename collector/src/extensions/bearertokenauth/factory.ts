/** Factory of the `bearertokenauth` extension. */
import type { ExtensionFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type BearerTokenAuthConfig, bearerTokenAuthConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('extension/bearertokenauth', () => import('./extension.js'));

/** `bearertokenauth`: static or file-based bearer tokens for receivers (check) and exporters (send). */
export const bearerTokenAuthFactory: ExtensionFactory<BearerTokenAuthConfig> = {
  type: 'bearertokenauth',
  kind: 'extension',
  description: 'Bearer token authentication: checks incoming requests, adds the token to outgoing ones',
  exampleConfig: { token: 'example-token' },
  stability: 'beta',
  configSchema: bearerTokenAuthConfigSchema,
  load: impl.load,
  create: (settings, config) => impl.get().createBearerTokenAuth(settings, config),
};
