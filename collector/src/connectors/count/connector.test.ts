import { describe, expect, it } from 'vitest';
import type { LogRecord, LogsData, MetricsData, TracesData } from '../../model/types.js';
import { idToHex, int64ToNumber } from '../../model/values.js';
import { CollectingConsumer, testSettings } from '../../testing/index.js';
import { countConnectorConfigSchema } from './config.js';
import { COUNT_SCOPE, createCountConnector, severityOf } from './connector.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const str = (s: string) => ({ stringValue: s });
const RESOURCE = { attributes: [{ key: 'service.name', value: str('checkout') }] };

function logs(...records: Partial<LogRecord>[]): LogsData {
  return { resourceLogs: [{ resource: RESOURCE, scopeLogs: [{ logRecords: records.map((r) => ({ attributes: [], ...r })) }] }] };
}

function points(md: MetricsData, name: string) {
  const m = md.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)).find((x) => x.name === name);
  return (m?.sum?.dataPoints ?? []).map((p) => ({
    attrs: Object.fromEntries(p.attributes.map((a) => [a.key, a.value?.stringValue ?? a.value?.boolValue])),
    value: int64ToNumber(p.asInt),
    exemplars: p.exemplars ?? [],
  }));
}

function connector(raw: Record<string, unknown>, from: 'logs' | 'traces' | 'metrics' = 'logs') {
  const out = new CollectingConsumer('metrics');
  const c = createCountConnector(testSettings('count', 'connector'), countConnectorConfigSchema.parse(raw), from, out);
  return { c, out };
}

