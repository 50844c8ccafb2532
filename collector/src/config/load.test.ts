import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errors, StitchError } from '../errors.js';
import { assertValid, formatProblem, loadConfig } from './index.js';
import { fakeRegistry } from './testdata/fake-factories.js';

const here = dirname(fileURLToPath(import.meta.url));
const testdata = join(here, 'testdata');
const registry = fakeRegistry();

/** `# expect: line:column CODE path` comments at the end of an invalid case. */
function expectations(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l) => {
      const m = /^# expect: (\d+:\d+) (STITCH_ERR_\w+)(?: (\S+))?$/.exec(l);
      return m ? [`${m[1]} ${m[2]} ${m[3] ?? ''}`.trim()] : [];
    });
}

/** Loads YAML given as strings, keyed by file name. */
function loadInline(files: Record<string, string>, env: Record<string, string | undefined> = {}) {
  return loadConfig({
    files: Object.keys(files),
    env,
    registry,
    readFile: (f) => {
      const text = files[f];
      if (text === undefined) throw new Error(`ENOENT: ${f}`);
      return text;
    },
  });
}

describe('testdata/invalid: every problem, with code, line:column and path', () => {
  const dir = join(testdata, 'invalid');
  for (const name of readdirSync(dir).sort()) {
    it(name, () => {
      const file = join(dir, name);
      const expected = expectations(file);
      expect(expected.length).toBeGreaterThan(0);
      const result = loadConfig({ files: [file], env: {}, registry });
      expect(result.config).toBeUndefined();
      const actual = result.problems.map((p) => {
        expect(p).toBeInstanceOf(StitchError);
        expect(p.kind).toBe('config');
        expect(p.location.startsWith(`${file}:`)).toBe(true);
        return `${p.location.slice(file.length + 1)} ${p.code} ${p.path}`.trim();
      });
      expect(actual).toEqual(expected);
    });
  }

  it('reports all four different problems of one file in one run', () => {
    const file = join(dir, 'four-problems.yaml');
    const { problems } = loadConfig({ files: [file], env: {}, registry });
    expect(new Set(problems.map((p) => p.code))).toEqual(
      new Set([
        'STITCH_ERR_CONFIG_UNKNOWN_KEY',
        'STITCH_ERR_CONFIG_INVALID_VALUE',
        'STITCH_ERR_CONFIG_MISSING',
        'STITCH_ERR_PIPELINE_UNDEFINED_COMPONENT',
      ]),
    );
    expect(problems.map(formatProblem)).toEqual([
      `${file}:6:9: receivers.otlp.protocols.grpc.endpont: unknown key "endpont" (did you mean "endpoint"?) [STITCH_ERR_CONFIG_UNKNOWN_KEY]`,
      `${file}:9:22: processors.batch.send_batch_size: expected a number, got string "abc" [STITCH_ERR_CONFIG_INVALID_VALUE]`,
      `${file}:11:3: exporters.otlp/tempo.endpoint: missing required option "endpoint" [STITCH_ERR_CONFIG_MISSING]`,
      `${file}:19:31: service.pipelines.traces.exporters[1]: references exporter "debug" which is not configured [STITCH_ERR_PIPELINE_UNDEFINED_COMPONENT]`,
    ]);
  });
});

describe('testdata/valid', () => {
  const dir = join(testdata, 'valid');
  for (const name of readdirSync(dir).sort()) {
    it(`${name} loads without problems`, () => {
      const result = loadConfig({ files: [join(dir, name)], env: {}, registry });
      expect(result.problems.map(formatProblem)).toEqual([]);
      expect(result.config).toBeDefined();
    });
  }

  it('keeps only the components that pipelines use, connectors apart from receivers and exporters', () => {
    const config = assertValid(loadConfig({ files: [join(dir, 'connectors.yaml')], env: {}, registry }));
    expect([...config.receivers.keys()]).toEqual(['otlp', 'filelog']);
    expect([...config.processors.keys()]).toEqual(['batch']);
    expect([...config.exporters.keys()]).toEqual(['otlp/tempo', 'prometheusremotewrite']);
    expect([...config.connectors.keys()]).toEqual(['spanmetrics', 'forward/traces', 'count']);
    expect(config.connectors.get('forward/traces')).toMatchObject({ type: 'forward', name: 'traces', kind: 'connector' });
    expect(config.service.pipelines.get('traces/out')).toEqual({
      id: 'traces/out',
      signal: 'traces',
      receivers: ['forward/traces'],
      processors: ['batch'],
      exporters: ['otlp/tempo', 'spanmetrics'],
    });
    // `http:` with no value enables HTTP with its defaults, as in the Collector.
    expect(config.receivers.get('otlp')?.config).toEqual({ protocols: { http: { endpoint: 'localhost:4318' } } });
  });

  it('resolves anchors, << merge keys and null sections to defaults', () => {
    const config = assertValid(loadConfig({ files: [join(dir, 'anchors-and-nulls.yaml')], env: {}, registry }));
    expect(config.processors.get('batch')?.config).toEqual({ send_batch_size: 1000, send_batch_max_size: 0, timeout: 1000 });
    expect(config.processors.get('batch/merged')?.config).toEqual({
      send_batch_size: 1000,
      send_batch_max_size: 0,
      timeout: 5000,
    });
    expect(config.processors.get('batch/empty')?.config).toEqual({ send_batch_size: 8192, send_batch_max_size: 0, timeout: 200 });
    expect(config.exporters.get('debug')?.config).toMatchObject({ verbosity: 'basic' });
  });
});

