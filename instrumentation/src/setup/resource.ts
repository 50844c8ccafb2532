/**
 * The resource every signal carries: service name and version, Kubernetes identity from the
 * downward API, then OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME (the environment wins, so a
 * manifest can always override what the code says).
 */
import { hostname } from 'node:os';
import type { Attributes } from '@opentelemetry/api';
import {
  defaultResource,
  detectResources,
  type Resource,
  resourceAttributesEnvDetector,
  resourceFromAttributes,
  serviceNameEnvDetector,
} from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

// Incubating semantic-convention names, copied as the semconv package recommends.
const ATTR_K8S_POD_NAME = 'k8s.pod.name';
const ATTR_K8S_POD_UID = 'k8s.pod.uid';
const ATTR_K8S_NAMESPACE_NAME = 'k8s.namespace.name';
const ATTR_K8S_NODE_NAME = 'k8s.node.name';
const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';
const ATTR_PROCESS_PID = 'process.pid';
const ATTR_PROCESS_RUNTIME_NAME = 'process.runtime.name';
const ATTR_PROCESS_RUNTIME_VERSION = 'process.runtime.version';

/**
 * Downward-API environment variables read for each attribute, first match wins. `K8S_*` is what
 * our README's manifest snippet sets; `OTEL_RESOURCE_ATTRIBUTES_*` is what the OpenTelemetry
 * Operator injects.
 */
export const K8S_ENV_VARS: Readonly<Record<string, readonly string[]>> = {
  [ATTR_K8S_POD_NAME]: ['K8S_POD_NAME', 'OTEL_RESOURCE_ATTRIBUTES_POD_NAME', 'POD_NAME'],
  [ATTR_K8S_POD_UID]: ['K8S_POD_UID', 'OTEL_RESOURCE_ATTRIBUTES_POD_UID', 'POD_UID'],
  [ATTR_K8S_NAMESPACE_NAME]: ['K8S_NAMESPACE_NAME', 'K8S_NAMESPACE', 'POD_NAMESPACE'],
  [ATTR_K8S_NODE_NAME]: ['K8S_NODE_NAME', 'OTEL_RESOURCE_ATTRIBUTES_NODE_NAME', 'NODE_NAME'],
};

/** The `k8s.*` attributes found in `env` (empty outside Kubernetes). */
export function kubernetesAttributes(env: NodeJS.ProcessEnv = process.env): Attributes {
  const out: Attributes = {};
  for (const [attr, names] of Object.entries(K8S_ENV_VARS)) {
    for (const n of names) {
      const v = env[n];
      if (v !== undefined && v !== '') {
        out[attr] = v;
        break;
      }
    }
  }
  return out;
}

/** What {@link buildResource} needs. */
export interface ResourceOptions {
  serviceName?: string | undefined;
  serviceVersion?: string | undefined;
  attributes?: Attributes | undefined;
}

/**
 * SDK defaults (telemetry.sdk.*) < code (`serviceName`, `attributes`) < downward API (`k8s.*`)
 * < OTEL_RESOURCE_ATTRIBUTES < OTEL_SERVICE_NAME. `service.instance.id` defaults to the pod name
 * (else host:pid) so several replicas never collide in Prometheus' `instance` label.
 */
export function buildResource(options: ResourceOptions = {}): Resource {
  const k8s = kubernetesAttributes(process.env);
  const base: Attributes = {
    [ATTR_PROCESS_PID]: process.pid,
    [ATTR_PROCESS_RUNTIME_NAME]: 'nodejs',
    [ATTR_PROCESS_RUNTIME_VERSION]: process.versions.node,
    [ATTR_SERVICE_INSTANCE_ID]: (k8s[ATTR_K8S_POD_NAME] as string | undefined) ?? `${hostname()}:${process.pid}`,
    ...options.attributes,
  };
  if (options.serviceName !== undefined) base[ATTR_SERVICE_NAME] = options.serviceName;
  if (options.serviceVersion !== undefined) base[ATTR_SERVICE_VERSION] = options.serviceVersion;
  return defaultResource()
    .merge(resourceFromAttributes(base))
    .merge(resourceFromAttributes(k8s))
    .merge(detectResources({ detectors: [resourceAttributesEnvDetector, serviceNameEnvDetector] }));
}
