import { describe, expect, it } from 'vitest';
import { assertValid, loadConfig } from './index.js';
import { fakeRegistry } from './testdata/fake-factories.js';

const registry = fakeRegistry();

function load(lines: string[]) {
  return loadConfig({ files: ['p.yaml'], env: {}, registry, readFile: () => `${lines.join('\n')}\n` });
}

function summary(lines: string[]): string[] {
  return load(lines).problems.map((p) => `${p.location.replace('p.yaml:', '')} ${p.code} ${p.path}: ${p.message}`);
}

const components = [
  'receivers:',
  '  otlp:',
  '  filelog:',
  '    include: [/x]',
  'processors:',
  '  batch:',
  'exporters:',
  '  debug:',
];

describe('service.pipelines', () => {
  it('lets one receiver and one processor serve several pipelines', () => {
    const config = assertValid(
      load([
        ...components,
        'service:',
        '  pipelines:',
        '    traces:',
        '      receivers: [otlp]',
        '      processors: [batch]',
        '      exporters: [debug]',
        '    logs/files:',
        '      receivers: [otlp, filelog]',
        '      processors: [batch]',
        '      exporters: [debug]',
      ]),
    );
    expect([...config.service.pipelines.keys()]).toEqual(['traces', 'logs/files']);
    expect(config.service.pipelines.get('logs/files')?.signal).toBe('logs');
    expect([...config.receivers.keys()]).toEqual(['otlp', 'filelog']);
  });

  it('ignores configured components that no pipeline uses, even for signals they lack, but still checks their config', () => {
    const ok = assertValid(
      load([...components, 'service:', '  pipelines:', '    traces:', '      receivers: [otlp]', '      exporters: [debug]']),
    );
    expect([...ok.receivers.keys()]).toEqual(['otlp']);
    expect(ok.processors.size).toBe(0);
    expect(
      summary([
        'receivers:',
        '  otlp:',
        '  filelog:',
        'exporters:',
        '  debug:',
        'service:',
        '  pipelines:',
        '    traces:',
        '      receivers: [otlp]',
        '      exporters: [debug]',
      ]),
    ).toEqual(['3:3 STITCH_ERR_CONFIG_MISSING receivers.filelog.include: missing required option "include"']);
  });

  it('reports a component listed twice in any list, once per repeat', () => {
    expect(
      summary([
        ...components,
        'service:',
        '  pipelines:',
        '    logs:',
        '      receivers: [otlp, otlp]',
        '      processors: [batch, batch, batch]',
        '      exporters: [debug]',
      ]),
    ).toEqual([
      '12:25 STITCH_ERR_PIPELINE_DUPLICATE service.pipelines.logs.receivers[1]: references receiver "otlp" multiple times',
      '13:27 STITCH_ERR_PIPELINE_DUPLICATE service.pipelines.logs.processors[1]: references processor "batch" multiple times',
      '13:34 STITCH_ERR_PIPELINE_DUPLICATE service.pipelines.logs.processors[2]: references processor "batch" multiple times',
    ]);
  });

  it('reports a pipeline with neither receivers nor exporters (null body) at its key', () => {
    expect(summary([...components, 'service:', '  pipelines:', '    metrics:'])).toEqual([
      '11:5 STITCH_ERR_PIPELINE_NO_RECEIVERS service.pipelines.metrics: must have at least one receiver',
      '11:5 STITCH_ERR_PIPELINE_NO_EXPORTERS service.pipelines.metrics: must have at least one exporter',
    ]);
  });

  it('reports no service section as no pipelines, at the top of the file', () => {
    expect(summary(components)).toEqual([
      '1:1 STITCH_ERR_PIPELINE_NONE service.pipelines: service.pipelines: at least one pipeline is required',
    ]);
  });

  it('rejects unknown keys in a pipeline with a suggestion', () => {
    expect(
      summary([...components, 'service:', '  pipelines:', '    logs:', '      receivers: [otlp]', '      exporter: [debug]']),
    ).toEqual([
      '13:7 STITCH_ERR_CONFIG_UNKNOWN_KEY service.pipelines.logs.exporter: unknown key "exporter" (did you mean "exporters"?)',
    ]);
  });
});