describe('count connector', () => {
  it('keeps contrib defaults for spans, metrics and data points; Stitch counts logs by severity and controller', () => {
    const c = countConnectorConfigSchema.parse({});
    expect(c.spans).toEqual({
      'trace.span.count': { description: 'The number of spans observed.', conditions: [], attributes: [] },
    });
    expect(c.datapoints['metric.datapoint.count']?.description).toBe('The number of data points observed.');
    expect(c.logs['log.record.count']?.attributes).toEqual([
      { key: 'severity', optional: false },
      { key: 'controller', optional: true },
    ]);
    expect(c.aggregation_temporality).toBe('AGGREGATION_TEMPORALITY_DELTA');
    // setting a section replaces its default entirely (contrib)
    expect(Object.keys(countConnectorConfigSchema.parse({ logs: { errors: {} } }).logs)).toEqual(['errors']);
  });

  it('counts log records by severity and controller, each data point with an exemplar pointing at a log line', async () => {
    const { c, out } = connector({});
    await c.consume(
      logs(
        { severityText: 'info', attributes: [{ key: 'request_id', value: str('req-1') }] },
        {
          severityNumber: 17,
          traceId: bytes(TRACE),
          spanId: bytes(SPAN),
          attributes: [{ key: 'request_id', value: str('req-2') }],
        },
        {
          severityNumber: 17,
          attributes: [
            { key: 'controller', value: str('widgets') },
            { key: 'reconcileID', value: str('rid-1') },
          ],
        },
        { severityNumber: 9 },
      ),
    );
    const md = out.batches[0]!;
    expect(md.resourceMetrics[0]!.resource!.attributes).toEqual(RESOURCE.attributes);
    expect(md.resourceMetrics[0]!.scopeMetrics[0]!.scope!.name).toBe(COUNT_SCOPE);
    const p = points(md, 'log.record.count');
    expect(p.map((x) => [x.attrs, x.value])).toEqual([
      [{ severity: 'INFO' }, 2],
      [{ severity: 'ERROR' }, 1],
      [{ severity: 'ERROR', controller: 'widgets' }, 1],
    ]);
    const info = p[0]!.exemplars[0]!;
    expect(info.filteredAttributes).toEqual([{ key: 'request_id', value: str('req-1') }]);
    const error = p[1]!.exemplars[0]!;
    expect([idToHex(error.traceId), idToHex(error.spanId), error.filteredAttributes]).toEqual([
      TRACE,
      SPAN,
      [{ key: 'request_id', value: str('req-2') }],
    ]);
    expect(p[2]!.exemplars[0]!.filteredAttributes).toEqual([{ key: 'rid', value: str('rid-1') }]);
  });

  it('applies OTTL conditions (ORed), required attributes with default_value, and skips items missing one', async () => {
    const { c, out } = connector({
      logs: {
        'errors.by.route': {
          conditions: ['severity_number >= SEVERITY_NUMBER_ERROR', 'attributes["forced"] == true'],
          attributes: [{ key: 'http.route' }, { key: 'tenant', default_value: 'none' }],
        },
      },
      exemplars: { enabled: false },
    });
    await c.consume(
      logs(
        { severityNumber: 17, attributes: [{ key: 'http.route', value: str('/a') }] },
        {
          severityNumber: 9,
          attributes: [
            { key: 'http.route', value: str('/a') },
            { key: 'forced', value: { boolValue: true } },
          ],
        },
        { severityNumber: 9, attributes: [{ key: 'http.route', value: str('/a') }] },
        { severityNumber: 21 }, // no http.route: not counted
      ),
    );
    expect(points(out.batches[0]!, 'errors.by.route')).toEqual([
      { attrs: { 'http.route': '/a', tenant: 'none' }, value: 2, exemplars: [] },
    ]);
  });

  it('emits deltas by default and running totals with AGGREGATION_TEMPORALITY_CUMULATIVE', async () => {
    const d = connector({});
    await d.c.consume(logs({ severityNumber: 9 }));
    await d.c.consume(logs({ severityNumber: 9 }, { severityNumber: 9 }));
    expect(d.out.batches.map((b) => points(b, 'log.record.count')[0]!.value)).toEqual([1, 2]);
    expect(d.out.batches[0]!.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.sum!.aggregationTemporality).toBe(1);

    const cu = connector({ aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE', aggregation_cardinality_limit: 2 });
    await cu.c.consume(logs({ severityNumber: 9 }));
    await cu.c.consume(logs({ severityNumber: 9 }, { severityNumber: 13 }, { severityNumber: 17 }, { severityNumber: 1 }));
    const last = points(cu.out.batches[1]!, 'log.record.count');
    expect(last.map((x) => [x.attrs, x.value])).toEqual([
      [{ severity: 'INFO' }, 2],
      [{ severity: 'WARN' }, 1],
      [{ 'otel.metric.overflow': true }, 2], // ERROR and TRACE, folded into one point
    ]);
  });

  it('counts spans and span events from traces, and metrics and data points from metrics', async () => {
    const t = connector({}, 'traces');
    const traces: TracesData = {
      resourceSpans: [
        {
          resource: RESOURCE,
          scopeSpans: [
            {
              spans: [
                {
                  traceId: bytes(TRACE),
                  spanId: bytes(SPAN),
                  name: 's',
                  kind: 2,
                  startTimeUnixNano: 1,
                  endTimeUnixNano: 2,
                  attributes: [{ key: 'request_id', value: str('req-9') }],
                  events: [{ name: 'e', timeUnixNano: 1, attributes: [] }],
                },
              ],
            },
          ],
        },
      ],
    };
    await t.c.consume(traces);
    expect(points(t.out.batches[0]!, 'trace.span.count')[0]).toMatchObject({ value: 1 });
    expect(points(t.out.batches[0]!, 'trace.span.count')[0]!.exemplars[0]!.filteredAttributes).toEqual([
      { key: 'request_id', value: str('req-9') },
    ]);
    expect(points(t.out.batches[0]!, 'trace.span.event.count')[0]).toMatchObject({ value: 1 });

    const m = connector({}, 'metrics');
    await m.c.consume({
      resourceMetrics: [
        {
          resource: RESOURCE,
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'g',
                  gauge: {
                    dataPoints: [
                      { attributes: [], timeUnixNano: 1, asDouble: 1 },
                      { attributes: [], timeUnixNano: 1, asDouble: 2 },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(points(m.out.batches[0]!, 'metric.count')[0]!.value).toBe(1);
    expect(points(m.out.batches[0]!, 'metric.datapoint.count')[0]!.value).toBe(2);
  });

  it('rejects bad conditions and metrics attributes at config time', () => {
    const bad = countConnectorConfigSchema.safeParse({
      logs: { x: { conditions: ['attributes["a"] ==='] } },
      metrics: { y: { attributes: [{ key: 'a' }] } },
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['logs.x.conditions.0', 'metrics.y.attributes']));
  });

  it('names severities from their numbers', () => {
    expect([1, 5, 9, 13, 17, 21, 24, 0].map((n) => severityOf({ severityNumber: n, attributes: [] }))).toEqual([
      'TRACE',
      'DEBUG',
      'INFO',
      'WARN',
      'ERROR',
      'FATAL',
      'FATAL',
      'UNSPECIFIED',
    ]);
  });
});
