/** Factory of the `health_check` extension. */
import type { ExtensionFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type HealthCheckConfig, healthCheckConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('extension/health_check', () => import('./extension.js'));

/** `health_check`: an HTTP endpoint answering 200 while the collector is ready, 503 otherwise. */
export const healthCheckExtensionFactory: ExtensionFactory<HealthCheckConfig> = {
  type: 'health_check',
  kind: 'extension',
  description: 'HTTP health endpoint (default localhost:13133): 200 when the collector is ready, 503 otherwise',
  stability: 'beta',
  configSchema: healthCheckConfigSchema,
  load: impl.load,
  create: (settings, config) => impl.get().createHealthCheck(settings, config),
};
