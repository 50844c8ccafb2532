/**
 * Turns the items of a batch into plain tap records (one per span, data point or log record),
 * copied out of the batch at once so later stages may edit or free it. Also the `key=value`
 * filters of `stitch tap --filter` and the one-line text form the CLI prints.
 */
import type {
  InstrumentationScope,
  KeyValue,
  LogsData,
  Metric,
  MetricsData,
  Resource,
  Signal,
  SignalData,
  TracesData,
} from '../model/types.js';
import {
  type AttributeValue,
  anyValueToJs,
  anyValueToString,
  findAttribute,
  idToHex,
  int64ToNumber,
  isSet,
  pointValue,
} from '../model/values.js';

/** One item as the tap endpoint streams it (a JSON line). */
export interface TapRecord {
  readonly signal: Signal;
  readonly pipeline: string;
  readonly after: string;
  readonly resource: Record<string, AttributeValue>;
  readonly scope?: string;
  /** Span name, metric name, or log body. */
  readonly name: string;
  readonly attributes: Record<string, AttributeValue>;
  readonly time?: string;
  /** traces */
  readonly kind?: string;
  readonly status?: string;
  readonly trace_id?: string;
  readonly span_id?: string;
  readonly duration_ms?: number;
  /** metrics */
  readonly type?: string;
  readonly unit?: string;
  readonly value?: number;
  readonly count?: number;
  readonly sum?: number;
  /** logs */
  readonly severity?: string;
}

/** `--filter key=value`: the resource, the item's attributes, or `name` must have that value. */
export interface TapFilter {
  readonly key: string;
  readonly value: string;
}

/** Parses `key=value`; undefined when there is no `=` or the key is empty. */
export function parseFilter(text: string): TapFilter | undefined {
  const i = text.indexOf('=');
  if (i <= 0) return undefined;
  return { key: text.slice(0, i).trim(), value: text.slice(i + 1).trim() };
}

function matchesFilters(
  filters: readonly TapFilter[],
  resource: Resource | null | undefined,
  attrs: readonly KeyValue[],
  name: string,
): boolean {
  for (const f of filters) {
    if (f.key === 'name' && name === f.value) continue;
    const kv = findAttribute(attrs, f.key) ?? findAttribute(resource?.attributes, f.key);
    if (!kv || anyValueToString(kv.value) !== f.value) return false;
  }
  return true;
}

const obj = (attrs: readonly KeyValue[] | undefined): Record<string, AttributeValue> => {
  const out: Record<string, AttributeValue> = {};
  if (attrs) for (const kv of attrs) out[kv.key] = anyValueToJs(kv.value);
  return out;
};

const iso = (ns: unknown): string | undefined => {
  const n = int64ToNumber(ns as never);
  return n > 0 ? new Date(n / 1e6).toISOString() : undefined;
};

const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS = ['UNSET', 'OK', 'ERROR'];

function metricType(m: Metric): string {
  if (m.gauge) return 'gauge';
  if (m.sum) return 'sum';
  if (m.histogram) return 'histogram';
  if (m.exponentialHistogram) return 'exponential_histogram';
  if (m.summary) return 'summary';
  return 'empty';
}

/**
 * Calls `emit` with each item of `batch` that passes `filters`, rendered, until `emit` returns
 * false or `maxScan` items were looked at (a tap shows a sample; it never walks a huge batch).
 */
