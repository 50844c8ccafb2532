import Long from 'long';
import { describe, expect, it } from 'vitest';
import { AggregationTemporality, type LogsData, type MetricsData, type TracesData } from '../../model/types.js';
import { overview, search } from './queries.js';
import { restore, serialize } from './snapshot.js';
import { LocalStore, severityName } from './store.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const str = (stringValue: string) => ({ stringValue });
const kv = (key: string, value: string | number) => ({
  key,
  value: typeof value === 'number' ? { intValue: value } : str(value),
});
const ns = (ms: number) => Long.fromNumber(ms).multiply(1_000_000);
const resource = (service: string) => ({ attributes: [kv('service.name', service)] });

const LIMITS = { maxSpans: 100, maxLogs: 100, maxSeries: 10, retentionMs: 15 * 60_000, maxValueLength: 64 };
const T0 = 1_800_000_000_000;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function request(id: string, start: number, ms: number, status: number, trace = TRACE): TracesData {
  return {
    resourceSpans: [
      {
        resource: resource('shop'),
        scopeSpans: [
          {
            spans: [
              {
                traceId: hex(trace),
                spanId: hex('00f067aa0ba902b7'),
                name: 'GET /cart/:id',
                kind: 2,
                startTimeUnixNano: ns(start),
                endTimeUnixNano: ns(start + ms),
                attributes: [
                  kv('request_id', id),
                  kv('http.route', '/cart/:id'),
                  kv('http.request.method', 'GET'),
                  kv('http.response.status_code', status),
                ],
                status: { code: status >= 500 ? 2 : 0 },
              },
              {
                traceId: hex(trace),
                spanId: hex('1111111111111111'),
                parentSpanId: hex('00f067aa0ba902b7'),
                name: 'db.query',
                kind: 3,
                startTimeUnixNano: ns(start + 1),
                endTimeUnixNano: ns(start + ms - 1),
                attributes: [],
              },
            ],
          },
        ],
      },
    ],
  };
}

function logs(lines: { body: string; requestId?: string; traceId?: string; severity?: number }[], at: number): LogsData {
  return {
    resourceLogs: [
      {
        resource: resource('shop'),
        scopeLogs: [
          {
            logRecords: lines.map((l) => ({
              timeUnixNano: ns(at),
              severityNumber: l.severity ?? 9,
              body: str(l.body),
              attributes: l.requestId ? [kv('request_id', l.requestId)] : [],
              ...(l.traceId ? { traceId: hex(l.traceId) } : {}),
            })),
          },
        ],
      },
    ],
  };
}

