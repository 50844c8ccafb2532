/** Factory of the `spanmetrics` connector. */
import type { ConnectorFactory } from '../../component/component.js';
import { type SpanMetricsConnectorConfig, spanMetricsConnectorConfigSchema } from './config.js';
import { createSpanMetricsConnector } from './connector.js';

/** `spanmetrics`: R.E.D. metrics from spans (contrib's spanmetricsconnector), exemplars with request_id / rid. */
export const spanMetricsConnectorFactory: ConnectorFactory<SpanMetricsConnectorConfig> = {
  type: 'spanmetrics',
  kind: 'connector',
  description: 'Calls and duration (R.E.D.) metrics from spans, with exemplars carrying trace_id, span_id and request_id / rid',
  connections: [{ from: 'traces', to: 'metrics', stability: 'alpha' }],
  configSchema: spanMetricsConnectorConfigSchema as never,
  create: (settings, config, _from, _to, next) => createSpanMetricsConnector(settings, config, next as never) as never,
};
