/** Factory of the `k8sattributes` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { lazyImplementation } from '../../component/lazy.js';
import { type K8sAttributesConfig, k8sAttributesConfigSchema } from './config.js';

// The implementation loads when a config uses this component (component/lazy.ts).
const impl = lazyImplementation('processor/k8sattributes', () => import('./processor.js'));

/** `k8sattributes`: pod, namespace, node and workload attributes from a cache of this node's pods. */
export const k8sAttributesProcessorFactory: ProcessorFactory<K8sAttributesConfig> = {
  type: 'k8sattributes',
  kind: 'processor',
  description: "Adds Kubernetes pod, namespace, node and workload attributes, watching only this node's pods",
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: k8sAttributesConfigSchema,
  // Defaults alone need a cluster (serviceAccount); passthrough is valid anywhere.
  exampleConfig: { passthrough: true },
  load: impl.load,
  create: (settings, config, signal, next) => impl.get().createK8sAttributesProcessor(settings, config, signal, next),
};