describe('the OpenTelemetry Collector contrib config (testdata/otelcol-contrib.yaml)', () => {
  it('parses unchanged with factories of the same types', () => {
    const config = assertValid(loadConfig({ files: [join(testdata, 'otelcol-contrib.yaml')], env: {}, registry }));
    expect(config.receivers.get('otlp')?.config).toEqual({
      protocols: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } },
    });
    expect(config.processors.get('memory_limiter')?.config).toMatchObject({
      check_interval: 1000,
      limit_mib: 512,
      spike_limit_mib: 128,
    });
    expect(config.processors.get('batch')?.config).toMatchObject({ send_batch_size: 8192, timeout: 200 });
    expect(config.exporters.get('debug')?.config).toMatchObject({ verbosity: 'detailed' });
    expect([...config.extensions.keys()]).toEqual(['health_check']);
    expect(config.service.telemetry).toEqual({
      logs: { level: 'info' },
      metrics: { level: 'detailed', host: '0.0.0.0', port: 8888 },
    });
    expect([...config.service.pipelines.values()].map((p) => [p.id, p.signal, ...p.processors])).toEqual([
      ['traces', 'traces', 'memory_limiter', 'batch'],
      ['metrics', 'metrics', 'memory_limiter', 'batch'],
      ['logs', 'logs', 'memory_limiter', 'batch'],
    ]);
  });
});

describe('merging several --config files', () => {
  const base = join(testdata, 'merge', 'base.yaml');
  const override = join(testdata, 'merge', 'override.yaml');
  const badOverride = join(testdata, 'merge', 'bad-override.yaml');

  it('merges maps key by key, replaces lists and scalars, later file wins', () => {
    const config = assertValid(loadConfig({ files: [base, override], env: {}, registry }));
    expect(config.receivers.get('otlp')?.config).toEqual({
      protocols: { grpc: { endpoint: '127.0.0.1:4317' }, http: { endpoint: '127.0.0.1:4318' } },
    });
    // send_batch_size from base; timeout from override, which also replaces base's invalid "soon".
    expect(config.processors.get('batch')?.config).toEqual({ send_batch_size: 100, send_batch_max_size: 0, timeout: 5000 });
    expect(config.processors.get('memory_limiter')?.config).toMatchObject({ check_interval: 1000 });
    expect(config.exporters.get('debug')?.config).toMatchObject({ verbosity: 'detailed' });
    const traces = config.service.pipelines.get('traces');
    expect(traces?.processors).toEqual(['memory_limiter', 'batch']);
    expect(traces?.receivers).toEqual(['otlp']);
    expect(traces?.exporters).toEqual(['debug']);
  });

  it('keeps values of the earlier file that the later one does not touch', () => {
    const result = loadInline({
      'a.yaml': 'processors:\n  batch:\n    send_batch_size: 100\n    timeout: 1s\nreceivers:\n  otlp:\nexporters:\n  debug:\n',
      'b.yaml':
        'processors:\n  batch:\n    timeout: 5s\nservice:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [debug]\n',
    });
    expect(assertValid(result).processors.get('batch')?.config).toEqual({
      send_batch_size: 100,
      send_batch_max_size: 0,
      timeout: 5000,
    });
  });

  it('reverses the outcome when the order is reversed', () => {
    const result = loadConfig({ files: [override, base], env: {}, registry });
    // base.yaml is now last: its invalid timeout wins, reported in base.yaml.
    expect(result.problems.map((p) => `${p.location} ${p.path}`)).toEqual([`${base}:9:14 processors.batch.timeout`]);
  });

  it('points each problem at the file its value came from', () => {
    const result = loadConfig({ files: [base, badOverride], env: {}, registry });
    expect(result.problems.map((p) => `${p.location} ${p.code} ${p.path}`)).toEqual([
      `${base}:9:14 STITCH_ERR_CONFIG_INVALID_VALUE processors.batch.timeout`,
      `${badOverride}:4:5 STITCH_ERR_CONFIG_UNKNOWN_KEY exporters.debug.verbosty`,
    ]);
  });

  it('lets a later null replace an earlier map (the Collector merges the same way)', () => {
    const result = loadInline({
      'a.yaml': 'receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:1\n',
      'b.yaml':
        'receivers:\n  otlp:\nexporters:\n  debug:\nservice:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [debug]\n',
    });
    expect(assertValid(result).receivers.get('otlp')?.config).toEqual({ protocols: {} });
  });
});

