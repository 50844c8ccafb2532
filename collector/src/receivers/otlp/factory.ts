/** Factory of the `otlp` receiver. */
import type { ReceiverFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type OtlpReceiverConfig, otlpReceiverConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('receiver/otlp', () => import('./receiver.js'));

/** `otlp`: OTLP over HTTP (protobuf, JSON) and gRPC, for traces, metrics and logs. */
export const otlpReceiverFactory: ReceiverFactory<OtlpReceiverConfig> = {
  type: 'otlp',
  kind: 'receiver',
  description: 'Receives traces, metrics and logs over OTLP/HTTP (protobuf, JSON) and OTLP/gRPC',
  exampleConfig: { protocols: { grpc: null, http: null } },
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: otlpReceiverConfigSchema,
  load: impl.load,
  create: (settings, config, next) => impl.get().createOtlpReceiver(settings, config, next),
};
