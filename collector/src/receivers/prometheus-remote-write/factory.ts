import type { ReceiverFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type PrometheusRemoteWriteReceiverConfig, prometheusRemoteWriteReceiverConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('receiver/prometheusremotewrite', () => import('./receiver.js'));

/** `prometheusremotewrite`: lets Prometheus servers and agents remote-write (1.0) into Stitch. */
export const prometheusRemoteWriteReceiverFactory: ReceiverFactory<PrometheusRemoteWriteReceiverConfig> = {
  type: 'prometheusremotewrite',
  kind: 'receiver',
  description: 'Receives Prometheus remote-write 1.0 at /api/v1/write',
  configSchema: prometheusRemoteWriteReceiverConfigSchema,
  stability: { metrics: 'alpha' },
  load: impl.load,
  create: (settings, config, next) => impl.get().createPrometheusRemoteWriteReceiver(settings, config, next),
};