describe('connectors', () => {
  const base = [
    'receivers:',
    '  otlp:',
    'exporters:',
    '  debug:',
    'connectors:',
    '  count:',
    '  forward:',
    'service:',
    '  pipelines:',
  ];

  it('accepts a connector that is an exporter in one pipeline and a receiver in another with a supported pair', () => {
    const config = assertValid(
      load([
        ...base,
        '    logs:',
        '      receivers: [otlp]',
        '      exporters: [count]',
        '    metrics:',
        '      receivers: [count]',
        '      exporters: [debug]',
      ]),
    );
    expect([...config.connectors.keys()]).toEqual(['count']);
    expect(config.receivers.has('count')).toBe(false);
    expect(config.exporters.has('count')).toBe(false);
  });

  it('reports a connector used only as a receiver', () => {
    expect(summary([...base, '    metrics:', '      receivers: [otlp, count]', '      exporters: [debug]'])).toEqual([
      '11:25 STITCH_ERR_PIPELINE_CONNECTOR_UNUSED service.pipelines.metrics.receivers[1]: connector "count" must be used as an exporter in one pipeline and as a receiver in another; it is only a receiver (in metrics)',
    ]);
  });

  it('reports a connector whose exporter side cannot reach the signal of its receiver side', () => {
    // count makes metrics from traces or logs; here it would have to make traces.
    expect(
      summary([
        ...base,
        '    logs:',
        '      receivers: [otlp]',
        '      exporters: [count]',
        '    traces:',
        '      receivers: [count]',
        '      exporters: [debug]',
      ]),
    ).toEqual([
      '12:19 STITCH_ERR_PIPELINE_SIGNAL_UNSUPPORTED service.pipelines.logs.exporters[0]: connector "count" does not support logs→traces: from logs it can only feed a metrics pipeline, but it is a receiver only in traces pipelines',
      '14:19 STITCH_ERR_PIPELINE_SIGNAL_UNSUPPORTED service.pipelines.traces.receivers[0]: connector "count" does not support traces as a receiver (it connects traces→metrics, logs→metrics)',
    ]);
  });

  it('reports a pipeline feeding itself through a connector as a cycle', () => {
    expect(summary([...base, '    logs:', '      receivers: [otlp, forward]', '      exporters: [debug, forward]'])).toEqual([
      '10:5 STITCH_ERR_PIPELINE_CYCLE service.pipelines.logs: pipelines form a cycle through logs → [forward] → logs',
    ]);
  });

  it('does not call a chain of pipelines without a loop a cycle', () => {
    assertValid(
      load([
        ...base.slice(0, 7),
        '  forward/b:',
        'service:',
        '  pipelines:',
        '    logs/a:',
        '      receivers: [otlp]',
        '      exporters: [forward]',
        '    logs/b:',
        '      receivers: [forward]',
        '      exporters: [forward/b]',
        '    logs/c:',
        '      receivers: [forward/b]',
        '      exporters: [debug]',
      ]),
    );
  });
});

describe('service.extensions', () => {
  it('keeps only the listed extensions', () => {
    const config = assertValid(
      load([
        'receivers:',
        '  otlp:',
        'exporters:',
        '  debug:',
        'extensions:',
        '  health_check:',
        '    endpoint: 127.0.0.1:13133',
        '  pprof:',
        'service:',
        '  extensions: [health_check]',
        '  pipelines:',
        '    logs:',
        '      receivers: [otlp]',
        '      exporters: [debug]',
      ]),
    );
    expect([...config.extensions.keys()]).toEqual(['health_check']);
    expect(config.extensions.get('health_check')?.config).toEqual({ endpoint: '127.0.0.1:13133' });
    expect(config.service.extensions).toEqual(['health_check']);
  });
});
