import { describe, expect, it } from 'vitest';
import { assertValid, DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT, loadConfig } from './index.js';
import { fakeRegistry } from './testdata/fake-factories.js';

const registry = fakeRegistry();
const head = [
  'receivers:',
  '  otlp:',
  'exporters:',
  '  debug:',
  'service:',
  '  pipelines:',
  '    logs:',
  '      receivers: [otlp]',
  '      exporters: [debug]',
];

function load(telemetry: string[]) {
  const yaml = [...head, ...(telemetry.length ? ['  telemetry:', ...telemetry.map((l) => `    ${l}`)] : [])].join('\n');
  return loadConfig({ files: ['t.yaml'], env: {}, registry, readFile: () => `${yaml}\n` });
}

describe('service.telemetry', () => {
  it('defaults to info logs and normal metrics on loopback 127.0.0.1:8888', () => {
    expect(DEFAULT_METRICS_HOST).toBe('127.0.0.1');
    expect(DEFAULT_METRICS_PORT).toBe(8888);
    expect(assertValid(load([])).service.telemetry).toEqual({
      logs: { level: 'info' },
      metrics: { level: 'normal', host: '127.0.0.1', port: 8888 },
    });
  });

  it('takes the current readers form', () => {
    const t = assertValid(
      load([
        'metrics:',
        '  level: basic',
        '  readers:',
        '    - pull:',
        '        exporter:',
        '          prometheus:',
        '            host: 0.0.0.0',
        '            port: 9464',
      ]),
    ).service.telemetry;
    expect(t.metrics).toEqual({ level: 'basic', host: '0.0.0.0', port: 9464 });
  });

  it('fills an omitted host or port of the prometheus reader with the loopback default', () => {
    const t = assertValid(
      load(['metrics:', '  readers:', '    - pull:', '        exporter:', '          prometheus:', '            port: 9000']),
    ).service.telemetry;
    expect(t.metrics).toMatchObject({ host: '127.0.0.1', port: 9000 });
  });

  it('takes the older address form, an empty host meaning every interface', () => {
    expect(assertValid(load(['metrics:', '  address: 127.0.0.1:9999'])).service.telemetry.metrics).toMatchObject({
      host: '127.0.0.1',
      port: 9999,
    });
    expect(assertValid(load(['metrics:', '  address: ":8889"'])).service.telemetry.metrics).toMatchObject({
      host: '0.0.0.0',
      port: 8889,
    });
    expect(assertValid(load(['metrics:', '  address: "[::1]:8888"'])).service.telemetry.metrics).toMatchObject({
      host: '::1',
      port: 8888,
    });
  });

  it('reads levels case-insensitively, as the Collector does, mapping zap-only levels to error', () => {
    const t = assertValid(load(['logs:', '  level: DEBUG', 'metrics:', '  level: Detailed'])).service.telemetry;
    expect(t).toMatchObject({ logs: { level: 'debug' }, metrics: { level: 'detailed' } });
    expect(assertValid(load(['logs:', '  level: fatal'])).service.telemetry.logs.level).toBe('error');
    expect(assertValid(load(['metrics:', '  level: none'])).service.telemetry.metrics.level).toBe('none');
  });

  it('accepts and ignores Collector options that change nothing users rely on', () => {
    const t = assertValid(
      load([
        'resource:',
        '  service.name: my-collector',
        'logs:',
        '  encoding: json',
        '  disable_caller: true',
        '  initial_fields:',
        '    team: platform',
        'traces:',
        '  level: none',
      ]),
    ).service.telemetry;
    expect(t.logs).toEqual({ level: 'info' });
  });

  it('rejects options that would silently lose data, naming why', () => {
    const result = load([
      'traces:',
      '  processors:',
      '    - batch:',
      '        exporter: {}',
      'metrics:',
      '  views: []',
      '  readers:',
      '    - pull:',
      '        exporter:',
      '          prometheus:',
      '            without_units: true',
      '    - pull:',
      '        exporter:',
      '          prometheus: {}',
    ]);
    expect(result.problems.map((p) => `${p.location} ${p.code} ${p.path}: ${p.message}`)).toEqual([
      't.yaml:12:7 STITCH_ERR_CONFIG_UNSUPPORTED_OPTION service.telemetry.traces.processors: "processors" is not supported by Stitch: exporting the collector\'s own traces is not implemented',
      't.yaml:16:7 STITCH_ERR_CONFIG_UNSUPPORTED_OPTION service.telemetry.metrics.views: "views" is not supported by Stitch: self-metrics views are not implemented',
      't.yaml:21:17 STITCH_ERR_CONFIG_UNSUPPORTED_OPTION service.telemetry.metrics.readers[0].pull.exporter.prometheus.without_units: "without_units" is not supported by Stitch: the self-metrics names and labels are fixed (see the telemetry README)',
      't.yaml:22:11 STITCH_ERR_CONFIG_UNSUPPORTED_OPTION service.telemetry.metrics.readers[1]: a second pull reader is not supported by Stitch: Stitch serves its own metrics on one endpoint',
    ]);
  });

  it('reports a reader that is neither pull nor periodic as missing pull', () => {
    const result = load(['metrics:', '  readers:', '    - {}']);
    expect(result.problems.map((p) => `${p.location} ${p.code} ${p.path}`)).toEqual([
      't.yaml:13:11 STITCH_ERR_CONFIG_MISSING service.telemetry.metrics.readers[0].pull',
    ]);
  });
});
