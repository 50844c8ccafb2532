import { describe, expect, it } from 'vitest';
import { correlationIdOf, LOKI_DEFAULT_INDEX_ATTRIBUTES, NameCache, normalizeLabelName, renderSelector } from './labels.js';

describe('loki labels', () => {
  it.each([
    ['service.name', 'service_name'],
    ['k8s.pod.name', 'k8s_pod_name'],
    ['http.request.header.x-forwarded-for', 'http_request_header_x_forwarded_for'],
    ['already_fine', 'already_fine'],
    ['1st', 'key_1st'],
    ['_private', 'key_private'],
    ['__reserved', '__reserved'],
    ['naïve', 'na_ve'],
    ['', ''],
  ])('normalises %j to %j as Loki does', (input, output) => {
    expect(normalizeLabelName(input)).toBe(output);
    expect(new NameCache(2).get(input)).toBe(output);
  });

  it("matches Loki's default index attribute list (17 names, OTLP config defaults)", () => {
    expect([...LOKI_DEFAULT_INDEX_ATTRIBUTES].sort()).toEqual(
      [
        'service.name',
        'service.namespace',
        'service.instance.id',
        'deployment.environment',
        'cloud.region',
        'cloud.availability_zone',
        'k8s.cluster.name',
        'k8s.namespace.name',
        'k8s.pod.name',
        'k8s.container.name',
        'container.name',
        'k8s.replicaset.name',
        'k8s.deployment.name',
        'k8s.statefulset.name',
        'k8s.daemonset.name',
        'k8s.cronjob.name',
        'k8s.job.name',
      ].sort(),
    );
  });

  it('recognises correlation IDs in every spelling', () => {
    expect(correlationIdOf('request_id')).toBe('request_id');
    expect(correlationIdOf('x-request-id')).toBe('request_id');
    expect(correlationIdOf('trace.id')).toBe('trace_id');
    expect(correlationIdOf('reconcileID')).toBe('rid');
    expect(correlationIdOf('span_id')).toBe('span_id');
    expect(correlationIdOf('service.name')).toBeUndefined();
    expect(correlationIdOf('request_path')).toBeUndefined();
  });

  it('renders a sorted selector with values escaped for Go', () => {
    expect(
      renderSelector([
        { name: 'service_name', value: 'api' },
        { name: 'k8s_namespace_name', value: 'prod' },
      ]),
    ).toBe('{k8s_namespace_name="prod", service_name="api"}');
    expect(renderSelector([{ name: 'a', value: 'say "hi"\\\n\t\u0001é' }])).toBe('{a="say \\"hi\\"\\\\\\n\\t\\u0001é"}');
    // A lone surrogate would make Loki's parser fail; it becomes U+FFFD.
    expect(renderSelector([{ name: 'a', value: 'x\ud800' }])).toBe('{a="x\ufffd"}');
  });
});
