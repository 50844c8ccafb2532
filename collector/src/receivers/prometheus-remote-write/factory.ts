import type { ReceiverFactory } from '../../component/component.js';
import { type PrometheusRemoteWriteReceiverConfig, prometheusRemoteWriteReceiverConfigSchema } from './config.js';
import { createPrometheusRemoteWriteReceiver } from './receiver.js';

/** `prometheusremotewrite`: lets Prometheus servers and agents remote-write (1.0) into Stitch. */
export const prometheusRemoteWriteReceiverFactory: ReceiverFactory<PrometheusRemoteWriteReceiverConfig> = {
  type: 'prometheusremotewrite',
  kind: 'receiver',
  description: 'Receives Prometheus remote-write 1.0 at /api/v1/write',
  configSchema: prometheusRemoteWriteReceiverConfigSchema,
  stability: { metrics: 'alpha' },
  create: createPrometheusRemoteWriteReceiver,
};
