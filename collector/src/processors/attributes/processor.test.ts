import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { LogsData, MetricsData, TracesData } from '../../model/types.js';
import { attributesToObject, objectToAttributes } from '../../model/values.js';
import { CollectingConsumer, testSettings } from '../../testing/index.js';
import { attributesConfigSchema } from './config.js';
import { createAttributesProcessor } from './processor.js';

const examples = parse(readFileSync(new URL('./testdata/config.yaml', import.meta.url), 'utf8')).processors as Record<
  string,
  unknown
>;

interface SpanSpec {
  service?: string;
  name?: string;
  attrs: Record<string, unknown>;
  resource?: Record<string, unknown>;
  library?: { name: string; version?: string };
}

function traces(specs: SpanSpec[]): TracesData {
  return {
    resourceSpans: specs.map((s) => ({
      resource: {
        attributes: objectToAttributes({ ...(s.service ? { 'service.name': s.service } : {}), ...(s.resource ?? {}) }),
      },
      scopeSpans: [
        {
          scope: s.library ?? { name: '' },
          spans: [
            {
              traceId: new Uint8Array(16),
              spanId: new Uint8Array(8),
              name: s.name ?? 'op',
              kind: 2,
              startTimeUnixNano: 0,
              endTimeUnixNano: 0,
              attributes: objectToAttributes(s.attrs),
            },
          ],
        },
      ],
    })),
  };
}

async function runTraces(id: string, specs: SpanSpec[], context = {}): Promise<Record<string, unknown>[]> {
  const next = new CollectingConsumer('traces');
  const p = createAttributesProcessor(testSettings(id, 'processor'), attributesConfigSchema.parse(examples[id]), 'traces', next);
  await p.consume(traces(specs), context);
  return (next.batches[0] as TracesData).resourceSpans.map((rs) => attributesToObject(rs.scopeSpans[0]?.spans[0]?.attributes));
}

describe('attributes processor: action semantics (the Collector examples)', () => {
  it('insert adds absent keys only, with the YAML type, and from_attribute only when the source exists', async () => {
    const out = await runTraces('attributes/insert', [{ attrs: { attribute1: 'keep me', anotherkey: 'v' } }, { attrs: {} }]);
    expect(out[0]).toEqual({ attribute1: 'keep me', anotherkey: 'v', 'string key': 'v' });
    expect(out[1]).toEqual({ attribute1: 123 });
  });

  it('update changes present keys only', async () => {
    const out = await runTraces('attributes/update', [
      { attrs: { boo: 'x', foo: 'y', 'db.secret': 'pw' } },
      { attrs: { foo: 'y' } },
    ]);
    expect(out[0]).toEqual({ boo: 'y', foo: 'y', 'db.secret': 'redacted' });
    expect(out[1]).toEqual({ foo: 'y' });
  });

  it('upsert inserts or updates, and copies nothing when the source is absent', async () => {
    const out = await runTraces('attributes/upsert', [{ attrs: { region: 'mars', user_key: 'u1' } }, { attrs: {} }]);
    expect(out[0]).toEqual({ region: 'planet-earth', user_key: 'u1', new_user_key: 'u1' });
    expect(out[1]).toEqual({ region: 'planet-earth' });
  });

  it('delete removes keys and ignores absent ones', async () => {
    const out = await runTraces('attributes/delete', [
      { attrs: { credit_card: '1234', duplicate_key: 'x', keep: 1 } },
      { attrs: {} },
    ]);
    expect(out).toEqual([{ keep: 1 }, {}]);
  });

  it('hash replaces the value with its SHA-256 hex digest', async () => {
    const out = await runTraces('attributes/hash', [{ attrs: { 'user.email': 'john@example.com' } }]);
    // sha256("john@example.com"), computed independently with `printf %s john@example.com | sha256sum`.
    expect(out[0]).toEqual({ 'user.email': '855f96e983f1f8e8be944692b6f719fd54329826cb62e98015efee8e2e071dd4' });
  });

  it('extract sets every named group and leaves the source as is', async () => {
    const url = 'http://example.com/path?queryParam1=value1,queryParam2=value2';
    const out = await runTraces('attributes/regex_insert', [{ attrs: { 'http.url': url, http_domain: 'old' } }]);
    expect(out[0]).toEqual({
      'http.url': url,
      http_protocol: 'http',
      http_domain: 'example.com',
      http_path: 'path',
      http_query_params: 'queryParam1=value1,queryParam2=value2',
    });
  });

  it('convert changes types when it can and leaves the value otherwise', async () => {
    const out = await runTraces('attributes/convert', [
      { attrs: { 'http.status_code': '200' } },
      { attrs: { 'http.status_code': 'abc' } },
      { attrs: { 'http.status_code': 404.7 } },
    ]);
    expect(out.map((o) => o['http.status_code'])).toEqual([200, 'abc', 404]);
  });

  it('applies actions in order (the complex example)', async () => {
    const out = await runTraces('attributes/complex', [
      { attrs: { timeout: 10, 'svc.operation': 'addition', operation: 'addition' } },
      { attrs: { operation: 'subtract', math_value: 123 } },
      { attrs: { timeout: 10, math_value: 4 } },
      { attrs: { 'svc.operation': 'division', timeout: 3 } },
    ]);
    expect(out).toEqual([
      { timeout: 10, 'svc.operation': 'addition' },
      { 'svc.operation': 'subtract', math_value: 123 },
      { timeout: 10, math_value: 4, 'svc.operation': 'default' },
      { 'svc.operation': 'default', timeout: 3 },
    ]);
  });

  it('from_context reads request metadata and default_value fills the gaps', async () => {
    const out = await runTraces('attributes/from_context', [{ attrs: {} }], { metadata: { origin: ['a', 'b'] } });
    expect(out[0]).toEqual({ origin: 'a;b' });
    const readme = await runTraces('attributes/readme_example', [{ attrs: { 'http.status_code': '500' } }]);
    expect(readme[0]).toEqual({ 'http.status_code': 500, region: 'us-east-1', tenant_id: 'default-tenant' });
  });
});