export function forEachRecord<S extends Signal>(
  signal: S,
  batch: SignalData[S],
  where: { pipeline: string; after: string },
  filters: readonly TapFilter[],
  maxScan: number,
  emit: (render: () => TapRecord) => boolean,
): void {
  let scanned = 0;
  const base = (resource: Resource | null | undefined, scope: InstrumentationScope | null | undefined) => ({
    signal,
    pipeline: where.pipeline,
    after: where.after,
    resource: obj(resource?.attributes),
    ...(scope?.name ? { scope: scope.name } : {}),
  });
  if (signal === 'traces') {
    for (const rs of (batch as TracesData).resourceSpans)
      for (const ss of rs.scopeSpans)
        for (const s of ss.spans) {
          if (scanned++ >= maxScan) return;
          if (!matchesFilters(filters, rs.resource, s.attributes, s.name)) continue;
          const go = emit(() => ({
            ...base(rs.resource, ss.scope),
            name: s.name,
            kind: SPAN_KINDS[s.kind ?? 0] ?? String(s.kind),
            status: STATUS[s.status?.code ?? 0] ?? String(s.status?.code),
            trace_id: idToHex(s.traceId),
            span_id: idToHex(s.spanId),
            duration_ms: (int64ToNumber(s.endTimeUnixNano) - int64ToNumber(s.startTimeUnixNano)) / 1e6,
            ...(iso(s.startTimeUnixNano) ? { time: iso(s.startTimeUnixNano) as string } : {}),
            attributes: obj(s.attributes),
          }));
          if (!go) return;
        }
  } else if (signal === 'metrics') {
    for (const rm of (batch as MetricsData).resourceMetrics)
      for (const sm of rm.scopeMetrics)
        for (const m of sm.metrics) {
          const points = (m.gauge?.dataPoints ??
            m.sum?.dataPoints ??
            m.histogram?.dataPoints ??
            m.exponentialHistogram?.dataPoints ??
            m.summary?.dataPoints ??
            []) as { attributes: KeyValue[]; timeUnixNano: unknown; count?: unknown; sum?: number | null }[];
          for (const p of points) {
            if (scanned++ >= maxScan) return;
            if (!matchesFilters(filters, rm.resource, p.attributes, m.name)) continue;
            const numeric = !!(m.gauge || m.sum);
            const go = emit(() => ({
              ...base(rm.resource, sm.scope),
              name: m.name,
              type: metricType(m),
              ...(m.unit ? { unit: m.unit } : {}),
              ...(numeric ? { value: pointValue(p as never) } : { count: int64ToNumber(p.count as never) }),
              ...(!numeric && isSet(p, 'sum') ? { sum: p.sum as number } : {}),
              ...(iso(p.timeUnixNano) ? { time: iso(p.timeUnixNano) as string } : {}),
              attributes: obj(p.attributes),
            }));
            if (!go) return;
          }
        }
  } else {
    for (const rl of (batch as LogsData).resourceLogs)
      for (const sl of rl.scopeLogs)
        for (const l of sl.logRecords) {
          if (scanned++ >= maxScan) return;
          const body = anyValueToString(l.body);
          if (!matchesFilters(filters, rl.resource, l.attributes, body)) continue;
          const time = iso(l.timeUnixNano) ?? iso(l.observedTimeUnixNano);
          const go = emit(() => ({
            ...base(rl.resource, sl.scope),
            name: body,
            severity: l.severityText || (l.severityNumber ? String(l.severityNumber) : ''),
            ...(time ? { time } : {}),
            ...(l.traceId?.length ? { trace_id: idToHex(l.traceId) } : {}),
            attributes: obj(l.attributes),
          }));
          if (!go) return;
        }
  }
}

/** JSON for a tap record (bytes as base64). */
export function recordToJson(r: TapRecord): string {
  return JSON.stringify(r, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
}

const fmt = (o: Record<string, AttributeValue>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');

/** The one-line, human-readable form `stitch tap` prints. */
export function formatRecord(r: TapRecord): string {
  const service = r.resource['service.name'];
  const head = `${r.time ?? '-'} ${r.pipeline} after ${r.after}${service === undefined ? '' : ` ${String(service)}`}`;
  const attrs = Object.keys(r.attributes).length > 0 ? ` {${fmt(r.attributes)}}` : '';
  if (r.signal === 'traces')
    return `${head} | span ${JSON.stringify(r.name)} ${r.kind} ${r.status} ${r.duration_ms}ms trace_id=${r.trace_id}${attrs}`;
  if (r.signal === 'metrics') {
    const v = r.value !== undefined ? `${r.value}` : `count=${r.count}${r.sum !== undefined ? ` sum=${r.sum}` : ''}`;
    return `${head} | ${r.name}${attrs} ${r.type} ${v}${r.unit ? ` ${r.unit}` : ''}`;
  }
  return `${head} | ${r.severity || '-'} ${JSON.stringify(r.name)}${attrs}${r.trace_id ? ` trace_id=${r.trace_id}` : ''}`;
}
