import Long from 'long';
import { describe, expect, it } from 'vitest';
import { type LokiConfig, lokiConfigSchema } from './config.js';
import { type ConvertedLogs, createLogsMapper, type LokiEntry, levelOf, splitNanos } from './convert.js';
import { attrs, otlpLogs } from './testdata/logs.js';

const T = '1700000000123456789';
const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

function mapper(overrides: Record<string, unknown> = {}) {
  const config: LokiConfig = lokiConfigSchema.parse({ endpoint: 'http://loki:3100/loki/api/v1/push', ...overrides });
  return createLogsMapper(config);
}

/** Every stream of the default tenant as `selector → entries`. */
function streams(c: ConvertedLogs, tenant = ''): Record<string, LokiEntry[]> {
  const t = c.tenants.get(tenant);
  return Object.fromEntries([...(t?.streams.values() ?? [])].map((s) => [s.selector, s.entries]));
}

function metadata(e: LokiEntry): [string, string][] {
  return [...e.meta, ...e.shared].map((m) => [m.name, m.value]);
}

describe('OTLP logs → Loki streams', () => {
  it("labels streams with Loki's default resource attributes, dots to underscores", () => {
    const c = mapper().convert(
      otlpLogs([
        {
          resource: {
            'service.name': 'checkout',
            'service.namespace': 'shop',
            'k8s.namespace.name': 'prod',
            'k8s.pod.name': 'checkout-7d9f-abc',
            'k8s.container.name': 'app',
            'k8s.deployment.name': 'checkout',
            'k8s.node.name': 'node-1',
            'host.arch': 'amd64',
          },
          scope: { name: '@stitch/instrumentation', version: '1.2.3' },
          records: [{ timeUnixNano: T, body: { stringValue: 'GET /cart 200' } }],
        },
      ]),
    );
    const s = streams(c);
    const selector =
      '{k8s_container_name="app", k8s_deployment_name="checkout", k8s_namespace_name="prod", k8s_pod_name="checkout-7d9f-abc", service_name="checkout", service_namespace="shop"}';
    expect(Object.keys(s)).toEqual([selector]);
    const [e] = s[selector];
    expect(e).toMatchObject({ sec: 1700000000, nanos: 123456789, line: 'GET /cart 200' });
    // Resource attributes that are not labels follow the record's own metadata, then the scope.
    expect(metadata(e)).toEqual([
      ['k8s_node_name', 'node-1'],
      ['host_arch', 'amd64'],
      ['scope_name', '@stitch/instrumentation'],
      ['scope_version', '1.2.3'],
    ]);
    expect(c.lines).toBe(1);
  });

  it('puts correlation IDs, trace context and severity in structured metadata, never in labels', () => {
    const c = mapper().convert(
      otlpLogs([
        {
          resource: { 'service.name': 'api' },
          records: [
            {
              timeUnixNano: T,
              observedTimeUnixNano: '1700000000200000000',
              severityNumber: 17,
              severityText: 'ERROR',
              body: { stringValue: 'boom' },
              traceId: TRACE,
              spanId: SPAN,
              flags: 1,
              attributes: attrs({
                request_id: 'req-1',
                rid: '9f1c',
                trace_id: TRACE, // the same ID as an attribute: not repeated
                'http.route': '/cart/:id',
                user: {
                  kvlistValue: {
                    values: [
                      { key: 'id', value: { intValue: '42' } },
                      { key: 'tier.name', value: { stringValue: 'gold' } },
                    ],
                  },
                },
                tags: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }] } },
                ok: { boolValue: true },
                ratio: { doubleValue: 0.5 },
              }),
            },
          ],
        },
      ]),
    );
    const s = streams(c);
    expect(Object.keys(s)).toEqual(['{service_name="api"}']);
    expect(metadata(s['{service_name="api"}'][0])).toEqual([
      ['request_id', 'req-1'],
      ['rid', '9f1c'],
      ['http_route', '/cart/:id'],
      ['user_id', '42'],
      ['user_tier_name', 'gold'],
      ['tags', '["a",2]'],
      ['ok', 'true'],
      ['ratio', '0.5'],
      ['observed_timestamp', '1700000000200000000'],
      ['severity_number', '17'],
      ['severity_text', 'ERROR'],
      ['flags', '1'],
      ['trace_id', TRACE],
      ['span_id', SPAN],
      ['level', 'error'],
    ]);
  });

  it('refuses hinted correlation IDs as labels and counts them', () => {
    const c = mapper().convert(
      otlpLogs([
        {
          resource: { 'service.name': 'api', 'loki.resource.labels': 'request_id, team', request_id: 'r-9', team: 'core' },
          records: [
            {
              timeUnixNano: T,
              attributes: attrs({ 'loki.attribute.labels': 'x-request-id, route', 'x-request-id': 'r-10', route: '/a' }),
            },
            { timeUnixNano: T, attributes: attrs({ rid: 'abc' }) },
          ],
        },
      ]),
    );
    const s = streams(c);
    expect(Object.keys(s).sort()).toEqual(['{route="/a", service_name="api", team="core"}', '{service_name="api", team="core"}']);
    const [hinted] = s['{route="/a", service_name="api", team="core"}'];
    expect(metadata(hinted)).toEqual([
      ['x_request_id', 'r-10'],
      ['request_id', 'r-9'],
    ]);
    // Hints themselves are not exported.
    expect(metadata(hinted).some(([n]) => n.startsWith('loki'))).toBe(false);
    expect(c.moved).toEqual({ label_limit: 0, correlation_id: 3, value_too_long: 0 });
  });

  it('caps labels at max_label_names at run time, moving the least useful to metadata', () => {
    const resource = {
      'service.name': 'svc',
      'service.namespace': 'ns',
      'service.instance.id': 'inst-1',
      'deployment.environment': 'prod',
      'cloud.region': 'eu-west-1',
      'cloud.availability_zone': 'eu-west-1a',
      'k8s.cluster.name': 'c1',
      'k8s.namespace.name': 'prod',
      'k8s.pod.name': 'svc-abc',
      'k8s.container.name': 'app',
      'container.name': 'app',
      'k8s.replicaset.name': 'svc-7d9f',
      'k8s.deployment.name': 'svc',
      'k8s.cronjob.name': 'nightly',
      'k8s.job.name': 'nightly-1',
      'k8s.statefulset.name': 'never-together',
      'k8s.daemonset.name': 'all-seventeen',
    };
    const c = mapper().convert(otlpLogs([{ resource, records: [{ timeUnixNano: T }, { timeUnixNano: T }] }]));
    const [[selector, entries]] = Object.entries(streams(c));
    expect(selector.split(', ')).toHaveLength(15);
    expect(selector).not.toMatch(/k8s_pod_name|service_instance_id/);
    expect(metadata(entries[0])).toEqual([
      ['k8s_pod_name', 'svc-abc'],
      ['service_instance_id', 'inst-1'],
    ]);
    expect(c.moved.label_limit).toBe(4);

    const low = mapper({ max_label_names: 2, labels: { resource: ['team'] } }).convert(
      otlpLogs([
        { resource: { team: 'core', 'service.name': 'svc', 'k8s.namespace.name': 'ns' }, records: [{ timeUnixNano: T }] },
      ]),
    );
    expect(Object.keys(streams(low))).toEqual(['{service_name="svc", team="core"}']);
  });

  it('promotes configured resource and record attributes and the contrib default labels', () => {
    const c = mapper({
      labels: { resource: { team: 'owner' }, attributes: ['event.domain'], ignore_defaults: true },
      default_labels_enabled: { exporter: true, job: true, instance: true, level: true },
    }).convert(
      otlpLogs([
        {
          resource: { 'service.name': 'api', 'service.namespace': 'shop', 'service.instance.id': 'i-1', team: 'core' },
          records: [{ timeUnixNano: T, severityNumber: 9, attributes: attrs({ 'event.domain': 'browser', other: 'x' }) }],
        },
      ]),
    );
    const [[selector, [e]]] = Object.entries(streams(c));
    expect(selector).toBe(
      '{event_domain="browser", exporter="OTLP", instance="i-1", job="shop/api", level="info", owner="core"}',
    );
    expect(metadata(e)).toEqual([
      ['other', 'x'],
      ['severity_number', '9'],
      ['service_name', 'api'],
      ['service_namespace', 'shop'],
      ['service_instance_id', 'i-1'],
    ]);
  });

  it('names a stream with no labels service_name="unknown_service", as Loki does', () => {
    const c = mapper().convert(otlpLogs([{ resource: { 'host.name': 'h' }, records: [{ timeUnixNano: T }] }]));
    expect(Object.keys(streams(c))).toEqual(['{service_name="unknown_service"}']);
  });

  it('renders bodies per format: strings as is, maps as JSON or logfmt, scalars as text', () => {
    const map = {
      kvlistValue: {
        values: [
          { key: 'msg', value: { stringValue: 'user logged in' } },
          { key: 'user', value: { kvlistValue: { values: [{ key: 'id', value: { intValue: '7' } }] } } },
          { key: 'empty', value: { stringValue: '' } },
        ],
      },
    };
    const records = [
      { timeUnixNano: T, body: { stringValue: 'plain "text"' } },
      { timeUnixNano: '1700000000123456790', body: map },
      { timeUnixNano: '1700000000123456791', body: { intValue: '12' } },
      { timeUnixNano: '1700000000123456792', body: { bytesValue: Buffer.from('hi').toString('base64') } },
      { timeUnixNano: '1700000000123456793', body: { arrayValue: { values: [{ stringValue: 'a' }] } } },
      { timeUnixNano: '1700000000123456794' },
    ];
    const lines = (format?: string, hint?: string) => {
      const resource: Record<string, string> = { 'service.name': 'f' };
      if (hint) resource['loki.format'] = hint;
      const c = mapper(format ? { format } : {}).convert(otlpLogs([{ resource, records }]));
      return Object.values(streams(c))[0].map((e) => e.line);
    };
    expect(lines()).toEqual(['plain "text"', '{"msg":"user logged in","user":{"id":7},"empty":""}', '12', 'aGk=', '["a"]', '']);
    expect(lines('logfmt')[1]).toBe('msg="user logged in" user_id=7 empty=""');
    expect(lines(undefined, 'logfmt')[1]).toBe('msg="user logged in" user_id=7 empty=""');
    expect(lines('logfmt', 'raw')[1]).toBe('{"msg":"user logged in","user":{"id":7},"empty":""}');
  });

  it('takes the timestamp from time, else observed time, else now', () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const c = mapper().convert(
      otlpLogs([
        {
          resource: { 'service.name': 't' },
          records: [{ timeUnixNano: T }, { observedTimeUnixNano: '1700000001000000001' }, {}],
        },
      ]),
    );
    const [a, b, now] = Object.values(streams(c))[0];
    expect([a.sec, a.nanos]).toEqual([1700000000, 123456789]);
    expect([b.sec, b.nanos]).toEqual([1700000001, 1]);
    // observed_timestamp is only metadata when both times are set.
    expect(metadata(b).map(([n]) => n)).not.toContain('observed_timestamp');
    const nowNs = BigInt(now.sec) * 1_000_000_000n + BigInt(now.nanos);
    expect(nowNs >= before && nowNs <= BigInt(Date.now() + 1) * 1_000_000n).toBe(true);
  });

  it('splits 64-bit nanoseconds exactly', () => {
    for (const ns of [0n, 1n, 999_999_999n, 1_000_000_000n, 1_700_000_000_123_456_789n, 18_446_744_073_709_551_615n]) {
      const { sec, nanos } = splitNanos(Long.fromString(ns.toString(), true));
      expect(BigInt(sec) * 1_000_000_000n + BigInt(nanos)).toBe(ns);
      expect(nanos).toBeLessThan(1e9);
    }
    for (let i = 0; i < 200; i++) {
      const ns = BigInt(Math.floor(Math.random() * 2 ** 31)) * 2n ** 32n + BigInt(Math.floor(Math.random() * 2 ** 32));
      const { sec, nanos } = splitNanos(Long.fromString(ns.toString(), true));
      expect(BigInt(sec) * 1_000_000_000n + BigInt(nanos)).toBe(ns);
    }
  });

  it('truncates lines over max_line_size_bytes on a character boundary and counts them', () => {
    const c = mapper({ max_line_size_bytes: 1024 }).convert(
      otlpLogs([
        { resource: { 'service.name': 'long' }, records: [{ timeUnixNano: T, body: { stringValue: `${'é'.repeat(600)}` } }] },
      ]),
    );
    const [e] = Object.values(streams(c))[0];
    expect(Buffer.byteLength(e.line)).toBe(1024);
    expect(e.line).toBe('é'.repeat(512));
    expect(c.truncated).toBe(1);
  });

  it('groups by tenant from tenant_id and loki.tenant hints', () => {
    const c = mapper({ tenant_id: 'default-team' }).convert(
      otlpLogs([
        { resource: { 'service.name': 'a' }, records: [{ timeUnixNano: T }] },
        { resource: { 'service.name': 'b', 'loki.tenant': 'team', team: 'payments' }, records: [{ timeUnixNano: T }] },
        {
          resource: { 'service.name': 'c' },
          records: [{ timeUnixNano: T, attributes: attrs({ 'loki.tenant': 'tenant', tenant: 'ops' }) }],
        },
      ]),
    );
    expect([...c.tenants.keys()].sort()).toEqual(['default-team', 'ops', 'payments']);
    expect(Object.keys(streams(c, 'payments'))).toEqual(['{service_name="b"}']);
    expect(metadata(streams(c, 'ops')['{service_name="c"}'][0])).toEqual([['tenant', 'ops']]);
  });

  it('moves label values longer than Loki accepts to metadata', () => {
    const c = mapper().convert(
      otlpLogs([{ resource: { 'service.name': 'ok', 'k8s.pod.name': 'p'.repeat(3000) }, records: [{ timeUnixNano: T }] }]),
    );
    const [[selector, [e]]] = Object.entries(streams(c));
    expect(selector).toBe('{service_name="ok"}');
    expect(metadata(e)).toEqual([['k8s_pod_name', 'p'.repeat(3000)]]);
    expect(c.moved.value_too_long).toBe(1);
  });

  it("derives level as Loki's detected_level does, and keeps a level attribute", () => {
    expect([1, 5, 9, 13, 17, 21].map((n) => levelOf(n, ''))).toEqual(['trace', 'debug', 'info', 'warn', 'error', 'critical']);
    expect(levelOf(0, 'WARNING')).toBe('warning');
    expect(levelOf(0, '')).toBeUndefined();
    const c = mapper().convert(
      otlpLogs([
        {
          resource: { 'service.name': 'l' },
          records: [{ timeUnixNano: T, severityNumber: 9, attributes: attrs({ level: 'notice' }) }],
        },
      ]),
    );
    expect(metadata(Object.values(streams(c))[0][0])).toEqual([
      ['level', 'notice'],
      ['severity_number', '9'],
    ]);
  });
});
