/** Factory of the `bearertokenauth` extension. */
import type { ExtensionFactory } from '../../component/component.js';
import { type BearerTokenAuthConfig, bearerTokenAuthConfigSchema } from './config.js';
import { createBearerTokenAuth } from './extension.js';

/** `bearertokenauth`: static or file-based bearer tokens for receivers (check) and exporters (send). */
export const bearerTokenAuthFactory: ExtensionFactory<BearerTokenAuthConfig> = {
  type: 'bearertokenauth',
  kind: 'extension',
  description: 'Bearer token authentication: checks incoming requests, adds the token to outgoing ones',
  exampleConfig: { token: 'example-token' },
  stability: 'beta',
  configSchema: bearerTokenAuthConfigSchema,
  create: (settings, config) => createBearerTokenAuth(settings, config),
};
