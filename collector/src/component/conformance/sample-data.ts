/**
 * Small, realistic batches of each signal for component tests, built through the OTLP/JSON
 * codec so they have exactly the shape a receiver produces (protobufjs messages, Long ints).
 */
import { decodeRequest } from '../../model/otlp-codec.js';
import type { LogsData, MetricsData, Signal, SignalData, TracesData } from '../../model/types.js';

const T0 = 1_700_000_000_000_000_000n;

function str(key: string, value: string) {
  return { key, value: { stringValue: value } };
}

function hex(n: number, bytes: number): string {
  return n.toString(16).padStart(bytes * 2, '0');
}

/** Options shared by the builders: how many resources, scopes per resource and items per scope. */
export interface SampleShape {
  resources?: number;
  scopes?: number;
  items?: number;
  /** Prefix for names and bodies, so tests can tell batches apart. */
  tag?: string;
}

function shape(s: SampleShape) {
  return { resources: s.resources ?? 1, scopes: s.scopes ?? 1, items: s.items ?? 3, tag: s.tag ?? 'sample' };
}

/**
 * Spans named `${tag}-r${i}-s${j}-${k}` with unique span IDs, under resources with
 * `service.name = ${tag}-svc-${i}`.
 */
export function sampleTraces(options: SampleShape = {}): TracesData {
  const { resources, scopes, items, tag } = shape(options);
  let n = 0;
  const json = {
    resourceSpans: Array.from({ length: resources }, (_, i) => ({
      resource: { attributes: [str('service.name', `${tag}-svc-${i}`)] },
      scopeSpans: Array.from({ length: scopes }, (_, j) => ({
        scope: { name: `${tag}-scope-${j}`, version: '1.0.0' },
        spans: Array.from({ length: items }, (_, k) => {
          n++;
          return {
            traceId: hex(0xabc + i, 16),
            spanId: hex(n, 8),
            name: `${tag}-r${i}-s${j}-${k}`,
            kind: 2,
            startTimeUnixNano: String(T0 + BigInt(n) * 1000n),
            endTimeUnixNano: String(T0 + BigInt(n) * 1000n + 500n),
            attributes: [str('http.route', '/items/:id'), { key: 'http.response.status_code', value: { intValue: '200' } }],
            status: {},
          };
        }),
      })),
    })),
  };
  return decodeRequest('traces', Buffer.from(JSON.stringify(json)), 'json');
}

/** Gauges named `${tag}.r${i}.s${j}.m${k}` with one data point each, value `k`. */
export function sampleMetrics(options: SampleShape = {}): MetricsData {
  const { resources, scopes, items, tag } = shape(options);
  const json = {
    resourceMetrics: Array.from({ length: resources }, (_, i) => ({
      resource: { attributes: [str('service.name', `${tag}-svc-${i}`)] },
      scopeMetrics: Array.from({ length: scopes }, (_, j) => ({
        scope: { name: `${tag}-scope-${j}` },
        metrics: Array.from({ length: items }, (_, k) => ({
          name: `${tag}.r${i}.s${j}.m${k}`,
          unit: '1',
          gauge: { dataPoints: [{ timeUnixNano: String(T0), asDouble: k, attributes: [str('k', String(k))] }] },
        })),
      })),
    })),
  };
  return decodeRequest('metrics', Buffer.from(JSON.stringify(json)), 'json');
}

/** One metric `${tag}.points` (a cumulative monotonic sum) with `points` data points, values 0..points-1. */
export function sampleMetricPoints(points: number, tag = 'sample'): MetricsData {
  const json = {
    resourceMetrics: [
      {
        resource: { attributes: [str('service.name', `${tag}-svc`)] },
        scopeMetrics: [
          {
            scope: { name: `${tag}-scope` },
            metrics: [
              {
                name: `${tag}.points`,
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: Array.from({ length: points }, (_, k) => ({
                    timeUnixNano: String(T0),
                    asInt: String(k),
                    attributes: [str('point', String(k))],
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  };
  return decodeRequest('metrics', Buffer.from(JSON.stringify(json)), 'json');
}

/** Log records with body `${tag}-r${i}-s${j}-${k}` and a `request_id` attribute. */
export function sampleLogs(options: SampleShape = {}): LogsData {
  const { resources, scopes, items, tag } = shape(options);
  const json = {
    resourceLogs: Array.from({ length: resources }, (_, i) => ({
      resource: { attributes: [str('service.name', `${tag}-svc-${i}`)] },
      scopeLogs: Array.from({ length: scopes }, (_, j) => ({
        scope: { name: `${tag}-scope-${j}` },
        logRecords: Array.from({ length: items }, (_, k) => ({
          timeUnixNano: String(T0 + BigInt(k)),
          severityNumber: 9,
          severityText: 'INFO',
          body: { stringValue: `${tag}-r${i}-s${j}-${k}` },
          attributes: [str('request_id', `req-${i}-${j}-${k}`)],
        })),
      })),
    })),
  };
  return decodeRequest('logs', Buffer.from(JSON.stringify(json)), 'json');
}

/** A sample batch of `signal` with `items` items per scope. */
export function sampleData<S extends Signal>(signal: S, options: SampleShape = {}): SignalData[S] {
  if (signal === 'traces') return sampleTraces(options) as SignalData[S];
  if (signal === 'metrics') return sampleMetrics(options) as SignalData[S];
  return sampleLogs(options) as SignalData[S];
}