describe('attributes processor: include / exclude (the Collector examples)', () => {
  it('excludemulti: spans matching every listed property are left alone', async () => {
    const out = await runTraces('attributes/excludemulti', [
      { service: 'svcB', attrs: { env: 'dev', test_request: 123, credit_card: '1234' } },
      { service: 'svcA', attrs: { env: 'dev', test_request: false } },
      { service: 'svcB', attrs: { env: 1, test_request: 'dev', credit_card: '1234' } },
      { service: 'svcC', attrs: { env: 'dev', test_request: false, credit_card: '1' } },
    ]);
    expect(out.map((o) => 'credit_card' in o)).toEqual([true, false, false, false]);
  });

  it('selectiveprocessing: include by service, then exclude on a typed attribute value', async () => {
    const out = await runTraces('attributes/selectiveprocessing', [
      { service: 'svcB', attrs: { env: 'production', credit_card: '1234', redact_trace: 'false' } },
      { service: 'svcA', attrs: { credit_card: '1', redact_trace: true } },
      { service: 'svcB', attrs: { credit_card: '1234', redact_trace: false } },
      { service: 'svcC', attrs: { credit_card: '1' } },
    ]);
    expect(out.map((o) => 'credit_card' in o)).toEqual([false, false, true, true]);
  });

  it('regexp on services and span names; resources and libraries', async () => {
    const out = await runTraces('attributes/regexp', [
      { service: 'auth-svc', name: 'checkout', attrs: { password: 'p', token: 't' } },
      { service: 'auth-svc', name: 'login-form', attrs: { password: 'p', token: 't' } },
      { service: 'shop', name: 'checkout', attrs: { password: 'p', token: 't' } },
    ]);
    expect(out).toEqual([{ password: 'obfuscated' }, { password: 'p', token: 't' }, { password: 'p', token: 't' }]);
    const res = await runTraces('attributes/excluderesources', [
      { resource: { 'host.type': 'n1-standard-1' }, attrs: { credit_card: '1' } },
      { resource: { 'host.type': 'other' }, attrs: { credit_card: '1' } },
    ]);
    expect(res).toEqual([{ credit_card: '1' }, {}]);
    const lib = await runTraces('attributes/excludelibrary', [
      { library: { name: 'mongo-java-driver', version: '3.8.0' }, attrs: { credit_card: '1' } },
      { library: { name: 'mongo-java-driver', version: '4.0' }, attrs: { credit_card: '1' } },
    ]);
    expect(lib).toEqual([{ credit_card: '1' }, {}]);
  });

  it('matches log bodies and edits log records', async () => {
    const next = new CollectingConsumer('logs');
    const p = createAttributesProcessor(
      testSettings('attributes/log_body_regexp', 'processor'),
      attributesConfigSchema.parse(examples['attributes/log_body_regexp']),
      'logs',
      next,
    );
    const logs: LogsData = {
      resourceLogs: [
        {
          resource: { attributes: [] },
          scopeLogs: [
            {
              logRecords: ['AUTH ok', 'other'].map((b) => ({
                body: { stringValue: b },
                attributes: objectToAttributes({ password: 'p' }),
              })),
            },
          ],
        },
      ],
    };
    await p.consume(logs);
    const got = (next.batches[0] as LogsData).resourceLogs[0]?.scopeLogs[0]?.logRecords.map((l) =>
      attributesToObject(l.attributes),
    );
    expect(got).toEqual([{ password: 'obfuscated' }, { password: 'p' }]);
  });

  it('edits every data point of a matching metric', async () => {
    const next = new CollectingConsumer('metrics');
    const cfg = attributesConfigSchema.parse({
      include: { match_type: 'strict', metric_names: ['http.requests'] },
      actions: [{ key: 'user_id', action: 'delete' }],
    });
    const p = createAttributesProcessor(testSettings('attributes', 'processor'), cfg, 'metrics', next);
    const point = () => ({ attributes: objectToAttributes({ user_id: 'u', route: '/' }), timeUnixNano: 0, asInt: 1 });
    const md: MetricsData = {
      resourceMetrics: [
        {
          resource: { attributes: [] },
          scopeMetrics: [
            {
              metrics: [
                { name: 'http.requests', sum: { dataPoints: [point(), point()], aggregationTemporality: 2, isMonotonic: true } },
                { name: 'other', gauge: { dataPoints: [point()] } },
              ],
            },
          ],
        },
      ],
    };
    await p.consume(md);
    const metrics = (next.batches[0] as MetricsData).resourceMetrics[0]?.scopeMetrics[0]?.metrics ?? [];
    expect(metrics[0]?.sum?.dataPoints.map((d) => attributesToObject(d.attributes))).toEqual([{ route: '/' }, { route: '/' }]);
    expect(attributesToObject(metrics[1]?.gauge?.dataPoints[0]?.attributes)).toEqual({ user_id: 'u', route: '/' });
  });

  it('refuses at create a match property that does not apply to the signal', () => {
    const cfg = attributesConfigSchema.parse({
      include: { match_type: 'strict', span_names: ['x'] },
      actions: [{ key: 'a', action: 'delete' }],
    });
    expect(() =>
      createAttributesProcessor(testSettings('attributes', 'processor'), cfg, 'metrics', new CollectingConsumer('metrics')),
    ).toThrow(/span_names cannot be used with metrics/);
  });
});
