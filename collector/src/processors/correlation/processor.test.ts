import { afterEach, describe, expect, it } from 'vitest';
import { correlationExtensionConfigSchema } from '../../extensions/correlation/config.js';
import { type CorrelationExtension, createCorrelationExtension } from '../../extensions/correlation/extension.js';
import type { LogRecord, LogsData, MetricsData, Span, TracesData } from '../../model/types.js';
import { getStringAttribute, idToHex } from '../../model/values.js';
import { CollectingConsumer, testHost, testSettings } from '../../testing/index.js';
import { correlationProcessorConfigSchema } from './config.js';
import { createCorrelationProcessor } from './processor.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const REQ = '0f8fad5b-d9cb-469f-a165-70867728950e';
const RID = '8e3a2b1c-0000-4000-8000-000000000001';
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const str = (s: string) => ({ stringValue: s });
const RESOURCE = {
  attributes: [
    { key: 'service.name', value: str('checkout') },
    { key: 'k8s.namespace.name', value: str('shop') },
  ],
};

function logs(...records: Partial<LogRecord>[]): LogsData {
  return {
    resourceLogs: [{ resource: RESOURCE, scopeLogs: [{ logRecords: records.map((r) => ({ attributes: [], ...r })) }] }],
  };
}
function traces(...spans: Partial<Span>[]): TracesData {
  return {
    resourceSpans: [
      {
        resource: RESOURCE,
        scopeSpans: [
          {
            spans: spans.map((s) => ({
              traceId: bytes(TRACE),
              spanId: bytes(SPAN),
              name: 'GET /cart',
              kind: 2,
              startTimeUnixNano: 1,
              endTimeUnixNano: 2,
              attributes: [],
              ...s,
            })),
          },
        ],
      },
    ],
  };
}

const running: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.shutdown()));
});

let seq = 0;
async function setup(raw: Record<string, unknown> = {}, withIndex = true) {
  const id = `correlation/t${seq++}`;
  const config = correlationProcessorConfigSchema.parse(raw);
  const settings = testSettings(id, 'processor');
  const ext: CorrelationExtension = createCorrelationExtension(
    testSettings('correlation', 'extension'),
    correlationExtensionConfigSchema.parse({}),
  );
  const host = testHost(withIndex ? { correlation: ext } : {});
  const logsOut = new CollectingConsumer('logs');
  const tracesOut = new CollectingConsumer('traces');
  const metricsOut = new CollectingConsumer('metrics');
  const p = {
    logs: createCorrelationProcessor(settings, config, 'logs', logsOut),
    traces: createCorrelationProcessor(settings, config, 'traces', tracesOut),
    metrics: createCorrelationProcessor(settings, config, 'metrics', metricsOut),
  };
  for (const c of Object.values(p)) {
    await c.start(host);
    running.push(c);
  }
  const metric = async (name: string, labels: Record<string, string>) => {
    const m = await settings.selfTelemetry.registry.getSingleMetric(name)?.get();
    return (
      m?.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0) ?? 0
    );
  };
  return { p, ext, logsOut, tracesOut, metricsOut, metric };
}

