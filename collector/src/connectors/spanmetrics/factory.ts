/** Factory of the `spanmetrics` connector. */
import type { ConnectorFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type SpanMetricsConnectorConfig, spanMetricsConnectorConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('connector/spanmetrics', () => import('./connector.js'));

/** `spanmetrics`: R.E.D. metrics from spans (contrib's spanmetricsconnector), exemplars with request_id / rid. */
export const spanMetricsConnectorFactory: ConnectorFactory<SpanMetricsConnectorConfig> = {
  type: 'spanmetrics',
  kind: 'connector',
  description: 'Calls and duration (R.E.D.) metrics from spans, with exemplars carrying trace_id, span_id and request_id / rid',
  connections: [{ from: 'traces', to: 'metrics', stability: 'alpha' }],
  configSchema: spanMetricsConnectorConfigSchema as never,
  load: impl.load,
  create: (settings, config, _from, _to, next) => impl.get().createSpanMetricsConnector(settings, config, next as never) as never,
};
