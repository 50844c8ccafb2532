/** Factory of the `count` connector. */
import type { ConnectorFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type CountConnectorConfig, countConnectorConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('connector/count', () => import('./connector.js'));

/** `count`: counts spans, span events, metrics, data points and log records into Sums (contrib's countconnector). */
export const countConnectorFactory: ConnectorFactory<CountConnectorConfig> = {
  type: 'count',
  kind: 'connector',
  description:
    'Counts log records, spans, span events, metrics and data points by OTTL conditions and attributes, with exemplars',
  connections: [
    { from: 'logs', to: 'metrics', stability: 'alpha' },
    { from: 'traces', to: 'metrics', stability: 'alpha' },
    { from: 'metrics', to: 'metrics', stability: 'alpha' },
  ],
  configSchema: countConnectorConfigSchema as never,
  load: impl.load,
  create: (settings, config, from, _to, next) => impl.get().createCountConnector(settings, config, from, next as never) as never,
};
