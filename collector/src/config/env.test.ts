// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are config text with ${env:...} references, not templates.
import { describe, expect, it } from 'vitest';
import { expandString } from './env.js';
import { assertValid, loadConfig } from './index.js';
import { fakeRegistry } from './testdata/fake-factories.js';

const registry = fakeRegistry();

function load(yaml: string, env: Record<string, string | undefined>) {
  return loadConfig({ files: ['c.yaml'], env, registry, readFile: () => yaml });
}

const pipeline = 'service:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [otlp]\n';

describe('expandString', () => {
  const env = { HOST: 'tempo', PORT: '4317', EMPTY: '', A: 'a' };
  const cases: [string, string, { text: string; whole?: { value: string | undefined } }][] = [
    ['${env:NAME}', '${env:HOST}', { text: 'tempo', whole: { value: 'tempo' } }],
    ['bare ${NAME} uses env', '${HOST}', { text: 'tempo', whole: { value: 'tempo' } }],
    ['default when unset', '${env:NOPE:-fallback}', { text: 'fallback', whole: { value: 'fallback' } }],
    ['no default when set', '${env:HOST:-fallback}', { text: 'tempo', whole: { value: 'tempo' } }],
    [
      'set to empty beats the default, and is null as a whole value',
      '${env:EMPTY:-fallback}',
      { text: '', whole: { value: undefined } },
    ],
    ['an explicit empty default is the empty string', '${env:NOPE:-}', { text: '', whole: { value: '' } }],
    ['unset without default is null as a whole value', '${env:NOPE}', { text: '', whole: { value: undefined } }],
    ['inside a string', 'http://${env:HOST}:${env:PORT}/v1', { text: 'http://tempo:4317/v1' }],
    ['unset inside a string is empty', 'x${env:NOPE}y', { text: 'xy' }],
    ['$$ is a literal $', 'pa$$word', { text: 'pa$word' }],
    ['$${env:X} is the literal text', '$${env:HOST}', { text: '${env:HOST}' }],
    ['$$ next to a reference', '$$${env:A}', { text: '$a' }],
    ['a lone $ stays', '$HOME and 5$', { text: '$HOME and 5$' }],
    ['a reference in a default', '${env:NOPE:-${env:HOST}:1}', { text: 'tempo:1', whole: { value: 'tempo:1' } }],
    ['a default containing a colon', '${env:NOPE:-http://x:1}', { text: 'http://x:1', whole: { value: 'http://x:1' } }],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => {
      expect(expandString(input, env)).toEqual(expected);
    });
  }

  const bad: [string, string, 'env' | 'provider', RegExp][] = [
    ['${env:} names nothing', '${env:}', 'env', /names no environment variable/],
    ['${} is empty', 'a${}b', 'env', /empty reference/],
    ['unterminated', '${env:HOST', 'env', /unterminated reference "\$\{env:HOST": missing "\}"/],
    ['invalid name', '${env:MY-VAR}', 'env', /invalid environment variable name "MY-VAR"/],
    ['one-letter scheme is malformed', '${a:b}', 'env', /malformed reference/],
    ['unknown provider', '${file:/etc/x}', 'provider', /^"file" in "\$\{file:\/etc\/x\}"$/],
    ['shell-style default without env:', '${PORT:-4317}', 'provider', /did you mean \$\{env:PORT:-4317\}\?/],
    ['shell-style default, name with _', '${LOKI_URL:-http://x}', 'env', /did you mean \$\{env:LOKI_URL:-http:\/\/x\}\?/],
  ];
  for (const [name, input, code, message] of bad) {
    it(`rejects: ${name}`, () => {
      const out = expandString(input, env);
      expect(out.error?.code).toBe(code);
      expect(out.error?.message).toMatch(message);
    });
  }
});

