import { readFileSync } from 'node:fs';
import Long from 'long';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { LogsData, MetricsData, Signal, SignalData, TracesData } from '../../model/types.js';
import { objectToAttributes } from '../../model/values.js';
import { CollectingConsumer, testSettings } from '../../testing/index.js';
import { filterConfigSchema } from './config.js';
import { createFilterProcessor } from './processor.js';

const examples = parse(readFileSync(new URL('./testdata/config.yaml', import.meta.url), 'utf8')).processors as Record<
  string,
  unknown
>;

async function run<S extends Signal>(id: string, signal: S, batch: SignalData[S], raw: unknown = examples[id]) {
  const settings = testSettings(id, 'processor');
  const next = new CollectingConsumer(signal);
  const p = createFilterProcessor(settings, filterConfigSchema.parse(raw), signal, next);
  await p.consume(batch);
  const dropped = (await settings.selfTelemetry.registry.getSingleMetricAsString('stitch_component_dropped_items_total'))
    .split('\n')
    .find((l) => l.includes('reason="filtered"'));
  return { next, dropped: dropped ? Number(dropped.split(' ').at(-1)) : 0 };
}

function spans(list: { name: string; attrs?: Record<string, unknown>; host?: string; events?: string[] }[]): TracesData {
  return {
    resourceSpans: list.map((s) => ({
      resource: { attributes: objectToAttributes({ 'host.name': s.host ?? 'node-1', 'service.name': 'svc' }) },
      scopeSpans: [
        {
          spans: [
            {
              traceId: new Uint8Array(16),
              spanId: new Uint8Array(8),
              name: s.name,
              kind: 2,
              startTimeUnixNano: 0,
              endTimeUnixNano: 0,
              attributes: objectToAttributes(s.attrs ?? {}),
              events: (s.events ?? []).map((name) => ({ name, timeUnixNano: 0, attributes: [] })),
            },
          ],
        },
      ],
    })),
  };
}

const names = (t: TracesData) => t.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));

describe('filter processor', () => {
  it('drops spans matching any condition, then span events, and counts them as filtered', async () => {
    const { next, dropped } = await run(
      'filter/ottl',
      'traces',
      spans([
        { name: 'a', attrs: { 'container.name': 'app_container_1' } },
        { name: 'b', host: 'localhost' },
        { name: 'app_3' },
        { name: 'kept', events: ['grpc.call', 'exception'] },
      ]),
    );
    const out = next.batches[0] as TracesData;
    expect(names(out)).toEqual(['kept']);
    expect(out.resourceSpans).toHaveLength(1);
    expect(out.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.events?.map((e) => e.name)).toEqual(['exception']);
    expect(dropped).toBe(3);
  });

  it('accepts a batch that is dropped entirely without calling the next consumer', async () => {
    const { next, dropped } = await run('filter/drop_non_http', 'traces', spans([{ name: 'x' }, { name: 'y' }]));
    expect(next.batches).toHaveLength(0);
    expect(dropped).toBe(2);
  });

  it('drops metrics and data points; a metric with no points left goes too', async () => {
    const pt = (v: number, attrs: Record<string, unknown> = {}) => ({
      attributes: objectToAttributes(attrs),
      timeUnixNano: 0,
      asInt: Long.fromNumber(v),
    });
    const md: MetricsData = {
      resourceMetrics: [
        {
          resource: { attributes: objectToAttributes({ 'service.name': 'svc' }) },
          scopeMetrics: [
            {
              metrics: [
                { name: 'k8s.pod.phase', gauge: { dataPoints: [pt(4), pt(2)] } },
                { name: 'k8s.pod.phase2', gauge: { dataPoints: [pt(4)] } },
                {
                  name: 'http.requests',
                  sum: { dataPoints: [pt(1, { 'http.method': 'GET' })], aggregationTemporality: 2, isMonotonic: true },
                },
              ],
            },
          ],
        },
      ],
    };
    const podPhase = await run('filter/drop_pod_phase', 'metrics', structuredClone(md));
    const metrics = (podPhase.next.batches[0] as MetricsData).resourceMetrics[0]?.scopeMetrics[0]?.metrics;
    expect(metrics?.map((m) => [m.name, m.gauge?.dataPoints.length ?? m.sum?.dataPoints.length])).toEqual([
      ['k8s.pod.phase', 1],
      ['k8s.pod.phase2', 1],
      ['http.requests', 1],
    ]);
    expect(podPhase.dropped).toBe(1);
    const byAttr = await run('filter/drop_by_attr_key', 'metrics', structuredClone(md));
    expect((byAttr.next.batches[0] as MetricsData).resourceMetrics[0]?.scopeMetrics[0]?.metrics.map((m) => m.name)).toEqual([
      'k8s.pod.phase',
      'k8s.pod.phase2',
    ]);
    const legacy = await run('filter/legacy_metrics', 'metrics', structuredClone(md), {
      metrics: { exclude: { match_type: 'regexp', metric_names: ['^k8s\\.'] } },
    });
    expect((legacy.next.batches[0] as MetricsData).resourceMetrics[0]?.scopeMetrics[0]?.metrics.map((m) => m.name)).toEqual([
      'http.requests',
    ]);
    expect(legacy.dropped).toBe(3);
  });

  it('drops log records by severity and body; legacy severity_number exclude', async () => {
    const logs = (): LogsData => ({
      resourceLogs: [
        {
          resource: { attributes: [] },
          scopeLogs: [
            {
              logRecords: [
                { severityNumber: 5, body: { stringValue: 'debug' }, attributes: [] },
                { severityNumber: 13, body: { stringValue: 'password=1' }, attributes: [] },
                { severityNumber: 17, body: { stringValue: 'failed' }, attributes: [] },
                { severityNumber: 0, body: { stringValue: 'no severity' }, attributes: [] },
              ],
            },
          ],
        },
      ],
    });
    const bodies = (d: LogsData) =>
      d.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => l.body?.stringValue)));
    const ottl = await run('filter/ottl', 'logs', logs());
    expect(bodies(ottl.next.batches[0] as LogsData)).toEqual(['failed']);
    const legacy = await run('filter/legacy_severity', 'logs', logs());
    expect(bodies(legacy.next.batches[0] as LogsData)).toEqual(['debug']);
  });

  it('passes data through untouched when nothing applies to the signal', async () => {
    const { next, dropped } = await run('filter/drop_pod_phase', 'traces', spans([{ name: 'x' }]));
    expect(names(next.batches[0] as TracesData)).toEqual(['x']);
    expect(dropped).toBe(0);
  });
});