describe('correlation processor: normalisation', () => {
  it.each([
    ['reconcileID', 'rid', RID],
    ['reconcile_id', 'rid', RID],
    ['reconcile.id', 'rid', RID],
    ['x-request-id', 'request_id', REQ],
    ['requestId', 'request_id', REQ],
    ['http.request.header.x-request-id', 'request_id', REQ],
  ])('renames %s to %s on logs, spans and exemplars', async (alias, key, value) => {
    const { p, logsOut, tracesOut, metricsOut } = await setup();
    await p.logs.consume(logs({ attributes: [{ key: alias, value: str(value) }] }));
    expect(logsOut.batches[0].resourceLogs[0].scopeLogs[0].logRecords[0].attributes).toEqual([{ key, value: str(value) }]);
    await p.traces.consume(traces({ attributes: [{ key: alias, value: str(value) }] }));
    expect(tracesOut.batches[0].resourceSpans[0].scopeSpans[0].spans[0].attributes).toEqual([{ key, value: str(value) }]);
    const md: MetricsData = {
      resourceMetrics: [
        {
          resource: RESOURCE,
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'http.server.request.duration',
                  unit: 's',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        attributes: [],
                        timeUnixNano: 1,
                        count: 1,
                        bucketCounts: [1],
                        explicitBounds: [],
                        exemplars: [{ timeUnixNano: 1, asDouble: 0.1, filteredAttributes: [{ key: alias, value: str(value) }] }],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    await p.metrics.consume(md);
    const e = metricsOut.batches[0].resourceMetrics[0].scopeMetrics[0].metrics[0].histogram!.dataPoints[0].exemplars![0];
    expect(e.filteredAttributes).toEqual([{ key, value: str(value) }]);
  });

  it('keeps the canonical key when both it and an alias are present; leaves unrelated attributes alone', async () => {
    const { p, logsOut } = await setup();
    await p.logs.consume(
      logs({
        attributes: [
          { key: 'rid', value: str(RID) },
          { key: 'reconcileID', value: str('other') },
          { key: 'http.route', value: str('/cart') },
        ],
      }),
    );
    expect(logsOut.batches[0].resourceLogs[0].scopeLogs[0].logRecords[0].attributes.map((a) => a.key)).toEqual([
      'rid',
      'http.route',
    ]);
  });

  it('removes hostile IDs (10 kB, control characters, bad trace IDs) and counts them', async () => {
    const { p, logsOut, metric } = await setup();
    await p.logs.consume(
      logs(
        { attributes: [{ key: 'request_id', value: str('x'.repeat(10_240)) }] },
        {
          attributes: [
            { key: 'rid', value: str('bad\u0000id\n') },
            { key: 'msg', value: str('ok') },
          ],
        },
        { body: str(JSON.stringify({ trace_id: 'zz', requestId: 'a"b' })) },
      ),
    );
    const records = logsOut.batches[0].resourceLogs[0].scopeLogs[0].logRecords;
    expect(records.map((r) => r.attributes.map((a) => a.key))).toEqual([[], ['msg'], []]);
    expect(idToHex(records[2].traceId)).toBe('');
    const rejected = (labels: Record<string, string>) =>
      metric('stitch_processor_correlation_rejected_ids_total', { reason: 'invalid_data', ...labels });
    expect(await rejected({})).toBe(4);
    expect(await rejected({ key: 'request_id', problem: 'too_long' })).toBe(1);
    expect(await rejected({ key: 'rid', problem: 'bad_charset' })).toBe(1);
    expect(await rejected({ key: 'trace_id', problem: 'bad_format' })).toBe(1);
  });
});

describe('correlation processor: JSON bodies', () => {
  it('lifts IDs out of pino JSON lines and kvlist bodies, trace IDs into the trace context', async () => {
    const { p, logsOut } = await setup();
    const pino = JSON.stringify({ level: 30, msg: 'done', reconcileID: RID, trace_id: TRACE, span_id: SPAN });
    await p.logs.consume(
      logs(
        { body: str(pino) },
        {
          body: {
            kvlistValue: { values: [{ key: 'req', value: { kvlistValue: { values: [{ key: 'id', value: str(REQ) }] } } }] },
          },
        },
        { body: str('plain text request_id=nope') },
      ),
    );
    const [a, b, c] = logsOut.batches[0].resourceLogs[0].scopeLogs[0].logRecords;
    expect(a.attributes).toEqual([{ key: 'rid', value: str(RID) }]);
    expect([idToHex(a.traceId), idToHex(a.spanId)]).toEqual([TRACE, SPAN]);
    expect(a.body).toEqual(str(pino)); // the line itself is untouched
    expect(b.attributes).toEqual([{ key: 'request_id', value: str(REQ) }]);
    expect(c.attributes).toEqual([]);
  });

  it('does not parse bodies when parse_json_body is off', async () => {
    const { p, logsOut } = await setup({ parse_json_body: false });
    await p.logs.consume(logs({ body: str(JSON.stringify({ rid: RID })) }));
    expect(logsOut.batches[0].resourceLogs[0].scopeLogs[0].logRecords[0].attributes).toEqual([]);
  });
});

describe('correlation processor: log ↔ span join', () => {
  it('gives a log line without trace context the trace of the span that carried its request_id', async () => {
    const { p, logsOut, metric } = await setup();
    await p.traces.consume(traces({ attributes: [{ key: 'request_id', value: str(REQ) }] }));
    await p.logs.consume(logs({ attributes: [{ key: 'request_id', value: str(REQ) }] }, { attributes: [] }));
    const [joined, other] = logsOut.batches[0].resourceLogs[0].scopeLogs[0].logRecords;
    expect([idToHex(joined.traceId), idToHex(joined.spanId)]).toEqual([TRACE, SPAN]);
    expect(idToHex(other.traceId)).toBe('');
    expect(await metric('stitch_processor_correlation_joined_total', { direction: 'log' })).toBe(1);
  });

  it('never overwrites a trace context the log line has', async () => {
    const { p, logsOut } = await setup();
    await p.traces.consume(traces({ attributes: [{ key: 'rid', value: str(RID) }] }));
    const own = 'aa'.repeat(16);
    await p.logs.consume(logs({ traceId: bytes(own), attributes: [{ key: 'rid', value: str(RID) }] }));
    expect(idToHex(logsOut.batches[0].resourceLogs[0].scopeLogs[0].logRecords[0].traceId)).toBe(own);
  });

  it('forgets spans after join_window', async () => {
    const { p, logsOut } = await setup({ join_window: '40ms' });
    await p.traces.consume(traces({ attributes: [{ key: 'rid', value: str(RID) }] }));
    await new Promise((r) => setTimeout(r, 80));
    await p.logs.consume(logs({ attributes: [{ key: 'rid', value: str(RID) }] }));
    expect(idToHex(logsOut.batches[0].resourceLogs[0].scopeLogs[0].logRecords[0].traceId)).toBe('');
  });

  it('adds request_id to spans of a trace whose log lines carried it (the reverse join)', async () => {
    const { p, tracesOut, metric } = await setup();
    await p.logs.consume(
      logs({ traceId: bytes(TRACE), spanId: bytes(SPAN), attributes: [{ key: 'request_id', value: str(REQ) }] }),
    );
    await p.traces.consume(traces({ name: 'SELECT', attributes: [] }));
    const span = tracesOut.batches[0].resourceSpans[0].scopeSpans[0].spans[0];
    expect(getStringAttribute(span.attributes, 'request_id')).toBe(REQ);
    expect(await metric('stitch_processor_correlation_joined_total', { direction: 'span' })).toBe(1);
  });

  it('does not join when attach_trace_context is off', async () => {
    const { p, logsOut } = await setup({ attach_trace_context: false });
    await p.traces.consume(traces({ attributes: [{ key: 'request_id', value: str(REQ) }] }));
    await p.logs.consume(logs({ attributes: [{ key: 'request_id', value: str(REQ) }] }));
    expect(idToHex(logsOut.batches[0].resourceLogs[0].scopeLogs[0].logRecords[0].traceId)).toBe('');
  });
});

describe('correlation processor: the index', () => {
  it('feeds counts, links and series to the correlation extension', async () => {
    const { p, ext } = await setup();
    await p.traces.consume(traces({ attributes: [{ key: 'request_id', value: str(REQ) }], status: { code: 2 } }));
    await p.logs.consume(
      logs(
        { attributes: [{ key: 'request_id', value: str(REQ) }], severityNumber: 9 },
        { attributes: [{ key: 'request_id', value: str(REQ) }], severityNumber: 17 },
      ),
    );
    await p.metrics.consume({
      resourceMetrics: [
        {
          resource: RESOURCE,
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'http.server.request.duration',
                  unit: 's',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      {
                        attributes: [{ key: 'http.route', value: str('/cart') }],
                        timeUnixNano: 1,
                        count: 1,
                        bucketCounts: [1],
                        explicitBounds: [],
                        exemplars: [
                          {
                            timeUnixNano: 1,
                            asDouble: 0.1,
                            traceId: bytes(TRACE),
                            spanId: bytes(SPAN),
                            filteredAttributes: [{ key: 'request_id', value: str(REQ) }],
                          },
                        ],
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    const e = ext.index.get(REQ)!;
    expect(e).toMatchObject({
      kind: 'request',
      service: 'checkout',
      namespace: 'shop',
      logCount: 2,
      errorLogCount: 1,
      spanCount: 1,
      errorSpanCount: 1,
    });
    expect(e.traceIds).toEqual([TRACE]);
    expect(e.series.map((s) => [s.name, s.suffix, s.labels])).toEqual([
      ['http_server_request_duration_seconds', '_bucket', { http_route: '/cart', job: 'checkout' }],
    ]);
    // both log lines were joined to the span's trace, so the trace entry counts them too
    expect(ext.index.get(TRACE)).toMatchObject({ kind: 'trace', logCount: 2, spanCount: 1, requestIds: [REQ] });
  });

  it('fails to start when `index` names an extension that does not run', async () => {
    const settings = testSettings('correlation', 'processor');
    const p = createCorrelationProcessor(
      settings,
      correlationProcessorConfigSchema.parse({ index: 'correlation/x' }),
      'logs',
      new CollectingConsumer('logs'),
    );
    await expect(p.start(testHost())).rejects.toMatchObject({ code: 'STITCH_ERR_EXTENSION_UNDEFINED' });
    await p.shutdown();
    await p.shutdown();
  });

  it('works without an index and rejects data after shutdown', async () => {
    const { p, logsOut } = await setup({}, false);
    await p.logs.consume(logs({ attributes: [{ key: 'reconcile_id', value: str(RID) }] }));
    expect(logsOut.itemCount).toBe(1);
    await p.logs.shutdown();
    await expect(p.logs.consume(logs({}))).rejects.toMatchObject({ code: 'STITCH_ERR_SHUTDOWN' });
  });
});
