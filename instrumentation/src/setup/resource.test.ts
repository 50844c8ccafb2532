import { afterEach, describe, expect, it } from 'vitest';
import { buildResource, kubernetesAttributes } from './resource.js';

describe('resource', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads the downward-API variables (ours and the OpenTelemetry Operator’s)', () => {
    expect(
      kubernetesAttributes({
        K8S_POD_NAME: 'web-1',
        OTEL_RESOURCE_ATTRIBUTES_POD_UID: 'u-1',
        K8S_NAMESPACE_NAME: 'shop',
        K8S_NODE_NAME: 'n1',
      }),
    ).toEqual({ 'k8s.pod.name': 'web-1', 'k8s.pod.uid': 'u-1', 'k8s.namespace.name': 'shop', 'k8s.node.name': 'n1' });
    expect(kubernetesAttributes({})).toEqual({});
  });

  it('code < downward API < OTEL_RESOURCE_ATTRIBUTES < OTEL_SERVICE_NAME', () => {
    process.env.K8S_POD_NAME = 'web-7';
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=prod,service.name=from-attrs';
    delete process.env.OTEL_SERVICE_NAME;
    let r = buildResource({ serviceName: 'from-code', attributes: { team: 'payments' } });
    expect(r.attributes).toMatchObject({
      'service.name': 'from-attrs',
      'service.instance.id': 'web-7',
      'k8s.pod.name': 'web-7',
      'deployment.environment.name': 'prod',
      team: 'payments',
      'telemetry.sdk.language': 'nodejs',
    });
    process.env.OTEL_SERVICE_NAME = 'from-env';
    r = buildResource({ serviceName: 'from-code' });
    expect(r.attributes['service.name']).toBe('from-env');
  });
});