describe('files and YAML', () => {
  it('reports an unreadable file with its name as the location', () => {
    const missing = join(testdata, 'does-not-exist.yaml');
    const result = loadConfig({ files: [missing], env: {}, registry });
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ code: 'STITCH_ERR_CONFIG_FILE', location: missing, path: '' });
  });

  it('reports no file given', () => {
    expect(loadConfig({ files: [], registry }).problems.map((p) => p.code)).toEqual(['STITCH_ERR_CONFIG_FILE']);
  });

  it('stops after YAML errors in any file, reporting those of every file', () => {
    const result = loadInline({
      'a.yaml': 'receivers:\n  otlp:\n  otlp:\n',
      'b.yaml': 'exporters: [\n',
      'c.yaml': 'unknown_top_level: 1\n',
    });
    expect(result.problems.map((p) => `${p.location} ${p.code}`)).toEqual([
      'a.yaml:3:3 STITCH_ERR_CONFIG_YAML',
      expect.stringMatching(/^b\.yaml:\d+:\d+ STITCH_ERR_CONFIG_YAML$/),
    ]);
  });

  it('rejects a file whose top level is not a map, and several documents in one file', () => {
    const result = loadInline({ 'a.yaml': '- receivers\n', 'b.yaml': 'receivers: {}\n---\nexporters: {}\n' });
    expect(result.problems.map((p) => `${p.location} ${p.code}`)).toEqual([
      'a.yaml:1:1 STITCH_ERR_CONFIG_YAML',
      'b.yaml:2:1 STITCH_ERR_CONFIG_YAML',
    ]);
  });

  it('treats an empty file as an empty config', () => {
    const result = loadInline({ 'empty.yaml': '' });
    expect(result.problems.map((p) => p.code)).toEqual(['STITCH_ERR_PIPELINE_NONE']);
    expect(result.problems[0]?.location).toBe('empty.yaml:1:1');
  });
});

describe('did you mean', () => {
  it('suggests the closest key of the component schema, even in nested objects and list items', () => {
    const result = loadInline({
      'c.yaml': [
        'receivers:',
        '  otlp:',
        '    protocol: {}',
        'exporters:',
        '  otlp:',
        '    endpoint: x:1',
        '    tls:',
        '      insecure_skip_verfy: true',
        '    no_such_option_at_all: 1',
        'service:',
        '  pipelines:',
        '    traces:',
        '      receivers: [otlp]',
        '      exporters: [otlp]',
        '',
      ].join('\n'),
    });
    expect(result.problems.map((p) => `${p.location} ${p.path}: ${p.message}`)).toEqual([
      'c.yaml:3:5 receivers.otlp.protocol: unknown key "protocol" (did you mean "protocols"?)',
      'c.yaml:8:7 exporters.otlp.tls.insecure_skip_verfy: unknown key "insecure_skip_verfy" (did you mean "insecure_skip_verify"?)',
      'c.yaml:9:5 exporters.otlp.no_such_option_at_all: unknown key "no_such_option_at_all"',
    ]);
  });

  it('suggests a supported type for a misspelt component', () => {
    const result = loadInline({ 'c.yaml': 'exporters:\n  prometheusremotewrit:\n    endpoint: http://x/\n' });
    const p = result.problems.find((x) => x.code === 'STITCH_ERR_CONFIG_UNSUPPORTED_COMPONENT');
    expect(p?.message).toBe(
      'unsupported exporter type "prometheusremotewrit"; supported: debug, loki, otlp, prometheusremotewrite (did you mean "prometheusremotewrite"?)',
    );
    expect(p?.location).toBe('c.yaml:2:3');
  });
});

describe('the validated config', () => {
  const load = () => assertValid(loadConfig({ files: [join(testdata, 'otelcol-contrib.yaml')], env: {}, registry }));

  it('is deep-frozen: objects, arrays and maps', () => {
    const config = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.service.pipelines.get('traces')?.processors)).toBe(true);
    const otlp = config.receivers.get('otlp')!;
    expect(Object.isFrozen(otlp)).toBe(true);
    const otlpConfig = otlp.config as { protocols: { grpc: object } };
    expect(Object.isFrozen(otlpConfig.protocols.grpc)).toBe(true);
    expect(() => {
      (otlpConfig as { protocols: unknown }).protocols = {};
    }).toThrow(TypeError);
    expect(() => (config.receivers as Map<string, unknown>).set('x', {})).toThrow(TypeError);
    expect(() => (config.service.pipelines as Map<string, unknown>).delete('traces')).toThrow(TypeError);
    expect(config.service.pipelines.has('traces')).toBe(true);
  });

  it('leaves the shared factories alone', () => {
    const config = load();
    expect(Object.isFrozen(config.receivers.get('otlp')?.factory)).toBe(false);
  });

  it('assertValid throws STITCH_ERR_CONFIG_INVALID listing every formatted problem', () => {
    const result = loadConfig({ files: [join(testdata, 'invalid', 'four-problems.yaml')], env: {}, registry });
    let thrown: unknown;
    try {
      assertValid(result);
    } catch (err) {
      thrown = err;
    }
    expect(errors.STITCH_ERR_CONFIG_INVALID.is(thrown)).toBe(true);
    const message = (thrown as Error).message;
    for (const p of result.problems) expect(message).toContain(formatProblem(p));
    expect(message.split('\n')).toHaveLength(1 + result.problems.length);
  });
});
