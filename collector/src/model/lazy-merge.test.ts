import Long from 'long';
import { describe, expect, it } from 'vitest';
import { mergeLazyMetrics, splitLazyMetrics } from './lazy-merge.js';
import { createLazyMetrics, metricsSource } from './lazy-metrics.js';
import { decodeRequest, encodeRequest } from './otlp-codec.js';
import { MetricKind, type ScannedMetricsRequest, scanMetricsRequest } from './otlp-metrics/scan.js';
import { decodeMetricsProtobuf, otlpMetricsSource } from './otlp-metrics/source.js';
import { concatWriteScans } from './remote-write/concat.js';
import { encodeWriteRequest } from './remote-write/encode.js';
import { type ScannedWriteRequest, scanWriteRequest } from './remote-write/scan.js';
import { REMOTE_WRITE_SOURCE_KIND, type RemoteWriteSource, remoteWriteSource } from './remote-write/source.js';
import type { Metric, MetricsData } from './types.js';

const T = 1_700_000_000_000;
const nanos = (ms: number) => Long.fromNumber(ms, true).mul(1_000_000);

/** A request of `resources` resources, each with a gauge (int / double values), a sum and a histogram. */
function request(seed: number, resources: number): MetricsData {
  const resourceMetrics = [];
  for (let r = 0; r < resources; r++) {
    const attrs = (i: number) => (i % 3 === 0 ? [] : [{ key: 'route', value: { stringValue: `/r${seed}/${i}` } }]);
    const metrics: Metric[] = [
      {
        name: `gauge_${seed}`,
        unit: 's',
        gauge: {
          dataPoints: [0, 1, 2].map((i) => ({
            attributes: attrs(i),
            timeUnixNano: nanos(T + i),
            ...(i === 1 ? { asInt: seed + i } : { asDouble: seed / 4 + i }),
          })),
        },
      },
      {
        name: `sum_${seed}`,
        sum: {
          aggregationTemporality: 2,
          isMonotonic: true,
          dataPoints: [{ attributes: attrs(1), timeUnixNano: nanos(T), asDouble: 3, flags: seed % 2 }],
        },
      },
      {
        name: `hist_${seed}`,
        histogram: {
          aggregationTemporality: 2,
          dataPoints: [0, 1].map((i) => ({
            attributes: attrs(i),
            timeUnixNano: nanos(T + 5),
            count: 6,
            ...(i === 0 ? { sum: 2.5 } : {}),
            bucketCounts: i === 0 ? [1, 2, 3] : [6],
            explicitBounds: i === 0 ? [0.1, 1] : [],
          })),
        },
      },
    ];
    resourceMetrics.push({
      resource: { attributes: r === 1 ? [] : [{ key: 'service.name', value: { stringValue: `svc-${seed}-${r}` } }] },
      scopeMetrics: [{ scope: { name: 's' }, metrics }],
    });
  }
  return { resourceMetrics };
}

const body = (seed: number, resources: number) => Buffer.from(encodeRequest('metrics', request(seed, resources), 'protobuf'));

