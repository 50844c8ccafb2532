import { describe, expect, it } from 'vitest';
import { DEFAULT_METADATA, k8sAttributesConfigSchema } from './config.js';
import { podWatchTarget } from './metadata.js';

describe('k8sattributes config', () => {
  it('has the Collector defaults', () => {
    const c = k8sAttributesConfigSchema.parse({});
    expect(c.auth_type).toBe('serviceAccount');
    expect(c.passthrough).toBe(false);
    expect(c.extract.metadata).toEqual(DEFAULT_METADATA);
    expect(c.pod_association).toEqual([]);
    expect(c.exclude.pods).toEqual([{ name: 'jaeger-agent' }, { name: 'jaeger-collector' }]);
    expect(c.wait_for_metadata).toBe(false);
    expect(c.wait_for_metadata_timeout).toBe(10_000);
    expect(c.pod_delete_grace_period).toBe(120_000);
  });

  it.each([
    [{ auth_type: 'tls' }, 'auth_type'],
    [{ extract: { metadata: ['service.name'] } }, 'extract.metadata.0'],
    [{ extract: { labels: [{ key: 'a', key_regex: 'b' }] } }, 'extract.labels.0.key_regex'],
    [{ extract: { labels: [{ key_regex: '(' }] } }, 'extract.labels.0.key_regex'],
    [{ extract: { annotations: [{ key: 'a', from: 'deployment' }] } }, 'extract.annotations.0.from'],
    [{ filter: { labels: [{ key: 'a', op: 'like' }] } }, 'filter.labels.0.op'],
    [{ filter: { fields: [{ key: 'a', op: 'exists' }] } }, 'filter.fields.0.op'],
    [{ pod_association: [{ sources: [{ from: 'resource_attribute' }] }] }, 'pod_association.0.sources.0.name'],
    [{ pod_association: [{ sources: Array(5).fill({ from: 'connection' }) }] }, 'pod_association.0.sources'],
    [{ exclude: { pods: [{ name: 'jaeger-(' }] } }, 'exclude.pods.0.name'],
    [{ unknown_option: 1 }, ''],
  ])('rejects %j at %s', (input, path) => {
    const r = k8sAttributesConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('accepts RE2 syntax (named groups, a leading flag group) in key_regex and exclude.pods', () => {
    const c = k8sAttributesConfigSchema.safeParse({
      extract: { labels: [{ key_regex: '(?i)app\\.(?P<part>.+)', tag_name: 'app.$1' }] },
      exclude: { pods: [{ name: '(?i)^jaeger-' }] },
    });
    expect(c.error?.issues).toBeUndefined();
  });

  it('builds the pod watch from the node env var, fields, labels and namespace', () => {
    const c = k8sAttributesConfigSchema.parse({
      filter: {
        node_from_env_var: 'K8S_NODE_NAME',
        namespace: 'shop',
        fields: [{ key: 'status.phase', value: 'Succeeded', op: 'not-equals' }],
        labels: [
          { key: 'app', value: 'web' },
          { key: 'tier', value: 'db', op: 'not-equals' },
          { key: 'team', op: 'exists' },
          { key: 'legacy', op: 'does-not-exist' },
        ],
      },
    });
    expect(podWatchTarget(c, { K8S_NODE_NAME: 'node-7' })).toEqual({
      path: '/api/v1/namespaces/shop/pods',
      node: 'node-7',
      selectors: {
        fieldSelector: 'spec.nodeName=node-7,status.phase!=Succeeded',
        labelSelector: 'app=web,tier!=db,team,!legacy',
      },
    });
    expect(() => podWatchTarget(c, {})).toThrow(/K8S_NODE_NAME/);
  });
});
