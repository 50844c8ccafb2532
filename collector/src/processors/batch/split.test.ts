import { describe, expect, it } from 'vitest';
import { sampleLogs, sampleMetricPoints, sampleMetrics, sampleTraces } from '../../component/conformance/sample-data.js';
import { countItems } from '../../model/count.js';
import { encodeRequest } from '../../model/otlp-codec.js';
import type { LogsData, MetricsData, TracesData } from '../../model/types.js';
import { mergeData, splitData } from './split.js';

const spanNames = (d: TracesData) => d.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));
const logBodies = (d: LogsData) =>
  d.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((x) => x.body?.stringValue)));
const pointKeys = (d: MetricsData) =>
  d.resourceMetrics.flatMap((r) =>
    r.scopeMetrics.flatMap((s) =>
      s.metrics.flatMap(
        (m) => (m.gauge ?? m.sum)?.dataPoints.map((p) => `${m.name}/${p.attributes[0]?.value?.stringValue}`) ?? [],
      ),
    ),
  );

describe('splitData', () => {
  it('cuts traces at any count, keeping every span once and in order, with resource and scope structure', () => {
    const data = sampleTraces({ resources: 2, scopes: 2, items: 3 }); // 12 spans
    const all = spanNames(data);
    const before = Buffer.from(encodeRequest('traces', data, 'protobuf'));
    for (let n = 0; n <= 12; n++) {
      const [head, rest] = splitData('traces', data, n);
      expect(countItems('traces', head)).toBe(n);
      expect(countItems('traces', rest)).toBe(12 - n);
      expect([...spanNames(head), ...spanNames(rest)]).toEqual(all);
      // Every piece keeps its resource and scope.
      for (const part of [head, rest]) {
        for (const rs of part.resourceSpans) {
          expect(rs.resource?.attributes[0]?.key).toBe('service.name');
          for (const ss of rs.scopeSpans) expect(ss.scope?.name).toMatch(/^sample-scope-\d$/);
        }
      }
    }
    // The input is untouched (fan-out may share it with other readers).
    expect(Buffer.from(encodeRequest('traces', data, 'protobuf')).equals(before)).toBe(true);
  });

  it('a boundary inside a scope puts that resource and scope in both halves', () => {
    const data = sampleTraces({ resources: 1, scopes: 1, items: 5 });
    const [head, rest] = splitData('traces', data, 2);
    expect(head.resourceSpans).toHaveLength(1);
    expect(rest.resourceSpans).toHaveLength(1);
    expect(head.resourceSpans[0]?.resource).toBe(rest.resourceSpans[0]?.resource);
    expect(spanNames(head)).toEqual(['sample-r0-s0-0', 'sample-r0-s0-1']);
    expect(spanNames(rest)).toEqual(['sample-r0-s0-2', 'sample-r0-s0-3', 'sample-r0-s0-4']);
  });

  it('splits metrics inside a metric, by data point', () => {
    const data = sampleMetricPoints(7, 'm');
    const [head, rest] = splitData('metrics', data, 3);
    expect(countItems('metrics', head)).toBe(3);
    expect(countItems('metrics', rest)).toBe(4);
    const h = head.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0];
    const r = rest.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0];
    expect(h?.name).toBe('m.points');
    expect(r?.name).toBe('m.points');
    // The sum's other fields survive on both halves.
    expect(h?.sum?.isMonotonic).toBe(true);
    expect(r?.sum?.aggregationTemporality).toBe(2);
    expect([...pointKeys(head), ...pointKeys(rest)]).toEqual(pointKeys(data));
    // Both halves still encode as valid OTLP.
    expect(() => encodeRequest('metrics', head, 'protobuf')).not.toThrow();
    expect(() => encodeRequest('metrics', rest, 'json')).not.toThrow();
  });

  it('splits metrics across metrics, scopes and resources', () => {
    const data = sampleMetrics({ resources: 2, scopes: 2, items: 2 }); // 8 single-point gauges
    for (let n = 0; n <= 8; n++) {
      const [head, rest] = splitData('metrics', data, n);
      expect(countItems('metrics', head)).toBe(n);
      expect([...pointKeys(head), ...pointKeys(rest)]).toEqual(pointKeys(data));
    }
  });

  it('splits logs by record', () => {
    const data = sampleLogs({ resources: 3, scopes: 1, items: 2 });
    const [head, rest] = splitData('logs', data, 3);
    expect(logBodies(head)).toEqual(['sample-r0-s0-0', 'sample-r0-s0-1', 'sample-r1-s0-0']);
    expect(logBodies(rest)).toEqual(['sample-r1-s0-1', 'sample-r2-s0-0', 'sample-r2-s0-1']);
  });
});

describe('mergeData', () => {
  it('concatenates resource entries in order', () => {
    const a = sampleLogs({ tag: 'a', items: 2 });
    const b = sampleLogs({ tag: 'b', resources: 2, items: 1 });
    const merged = mergeData('logs', [a, b]);
    expect(merged.resourceLogs).toHaveLength(3);
    expect(logBodies(merged)).toEqual(['a-r0-s0-0', 'a-r0-s0-1', 'b-r0-s0-0', 'b-r1-s0-0']);
    expect(mergeData('logs', [a])).toBe(a);
  });
});