describe('env expansion in the loaded config', () => {
  it('re-parses a whole-value reference as YAML: numbers and booleans get their type', () => {
    const yaml = [
      'receivers:',
      '  otlp:',
      'processors:',
      '  batch:',
      '    send_batch_size: ${env:BATCH}',
      'exporters:',
      '  otlp:',
      '    endpoint: ${env:HOST}:${env:PORT}',
      '    tls:',
      '      insecure: ${env:INSECURE}',
      'service:',
      '  telemetry:',
      '    metrics:',
      '      readers:',
      '        - pull:',
      '            exporter:',
      '              prometheus:',
      '                port: ${env:METRICS_PORT}',
      '  pipelines:',
      '    logs:',
      '      receivers: [otlp]',
      '      processors: [batch]',
      '      exporters: [otlp]',
      '',
    ].join('\n');
    const env = { BATCH: '512', HOST: 'tempo', PORT: '4317', INSECURE: 'true', METRICS_PORT: '9999' };
    const config = assertValid(load(yaml, env));
    expect(config.processors.get('batch')?.config).toMatchObject({ send_batch_size: 512 });
    expect(config.exporters.get('otlp')?.config).toMatchObject({ endpoint: 'tempo:4317', tls: { insecure: true } });
    expect(config.service.telemetry.metrics.port).toBe(9999);
  });

  it('gives a string option the text as written when YAML would read a number', () => {
    const yaml = `receivers:\n  otlp:\nexporters:\n  otlp:\n    endpoint: \${env:EP}\n${pipeline}`;
    const config = assertValid(load(yaml, { EP: '0123' }));
    expect(config.exporters.get('otlp')?.config).toMatchObject({ endpoint: '0123' });
  });

  it('keeps a reference inside a longer string a string', () => {
    const yaml = `receivers:\n  otlp:\nprocessors:\n  batch:\n    send_batch_size: 1\${env:N}\n`;
    const result = load(yaml, { N: '0' });
    expect(result.problems.map((p) => `${p.path}: ${p.message}`)).toContain(
      'processors.batch.send_batch_size: expected a number, got string "10"',
    );
  });

  it('an unset variable with no default leaves the option unset, so its default applies', () => {
    const yaml = `receivers:\n  otlp:\nprocessors:\n  batch:\n    send_batch_size: \${env:UNSET}\nexporters:\n  otlp:\n    endpoint: x:1\nservice:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [otlp]\n`;
    const config = assertValid(load(yaml, {}));
    expect(config.processors.get('batch')?.config).toMatchObject({ send_batch_size: 8192 });
  });

  it('an unset variable for a required option is reported as missing, at its key', () => {
    const yaml = `receivers:\n  otlp:\nexporters:\n  otlp:\n    endpoint: \${env:UNSET}\n${pipeline}`;
    const result = load(yaml, {});
    expect(result.problems.map((p) => `${p.location} ${p.code} ${p.path}`)).toEqual([
      'c.yaml:4:3 STITCH_ERR_CONFIG_MISSING exporters.otlp.endpoint',
    ]);
  });

  it('$$ escapes survive into the value', () => {
    const yaml = `receivers:\n  otlp:\nexporters:\n  otlp:\n    endpoint: \${env:HOST}:4317\n    tls:\n      server_name_override: a$$b\n${pipeline}`;
    const config = assertValid(load(yaml, { HOST: 'h' }));
    expect(config.exporters.get('otlp')?.config).toMatchObject({ endpoint: 'h:4317', tls: { server_name_override: 'a$b' } });
  });

  it('does not expand keys, nor the text a variable expands to', () => {
    const yaml = `receivers:\n  otlp:\nexporters:\n  otlp:\n    endpoint: \${env:EP}\n${pipeline}`;
    const config = assertValid(load(yaml, { EP: '${env:SECRET}' }));
    expect(config.exporters.get('otlp')?.config).toMatchObject({ endpoint: '${env:SECRET}' });
  });

  it('reports an unsupported provider with the supported list, and does not report that value again', () => {
    const yaml = `receivers:\n  otlp:\nexporters:\n  otlp:\n    endpoint: \${file:/run/ep}\n${pipeline}`;
    const result = load(yaml, {});
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({
      code: 'STITCH_ERR_CONFIG_PROVIDER',
      path: 'exporters.otlp.endpoint',
      location: 'c.yaml:5:15',
      message: 'unsupported config provider "file" in "${file:/run/ep}"; supported: env',
    });
  });
});
