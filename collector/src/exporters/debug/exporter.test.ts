import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sampleLogs, sampleMetricPoints, sampleMetrics, sampleTraces } from '../../component/conformance/sample-data.js';
import { decodeRequest } from '../../model/otlp-codec.js';
import type { Signal } from '../../model/types.js';
import { testHost, testSettings } from '../../testing/index.js';
import { type DebugConfig, debugConfigSchema } from './config.js';
import { createDebugExporter, type DebugOutput } from './exporter.js';

class Capture extends EventEmitter implements DebugOutput {
  text = '';
  full = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return !this.full;
  }
}

const NOW = Date.parse('2024-05-01T12:00:00.250Z');

function make(
  raw: Partial<Record<keyof DebugConfig, unknown>>,
  signals: Signal[] = ['traces', 'metrics', 'logs'],
  now = () => NOW,
) {
  const out = new Capture();
  const settings = testSettings('debug', 'exporter');
  const exp = createDebugExporter(settings, debugConfigSchema.parse(raw), signals, { output: out, now });
  return { exp, out, settings };
}

describe('debug exporter', () => {
  it('basic: one summary line per batch, with timestamp, level and component fields', async () => {
    const { exp, out, settings } = make({});
    await exp.start(testHost());
    await exp.consumers.traces?.consume(sampleTraces({ resources: 2, items: 3 }));
    await exp.consumers.metrics?.consume(sampleMetrics({ items: 2 }));
    await exp.consumers.logs?.consume(sampleLogs({ items: 4 }));
    expect(out.text).toBe(
      '2024-05-01T12:00:00.250Z\tinfo\tTraces\t{"kind": "exporter", "data_type": "traces", "name": "debug", "resource spans": 2, "spans": 6}\n' +
        '2024-05-01T12:00:00.250Z\tinfo\tMetrics\t{"kind": "exporter", "data_type": "metrics", "name": "debug", "resource metrics": 1, "metrics": 2, "data points": 2}\n' +
        '2024-05-01T12:00:00.250Z\tinfo\tLogs\t{"kind": "exporter", "data_type": "logs", "name": "debug", "resource logs": 1, "log records": 4}\n',
    );
    expect(await settings.selfTelemetry.metrics()).toMatch(
      /stitch_exporter_sent_items_total\{component_id="debug",signal="traces"\} 6/,
    );
  });

  it('normal: about one line per record', async () => {
    const { exp, out } = make({ verbosity: 'normal', use_internal_logger: false });
    await exp.consumers.traces?.consume(sampleTraces({ items: 2 }));
    await exp.consumers.logs?.consume(sampleLogs({ items: 1 }));
    await exp.consumers.metrics?.consume(sampleMetricPoints(2));
    expect(out.text).toBe(
      [
        'Traces\t{"resource spans": 1, "spans": 2}',
        'ResourceTraces #0 service.name=sample-svc-0',
        'ScopeTraces #0 sample-scope-0@1.0.0',
        'sample-r0-s0-0 00000000000000000000000000000abc 0000000000000001 http.route=/items/:id http.response.status_code=200',
        'sample-r0-s0-1 00000000000000000000000000000abc 0000000000000002 http.route=/items/:id http.response.status_code=200',
        'Logs\t{"resource logs": 1, "log records": 1}',
        'ResourceLog #0 service.name=sample-svc-0',
        'ScopeLog #0 sample-scope-0',
        'sample-r0-s0-0 request_id=req-0-0-0',
        'Metrics\t{"resource metrics": 1, "metrics": 1, "data points": 2}',
        'ResourceMetrics #0 service.name=sample-svc',
        'ScopeMetrics #0 sample-scope',
        'sample.points{point=0} 0',
        'sample.points{point=1} 1',
        '',
      ].join('\n'),
    );
  });

  it('detailed: every field in the Collector text layout', async () => {
    const { exp, out } = make({ verbosity: 'detailed', use_internal_logger: false });
    await exp.consumers.traces?.consume(sampleTraces({ items: 1 }));
    expect(out.text).toBe(
      [
        'Traces\t{"resource spans": 1, "spans": 1}',
        'ResourceSpans #0',
        'Resource SchemaURL: ',
        'Resource attributes:',
        '     -> service.name: Str(sample-svc-0)',
        'ScopeSpans #0',
        'ScopeSpans SchemaURL: ',
        'InstrumentationScope sample-scope-0 1.0.0',
        'Span #0',
        '    Trace ID       : 00000000000000000000000000000abc',
        '    Parent ID      : ',
        '    ID             : 0000000000000001',
        '    Name           : sample-r0-s0-0',
        '    Kind           : Server',
        '    Start time     : 2023-11-14 22:13:20.000001 +0000 UTC',
        '    End time       : 2023-11-14 22:13:20.0000015 +0000 UTC',
        '    Status code    : Unset',
        '    Status message : ',
        'Attributes:',
        '     -> http.route: Str(/items/:id)',
        '     -> http.response.status_code: Int(200)',
        '',
      ].join('\n'),
    );
  });

  it('detailed logs and metrics', async () => {
    const { exp, out } = make({ verbosity: 'detailed', use_internal_logger: false });
    await exp.consumers.logs?.consume(sampleLogs({ items: 1 }));
    const hist = decodeRequest(
      'metrics',
      Buffer.from(
        JSON.stringify({
          resourceMetrics: [
            {
              scopeMetrics: [
                {
                  metrics: [
                    {
                      name: 'http.server.duration',
                      unit: 'ms',
                      histogram: {
                        aggregationTemporality: 2,
                        dataPoints: [
                          {
                            timeUnixNano: '1000000000',
                            count: '3',
                            sum: 7.5,
                            bucketCounts: ['1', '2'],
                            explicitBounds: [5],
                            exemplars: [{ timeUnixNano: '1000000000', asDouble: 4, traceId: '0102030405060708090a0b0c0d0e0f10' }],
                          },
                        ],
                      },
                    },
                  ],
                },
              ],
            },
          ],
        }),
      ),
      'json',
    );
    await exp.consumers.metrics?.consume(hist);
    expect(out.text).toContain(
      [
        'LogRecord #0',
        'ObservedTimestamp: 1970-01-01 00:00:00 +0000 UTC',
        'Timestamp: 2023-11-14 22:13:20 +0000 UTC',
        'SeverityText: INFO',
        'SeverityNumber: Info(9)',
        'Body: Str(sample-r0-s0-0)',
        'Attributes:',
        '     -> request_id: Str(req-0-0-0)',
        'Trace ID: ',
        'Span ID: ',
        'Flags: 0',
      ].join('\n'),
    );
    expect(out.text).toContain(
      [
        'Metric #0',
        'Descriptor:',
        '     -> Name: http.server.duration',
        '     -> Description: ',
        '     -> Unit: ms',
        '     -> DataType: Histogram',
        '     -> AggregationTemporality: Cumulative',
        'HistogramDataPoints #0',
        'StartTimestamp: 1970-01-01 00:00:00 +0000 UTC',
        'Timestamp: 1970-01-01 00:00:01 +0000 UTC',
        'Count: 3',
        'Sum: 7.500000',
        'ExplicitBounds #0: 5.000000',
        'Buckets #0, Count: 1',
        'Buckets #1, Count: 2',
        'Exemplars:',
        'Exemplar #0',
        '     -> Trace ID: 0102030405060708090a0b0c0d0e0f10',
        '     -> Span ID: ',
        '     -> Timestamp: 1970-01-01 00:00:01 +0000 UTC',
        '     -> Value: 4.000000',
      ].join('\n'),
    );
  });

  it('samples per second: sampling_initial batches, then every sampling_thereafter-th', async () => {
    let now = NOW;
    const { exp, out, settings } = make(
      { sampling_initial: 2, sampling_thereafter: 3, use_internal_logger: false },
      ['logs'],
      () => now,
    );
    for (let i = 0; i < 8; i++) await exp.consumers.logs?.consume(sampleLogs({ items: 1 }));
    // 1, 2 (initial), then the 3rd after them: batch 5 and 8.
    expect(out.text.split('\n').filter(Boolean)).toHaveLength(4);
    now += 1000; // a new second starts over
    await exp.consumers.logs?.consume(sampleLogs({ items: 1 }));
    expect(out.text.split('\n').filter(Boolean)).toHaveLength(5);
    // Sampling only thins the output: every item still counts as sent.
    expect(await settings.selfTelemetry.metrics()).toMatch(
      /stitch_exporter_sent_items_total\{component_id="debug",signal="logs"\} 9/,
    );
  });

  it('waits for the output to drain instead of buffering without bound', async () => {
    const { exp, out } = make({ use_internal_logger: false }, ['logs']);
    out.full = true;
    await exp.consumers.logs?.consume(sampleLogs({ items: 1 }));
    let second = false;
    const p = exp.consumers.logs?.consume(sampleLogs({ items: 1 })).then(() => {
      second = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBe(false);
    out.full = false;
    out.emit('drain');
    await p;
    expect(second).toBe(true);
  });

  it('shutdown is idempotent and safe without start; consume after shutdown rejects', async () => {
    const { exp } = make({});
    await exp.shutdown();
    await exp.shutdown();
    await expect(exp.consumers.traces?.consume(sampleTraces())).rejects.toMatchObject({ code: 'STITCH_ERR_SHUTDOWN' });
  });

  it('rejects an unknown verbosity', () => {
    const r = debugConfigSchema.safeParse({ verbosity: 'verbose' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['verbosity']);
    expect(debugConfigSchema.parse({})).toEqual({
      verbosity: 'basic',
      sampling_initial: 2,
      sampling_thereafter: 1,
      use_internal_logger: true,
    });
  });
  it('internal-logger lines name their signal even when the data holds the same text', async () => {
    const { exp, out } = make({ verbosity: 'detailed' }, ['logs']);
    await exp.start(testHost());
    const logs = sampleLogs({ resources: 1, items: 1 });
    logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body = { stringValue: '{"data_type": ""}' };
    await exp.consumers.logs?.consume(logs);
    const types = [...out.text.matchAll(/\t\{"kind": "exporter", "data_type": "([^"]*)"/g)].map((m) => m[1]);
    expect(types).toEqual(['logs', 'logs']); // the summary line and the detailed dump
    expect(out.text).toContain('{"data_type": ""}'); // the body as sent
  });
});