/** What each point of a scan says, read through its offsets (the fields that mean something for its kind). */
function view(scan: ScannedMetricsRequest): unknown[] {
  const b = scan.bytes;
  const text = (s: number, e: number) => b.toString('latin1', s, e);
  const out: unknown[] = [];
  let m = 0;
  let p = 0;
  for (let r = 0; r < scan.resourceCount; r++) {
    out.push(['resource', text(scan.resStart[r] as number, scan.resEnd[r] as number)]);
    for (; m < (scan.resMetricEnd[r] as number); m++) {
      const kind = scan.metricKind[m] as MetricKind;
      out.push([
        'metric',
        kind,
        scan.metricTemporality[m],
        scan.metricMonotonic[m],
        text(scan.nameStart[m] as number, scan.nameEnd[m] as number),
        text(scan.unitStart[m] as number, scan.unitEnd[m] as number),
      ]);
      for (; p < (scan.metricPointEnd[m] as number); p++) {
        const common = [
          text(scan.attrStart[p] as number, scan.attrEnd[p] as number),
          scan.ms[p],
          scan.stale[p],
          scan.intValue[p],
        ];
        if (kind === MetricKind.Histogram) {
          const sumAt = scan.sumAt[p] as number;
          const n = scan.bucketCount[p] as number;
          const at = scan.bucketsAt[p] as number;
          out.push([
            ...common,
            sumAt < 0 ? 'no sum' : b.readDoubleLE(sumAt),
            text(at, at + 8 * n),
            text(scan.boundsStart[p] as number, scan.boundsEnd[p] as number),
          ]);
        } else {
          const at = scan.valueAt[p] as number;
          out.push([...common, at < 0 ? 'int' : b.readDoubleLE(at)]);
        }
      }
    }
  }
  return out;
}

describe('merging lazy OTLP metrics batches', () => {
  it('gives the scan and the OTLP form of the concatenated requests, without materialising', () => {
    const bodies = [body(1, 2), body(2, 1), body(3, 3)];
    const parts = bodies.map((b) => decodeMetricsProtobuf(b));
    const merged = mergeLazyMetrics(parts);
    const source = merged && otlpMetricsSource(merged);
    expect(source).toBeDefined();
    for (const p of parts) expect(metricsSource(p)).toBeDefined(); // the inputs stay lazy
    const whole = scanMetricsRequest(Buffer.concat(bodies)) as ScannedMetricsRequest;
    expect(source?.points).toBe(whole.points);
    expect(source?.scan.resourceCount).toBe(6);
    expect(view(source?.scan as ScannedMetricsRequest)).toEqual(view(whole));
    // Materialised, it is what merging the decoded batches gives.
    const objects = bodies.flatMap((b) => decodeRequest('metrics', b, 'protobuf').resourceMetrics);
    expect(JSON.parse(JSON.stringify(merged?.resourceMetrics))).toEqual(JSON.parse(JSON.stringify(objects)));
  });

  it('does not merge ordinary, already read or mixed batches', () => {
    const a = decodeMetricsProtobuf(body(1, 1));
    const read = decodeMetricsProtobuf(body(2, 1));
    void read.resourceMetrics;
    expect(mergeLazyMetrics([a, read])).toBeUndefined();
    expect(mergeLazyMetrics([a, request(3, 1)])).toBeUndefined();
    const rw = createLazyMetrics(rwSource(['up']));
    expect(mergeLazyMetrics([a, rw])).toBeUndefined();
    expect(mergeLazyMetrics([rw, a])).toBeUndefined();
  });

  it('splits at a resource boundary and stays lazy; undefined when the first resource does not fit', () => {
    const b = body(4, 3);
    const batch = decodeMetricsProtobuf(b);
    const per = (otlpMetricsSource(batch)?.points ?? 0) / 3; // 6 points per resource
    expect(per).toBe(6);
    const pieces = splitLazyMetrics(batch, 2 * per + 1);
    expect(pieces).toBeDefined();
    const [head, rest] = pieces as [MetricsData, MetricsData];
    expect(otlpMetricsSource(head)?.points).toBe(12);
    expect(otlpMetricsSource(rest)?.points).toBe(6);
    const all = decodeRequest('metrics', b, 'protobuf').resourceMetrics;
    expect(JSON.stringify([...head.resourceMetrics, ...rest.resourceMetrics])).toBe(JSON.stringify(all));
    expect(splitLazyMetrics(decodeMetricsProtobuf(b), per - 1)).toBeUndefined();
    expect(splitLazyMetrics(decodeMetricsProtobuf(b), 100)).toBeUndefined(); // everything fits: nothing to cut
  });
});

