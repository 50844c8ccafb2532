/** Factory of the `k8sattributes` processor. */
import type { ProcessorFactory } from '../../component/component.js';
import { type K8sAttributesConfig, k8sAttributesConfigSchema } from './config.js';
import { createK8sAttributesProcessor } from './processor.js';

/** `k8sattributes`: pod, namespace, node and workload attributes from a cache of this node's pods. */
export const k8sAttributesProcessorFactory: ProcessorFactory<K8sAttributesConfig> = {
  type: 'k8sattributes',
  kind: 'processor',
  description: "Adds Kubernetes pod, namespace, node and workload attributes, watching only this node's pods",
  stability: { traces: 'beta', metrics: 'beta', logs: 'beta' },
  configSchema: k8sAttributesConfigSchema,
  // Defaults alone need a cluster (serviceAccount); passthrough is valid anywhere.
  exampleConfig: { passthrough: true },
  create: (settings, config, signal, next) => createK8sAttributesProcessor(settings, config, signal, next),
};