/** Cumulative http.server.request.duration points: `counts` per bucket of bounds [0.1, 0.5]. */
function durations(at: number, counts: number[], status = 200, exemplarRequestId?: string): MetricsData {
  return {
    resourceMetrics: [
      {
        resource: resource('shop'),
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'http.server.request.duration',
                unit: 's',
                histogram: {
                  aggregationTemporality: AggregationTemporality.CUMULATIVE,
                  dataPoints: [
                    {
                      attributes: [
                        kv('http.route', '/cart/:id'),
                        kv('http.request.method', 'GET'),
                        kv('http.response.status_code', status),
                      ],
                      startTimeUnixNano: ns(T0 - 60_000),
                      timeUnixNano: ns(at),
                      count: counts.reduce((a, b) => a + b, 0),
                      sum: 1,
                      bucketCounts: counts,
                      explicitBounds: [0.1, 0.5],
                      exemplars: exemplarRequestId
                        ? [
                            {
                              timeUnixNano: ns(at),
                              asDouble: 0.3,
                              traceId: hex(TRACE),
                              spanId: hex('00f067aa0ba902b7'),
                              filteredAttributes: [kv('request_id', exemplarRequestId)],
                            },
                          ]
                        : [],
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
}

describe('LocalStore', () => {
  it('search follows the links: request ID → its trace → every span and log line, and the exemplar series', () => {
    const store = new LocalStore(LIMITS);
    store.addTraces(request('req-1', T0, 300, 500), T0);
    // One line carries only the request ID (logged before the span existed), one only the trace.
    store.addLogs(
      logs(
        [
          { body: 'loading cart', requestId: 'req-1' },
          { body: 'db timeout', traceId: TRACE, severity: 17 },
        ],
        T0,
      ),
      T0,
    );
    store.addLogs(logs([{ body: 'someone else', requestId: 'req-2' }], T0), T0);
    store.addMetrics(durations(T0 + 1000, [0, 1, 0], 500, 'req-1'), T0 + 1000);

    const r = search(store, 'req-1', T0 + 2000);
    expect(r?.kind).toBe('request');
    expect(r?.traceIds).toEqual([TRACE]);
    expect(r?.logs.map((l) => l.body)).toEqual(['loading cart', 'db timeout']);
    expect(r?.spans.map((s) => [s.name, s.depth])).toEqual([
      ['GET /cart/:id', 0],
      ['db.query', 1],
    ]);
    expect(r?.series.map((s) => s.name)).toEqual(['http.server.request.duration']);
    expect(r?.request).toMatchObject({ route: '/cart/:id', statusCode: 500, error: true, logs: 1 });
    // The trace ID finds the same things; unknown IDs find nothing.
    expect(search(store, TRACE.toUpperCase(), T0)?.logs).toHaveLength(2);
    expect(search(store, 'nope', T0)).toBeUndefined();
  });

  it('overview: rate, error ratio and p95 per route from the duration histograms', () => {
    const store = new LocalStore(LIMITS);
    store.addMetrics(durations(T0, [10, 0, 0]), T0);
    store.addMetrics(durations(T0 + 60_000, [70, 20, 0]), T0 + 60_000);
    store.addMetrics(durations(T0, [0, 0, 0], 503), T0);
    store.addMetrics(durations(T0 + 60_000, [0, 10, 0], 503), T0 + 60_000);
    const o = overview(store, T0 + 60_000, 60_000);
    expect(o.routes).toHaveLength(1);
    const r = o.routes[0];
    // 60 + 20 + 10 requests in 60 s; 10 of them 5xx.
    expect(r.requests).toBe(90);
    expect(r.rate).toBeCloseTo(1.5);
    expect(r.errorRatio).toBeCloseTo(10 / 90);
    // Sorted: 60 ≤ 0.1 s, 30 in (0.1, 0.5]: p95 at rank 85.5 → 0.1 + 0.4 · 25.5/30
    expect(r.p95Ms).toBeCloseTo((0.1 + 0.4 * (25.5 / 30)) * 1000);
  });

  it('accumulates delta histograms into cumulative ones', () => {
    const store = new LocalStore(LIMITS);
    const delta = (at: number, counts: number[]) => {
      const d = durations(at, counts);
      d.resourceMetrics[0].scopeMetrics[0].metrics[0].histogram!.aggregationTemporality = AggregationTemporality.DELTA;
      return d;
    };
    store.addMetrics(delta(T0, [5, 0, 0]), T0);
    store.addMetrics(delta(T0 + 20_000, [5, 5, 0]), T0 + 20_000);
    const s = [...store.series.values()][0];
    expect(s.points.newest()).toMatchObject({ count: 15 });
  });

  it('stays within its limits: rings overwrite the oldest, series evict the least recently updated, age expires', () => {
    const store = new LocalStore({ ...LIMITS, maxSpans: 10, maxLogs: 5, maxSeries: 2 });
    for (let i = 0; i < 20; i++) store.addTraces(request(`r${i}`, T0 + i, 1, 200), T0);
    for (let i = 0; i < 8; i++) store.addLogs(logs([{ body: `line ${i}` }], T0), T0);
    expect(store.spans.size).toBe(10);
    expect(store.logs.size).toBe(5);
    expect(store.logs.oldest()?.body).toBe('line 3');
    for (const status of [200, 404, 500]) store.addMetrics(durations(T0, [1, 0, 0], status), T0);
    expect(store.series.size).toBe(2);
    expect(store.stats().overwritten).toEqual({ spans: 30, logs: 3, series: 1 });

    store.addLogs(logs([{ body: 'fresh' }], T0 + LIMITS.retentionMs), T0 + LIMITS.retentionMs);
    store.prune(T0 + LIMITS.retentionMs + 1);
    expect(store.logs.toArray().map((l) => l.body)).toEqual(['fresh']);
    expect(store.spans.size).toBe(0);
    expect(store.series.size).toBe(0);
  });

  it('cuts long values', () => {
    const store = new LocalStore(LIMITS);
    store.addLogs(logs([{ body: 'x'.repeat(1000) }], T0), T0);
    expect(store.logs.newest()?.body).toHaveLength(64);
    expect(store.logs.newest()?.body.endsWith('…')).toBe(true);
  });

  it('a snapshot restores spans, logs and series (buckets included)', () => {
    const store = new LocalStore(LIMITS);
    store.addTraces(request('req-1', T0, 10, 200), T0);
    store.addLogs(logs([{ body: 'hello', requestId: 'req-1' }], T0), T0);
    store.addMetrics(durations(T0, [1, 2, 3], 200, 'req-1'), T0);
    const copy = new LocalStore(LIMITS);
    expect(restore(copy, serialize(store, T0), T0 + 1000)).toEqual({ spans: 2, logs: 1, series: 1 });
    expect(search(copy, 'req-1', T0)?.logs[0].body).toBe('hello');
    expect([...(([...copy.series.values()][0].points.newest() as { buckets: Float64Array }).buckets ?? [])]).toEqual([1, 2, 3]);
  });

  it('names severities by OTLP range', () => {
    expect([1, 5, 9, 13, 17, 21, 0].map(severityName)).toEqual(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', '']);
  });
});
