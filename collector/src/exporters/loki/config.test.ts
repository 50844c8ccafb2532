import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { lokiConfigSchema } from './config.js';
import { lokiExporterFactory } from './factory.js';

const load = (file: string) =>
  parse(readFileSync(new URL(`./testdata/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const valid = load('config.yaml');
const invalid = load('invalid-configs.yaml');

describe('loki exporter config', () => {
  it('has the contrib defaults where contrib has them, and Loki-native ones for the rest', () => {
    const c = lokiConfigSchema.parse(valid.loki);
    expect(c).toMatchObject({
      endpoint: 'https://loki:3100/loki/api/v1/push',
      timeout: 30_000,
      encoding: 'protobuf',
      compression: '',
      format: 'json',
      max_label_names: 15,
      max_batch_size_bytes: 1024 * 1024,
      max_line_size_bytes: 256 * 1024,
      labels: { resource: {}, attributes: {}, ignore_defaults: false },
      default_labels_enabled: { exporter: false, job: false, instance: false, level: false },
      retry_on_failure: { enabled: true, initial_interval: 5000 },
      sending_queue: { enabled: true, queue_size: 1000 },
      headers: {},
    });
    expect(lokiExporterFactory).toMatchObject({ type: 'loki', kind: 'exporter', stability: { logs: 'beta' } });
  });

  it("accepts the contrib exporter's full option set unchanged", () => {
    const c = lokiConfigSchema.parse(valid['loki/allsettings']);
    expect(c).toMatchObject({
      timeout: 10_000,
      headers: { 'X-Custom-Header': 'loki_rocks', 'X-Scope-OrgID': 'acme' },
      sending_queue: { num_consumers: 2, queue_size: 10 },
      retry_on_failure: { initial_interval: 10_000, max_interval: 60_000, max_elapsed_time: 600_000 },
      tls: { insecure: true, ca_file: '/var/lib/mycert.pem' },
      default_labels_enabled: { exporter: false, job: true, instance: false, level: false },
    });
  });

  it('resolves label maps and lists to label names', () => {
    const c = lokiConfigSchema.parse(valid['loki/stitch']);
    expect(c.labels).toEqual({
      resource: { 'k8s.node.name': 'k8s_node_name', team: 'owner_team' },
      attributes: { 'event.domain': 'event_domain' },
      ignore_defaults: false,
    });
    expect(c).toMatchObject({
      tenant_id: 'team-a',
      encoding: 'json',
      compression: 'gzip',
      format: 'logfmt',
      max_label_names: 20,
    });
  });

  const cases: Record<string, { path: (string | number)[]; message: RegExp }> = {
    missing_endpoint: { path: ['endpoint'], message: /./ },
    endpoint_not_url: { path: ['endpoint'], message: /http\(s\) URL/ },
    resource_label_is_request_id: {
      path: ['labels', 'resource', 'request_id'],
      message: /correlation ID \(request_id\).*never become Loki stream labels/,
    },
    attribute_label_is_trace_id_alias: { path: ['labels', 'attributes', 'trace.id'], message: /correlation ID \(trace_id\)/ },
    label_renamed_to_rid: { path: ['labels', 'attributes', 'operator.reconcile'], message: /correlation ID \(rid\)/ },
    too_many_labels: { path: ['labels'], message: /promotes 16 labels .* max_label_names is 15/ },
    over_a_lowered_cap: { path: ['labels'], message: /promotes 3 labels .* max_label_names is 2/ },
    invalid_label_name: { path: ['labels', 'resource', 'k8s.node.name'], message: /"node-name" is not a valid Loki label name/ },
    reserved_label_name: { path: ['labels', 'resource', 'internal'], message: /not start with "__"/ },
    label_promoted_twice: {
      path: ['labels', 'attributes', 'owner'],
      message: /"team" is promoted twice \(also from labels.resource.team\)/,
    },
    tenant_contradiction: { path: ['tenant_id'], message: /contradicts headers.X-Scope-OrgID/ },
    gzip_on_protobuf: { path: ['compression'], message: /already snappy-compressed/ },
    unknown_key: { path: [], message: /labels_enabled/ },
    bad_format: { path: ['format'], message: /json|logfmt|raw/ },
  };

  it('has a case for every broken config in testdata', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(invalid).sort());
  });

  it.each(Object.entries(cases))('rejects %s with its path', (name, { path, message }) => {
    const r = lokiConfigSchema.safeParse(invalid[name]);
    expect(r.success).toBe(false);
    const issue = r.error?.issues.find((i) => JSON.stringify(i.path) === JSON.stringify(path) && message.test(i.message));
    expect(issue, JSON.stringify(r.error?.issues, null, 1)).toBeDefined();
  });
});
