/**
 * A test OTLP/HTTP endpoint: a node:http server on 127.0.0.1 that decodes every export with the
 * collector's codec (the same one the real receiver uses) and keeps flattened, easy-to-assert
 * views of the metrics, spans and log records it received.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeRequest, encodeResponse, type OtlpEncoding } from '../../../collector/src/model/otlp-codec.js';
import type { LogsData, MetricsData, Signal, SignalData, TracesData } from '../../../collector/src/model/types.js';
import {
  type AttributeValue,
  anyValueToJs,
  attributesToObject,
  idToHex,
  int64ToNumber,
} from '../../../collector/src/model/values.js';

export interface FlatExemplar {
  value: number;
  timeUnixNano: string;
  traceId: string;
  spanId: string;
  attributes: Record<string, AttributeValue>;
}

export interface FlatPoint {
  metric: string;
  unit: string;
  kind: 'sum' | 'gauge' | 'histogram' | 'other';
  monotonic?: boolean;
  attributes: Record<string, AttributeValue>;
  resource: Record<string, AttributeValue>;
  value?: number;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  bounds?: number[];
  exemplars: FlatExemplar[];
}

export interface FlatSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, AttributeValue>;
  statusCode: number;
  resource: Record<string, AttributeValue>;
  events: string[];
}

export interface FlatLog {
  body: AttributeValue;
  severityText: string;
  attributes: Record<string, AttributeValue>;
  traceId: string;
  spanId: string;
  resource: Record<string, AttributeValue>;
}

export interface OtlpSink {
  readonly url: string;
  readonly requests: { signal: Signal; encoding: OtlpEncoding; path: string }[];
  points(): FlatPoint[];
  spans(): FlatSpan[];
  logs(): FlatLog[];
  /** Forgets everything received so far. */
  clear(): void;
  /** Waits until `predicate()` is true; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const PATHS: Record<string, Signal> = { '/v1/metrics': 'metrics', '/v1/traces': 'traces', '/v1/logs': 'logs' };

export async function startOtlpSink(): Promise<OtlpSink> {
  const received: { [S in Signal]: SignalData[S][] } = { metrics: [], traces: [], logs: [] };
  const requests: OtlpSink['requests'] = [];
  const server: Server = createServer((req, res) => {
    const signal = PATHS[req.url ?? ''];
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (signal === undefined) {
        res.writeHead(404).end();
        return;
      }
      const encoding: OtlpEncoding = String(req.headers['content-type']).includes('json') ? 'json' : 'protobuf';
      try {
        const data = decodeRequest(signal, Buffer.concat(chunks), encoding);
        (received[signal] as unknown[]).push(data);
        requests.push({ signal, encoding, path: req.url ?? '' });
        res.writeHead(200, { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' });
        res.end(encodeResponse(signal, encoding));
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const flatPoints = (): FlatPoint[] =>
    (received.metrics as MetricsData[]).flatMap((d) =>
      d.resourceMetrics.flatMap((rm) => {
        const resource = attributesToObject(rm.resource?.attributes);
        return rm.scopeMetrics.flatMap((sm) =>
          sm.metrics.flatMap((m): FlatPoint[] => {
            const base = { metric: m.name, unit: m.unit ?? '', resource };
            if (m.histogram) {
              return m.histogram.dataPoints.map((p) => ({
                ...base,
                kind: 'histogram' as const,
                attributes: attributesToObject(p.attributes),
                count: int64ToNumber(p.count),
                sum: p.sum ?? undefined,
                bucketCounts: p.bucketCounts.map(int64ToNumber),
                bounds: [...p.explicitBounds],
                exemplars: (p.exemplars ?? []).map((e) => ({
                  value: e.asDouble ?? int64ToNumber(e.asInt),
                  timeUnixNano: String(e.timeUnixNano),
                  traceId: idToHex(e.traceId),
                  spanId: idToHex(e.spanId),
                  attributes: attributesToObject(e.filteredAttributes),
                })),
              }));
            }
            const sum = m.sum;
            const points = sum?.dataPoints ?? m.gauge?.dataPoints ?? [];
            return points.map((p) => ({
              ...base,
              kind: sum ? ('sum' as const) : m.gauge ? ('gauge' as const) : ('other' as const),
              monotonic: sum?.isMonotonic,
              attributes: attributesToObject(p.attributes),
              value: p.asDouble ?? int64ToNumber(p.asInt),
              exemplars: [],
            }));
          }),
        );
      }),
    );

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    points: flatPoints,
    spans: () =>
      (received.traces as TracesData[]).flatMap((d) =>
        d.resourceSpans.flatMap((rs) =>
          rs.scopeSpans.flatMap((ss) =>
            ss.spans.map((s) => ({
              name: s.name,
              kind: s.kind,
              traceId: idToHex(s.traceId),
              spanId: idToHex(s.spanId),
              parentSpanId: idToHex(s.parentSpanId),
              attributes: attributesToObject(s.attributes),
              statusCode: s.status?.code ?? 0,
              resource: attributesToObject(rs.resource?.attributes),
              events: (s.events ?? []).map((e) => e.name),
            })),
          ),
        ),
      ),
    logs: () =>
      (received.logs as LogsData[]).flatMap((d) =>
        d.resourceLogs.flatMap((rl) =>
          rl.scopeLogs.flatMap((sl) =>
            sl.logRecords.map((l) => ({
              body: anyValueToJs(l.body),
              severityText: l.severityText ?? '',
              attributes: attributesToObject(l.attributes),
              traceId: idToHex(l.traceId),
              spanId: idToHex(l.spanId),
              resource: attributesToObject(rl.resource?.attributes),
            })),
          ),
        ),
      ),
    clear() {
      received.metrics.length = 0;
      received.traces.length = 0;
      received.logs.length = 0;
      requests.length = 0;
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error('timed out waiting for OTLP data');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Flushes until `predicate()` holds (bounded). Adapters record a request when the server's
 * response emits 'close', which may come just after the client has read the body.
 */
export async function flushUntil(
  telemetry: { flush(): Promise<void> },
  predicate: () => boolean,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await telemetry.flush();
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out flushing until the data arrived');
    await new Promise((r) => setTimeout(r, 10));
    await telemetry.flush();
  }
}
