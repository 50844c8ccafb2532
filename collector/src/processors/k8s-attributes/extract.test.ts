import { describe, expect, it } from 'vitest';
import { compileAssociations, lookupKey, podKeys } from './association.js';
import { k8sAttributesConfigSchema } from './config.js';
import { compileRules, digestPod, parseImage } from './extract.js';

describe('extraction and association', () => {
  it('parses image references like the Collector', () => {
    expect(parseImage('nginx')).toEqual({ name: 'nginx', tag: 'latest' });
    expect(parseImage('registry:5000/team/app:1.2')).toEqual({ name: 'registry:5000/team/app', tag: '1.2' });
    expect(parseImage('ghcr.io/a/b:3@sha256:abcd')).toEqual({ name: 'ghcr.io/a/b', tag: '3' });
    expect(parseImage('ghcr.io/a/b@sha256:abcd')).toEqual({ name: 'ghcr.io/a/b', tag: '' });
  });

  it('keeps only the attributes the rules ask for, and no IP for host-network pods', () => {
    const rules = compileRules(
      k8sAttributesConfigSchema.parse({ extract: { metadata: ['k8s.pod.name', 'k8s.statefulset.name'] } }).extract,
    );
    const d = digestPod(rules, {
      metadata: {
        name: 'db-0',
        namespace: 'x',
        uid: 'u1',
        ownerReferences: [{ kind: 'StatefulSet', name: 'db', uid: 's1', controller: true }],
      },
      spec: { nodeName: 'n', hostNetwork: true },
      status: { podIP: '10.0.0.1' },
    });
    expect(d.attrs).toEqual(['k8s.pod.name', 'db-0', 'k8s.statefulset.name', 'db']);
    expect(d.ip).toBe('');
    expect(d.containers).toBeUndefined();
    expect(d.lookup).toBeUndefined();
  });

  it('matches key_regex against the whole label key, with RE2 named groups and flags', () => {
    const rules = compileRules(
      k8sAttributesConfigSchema.parse({
        extract: { metadata: [], labels: [{ key_regex: '(?i)app\\.(?P<part>[a-z]+)', tag_name: 'app.$1' }] },
      }).extract,
    );
    const d = digestPod(rules, {
      metadata: { name: 'p', namespace: 'x', uid: 'u', labels: { 'App.Tier': 'web', 'app.tier.extra': 'no' } },
    });
    expect(d.attrs).toEqual(['app.Tier', 'web']);
  });

  it('derives the deployment name from the ReplicaSet name without a lookup when asked', () => {
    const rules = compileRules(k8sAttributesConfigSchema.parse({ extract: { deployment_name_from_replicaset: true } }).extract);
    const d = digestPod(rules, {
      metadata: {
        name: 'web-5d8f-x',
        namespace: 'x',
        uid: 'u',
        ownerReferences: [{ kind: 'ReplicaSet', name: 'web-5d8f9c7b', uid: 'r', controller: true }],
      },
    });
    expect(d.attrs).toContain('web');
    expect(d.lookup).toBeUndefined();
    expect(rules.needsReplicaSet).toBe(false);
  });

  it('builds the same key from a pod and from a resource, for the default and multi-source rules', () => {
    const rules = compileRules(k8sAttributesConfigSchema.parse({}).extract);
    const pod = digestPod(rules, { metadata: { name: 'a', namespace: 'n', uid: 'u' }, status: { podIP: '10.0.0.5' } });
    const defaults = compileAssociations([]);
    const keys = podKeys(defaults, pod);
    expect(keys).toHaveLength(1); // every default rule is an IP rule: one shared key
    const kv = (key: string, v: string) => ({ key, value: { stringValue: v } });
    expect(lookupKey(defaults, [], '10.0.0.5').key).toBe(keys[0]);
    expect(lookupKey(defaults, [kv('host.name', '10.0.0.5')], undefined).key).toBe(keys[0]);
    expect(lookupKey(defaults, [kv('host.name', 'web-1')], undefined).key).toBeUndefined();
    const byName = compileAssociations([
      {
        sources: [
          { from: 'resource_attribute', name: 'k8s.pod.name' },
          { from: 'resource_attribute', name: 'k8s.namespace.name' },
        ],
      },
    ]);
    expect(lookupKey(byName, [kv('k8s.namespace.name', 'n'), kv('k8s.pod.name', 'a')], undefined).key).toBe(
      podKeys(byName, pod)[0],
    );
    expect(lookupKey(byName, [kv('k8s.pod.name', 'a')], '10.0.0.5').key).toBeUndefined();
  });
});