/** A remote-write source over named series (one sample each), as the receiver builds it. */
function rwSource(names: string[], tag = 'a'): RemoteWriteSource {
  const timeseries = names.map((n, i) => ({
    labels: [
      { name: '__name__', value: n },
      { name: 'part', value: tag },
    ],
    samples: [{ value: i + 0.5, timestamp: T + i }],
    exemplars: [],
    histograms: [],
  }));
  const scan = scanWriteRequest(encodeWriteRequest({ timeseries, metadata: [] }));
  if (!scan) throw new Error('not scanned');
  const shape = (name: string): MetricsData => ({
    resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics: [{ name, gauge: { dataPoints: [] } }] }] }],
  });
  const over = (s: ScannedWriteRequest): RemoteWriteSource => ({
    kind: REMOTE_WRITE_SOURCE_KIND,
    points: s.samples,
    scan: s,
    materialise: () => shape(`${tag}:${names.join(',')}`),
    seriesShape: (i) => shape(`${tag}/${names[i]}`),
    withBytes: (bytes) => {
      rebasedOnto.push({ tag, bytes });
      return over({ ...s, bytes });
    },
  });
  return over(scan);
}

/** Every rebase of a test source: which part, onto which bytes. */
const rebasedOnto: { tag: string; bytes: Buffer }[] = [];

describe('merging lazy remote-write batches', () => {
  it('concatenates the scans and asks each series’ shape of the part it came from', () => {
    const parts = [rwSource(['a1', 'a2'], 'a'), rwSource([], 'b'), rwSource(['c1', 'c2', 'c3'], 'c')];
    const merged = mergeLazyMetrics(parts.map((s) => createLazyMetrics(s)));
    const source = merged && remoteWriteSource(merged);
    expect(source?.points).toBe(5);
    const scan = source?.scan;
    const whole = scanWriteRequest(Buffer.concat(parts.map((p) => p.scan.bytes)));
    expect(scan && { ...scan, bytes: undefined }).toEqual(whole && { ...whole, bytes: undefined });
    expect(scan?.bytes.equals(whole?.bytes as Buffer)).toBe(true);
    const names = [0, 1, 2, 3, 4].map((i) => source?.seriesShape(i).resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.name);
    expect(names).toEqual(['a/a1', 'a/a2', 'c/c1', 'c/c2', 'c/c3']);
    expect(merged?.resourceMetrics.map((r) => r.scopeMetrics[0]?.metrics[0]?.name)).toEqual(['a:a1,a2', 'b:', 'c:c1,c2,c3']);
    expect(concatWriteScans([parts[0]?.scan as never])).toBe(parts[0]?.scan);
  });

  it('rebases the parts onto the merged bytes, so a merged batch holds them once, also when merged again', () => {
    rebasedOnto.length = 0;
    const parts = [rwSource(['a1'], 'a'), rwSource(['b1', 'b2'], 'b')];
    const first = remoteWriteSource(mergeLazyMetrics(parts.map((s) => createLazyMetrics(s))) as MetricsData);
    expect(rebasedOnto.map((r) => r.tag)).toEqual(['a', 'b']);
    for (const [i, r] of rebasedOnto.entries()) {
      expect(r.bytes.buffer).toBe(first?.scan.bytes.buffer); // a view, not a copy
      expect(r.bytes.equals(parts[i]?.scan.bytes as Buffer)).toBe(true);
    }
    rebasedOnto.length = 0;
    const again = remoteWriteSource(
      mergeLazyMetrics([createLazyMetrics(first as RemoteWriteSource), createLazyMetrics(rwSource(['c1'], 'c'))]) as MetricsData,
    );
    expect(rebasedOnto.map((r) => r.tag)).toEqual(['a', 'b', 'c']);
    for (const r of rebasedOnto) expect(r.bytes.buffer).toBe(again?.scan.bytes.buffer);
    const names = [0, 1, 2, 3].map((i) => again?.seriesShape(i).resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.name);
    expect(names).toEqual(['a/a1', 'b/b1', 'b/b2', 'c/c1']);
  });
});
