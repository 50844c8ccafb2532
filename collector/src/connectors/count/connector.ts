/**
 * The `count` connector (logs, traces or metrics → metrics), after the Collector contrib
 * countconnector: for every consumed batch, per resource, a monotonic Sum per configured metric and
 * attribute set counting the items that match its OTTL conditions (ORed; the filter processor's
 * OTTL subset). Output resources copy the input resource. Stitch additions (see config.ts):
 * cumulative temporality (bounded series state), optional dimensions, the `severity` dimension of
 * log records, and one exemplar per data point pointing at a counted item's IDs, so a spike in the
 * count opens that very log line or span.
 */
import type { Component, ConsumeContext, Consumer, CreateSettings } from '../../component/component.js';
import { errors } from '../../errors.js';
import { isZeroTime, nowNanos } from '../../model/time.js';
import {
  AggregationTemporality,
  type Exemplar,
  type InstrumentationScope,
  type KeyValue,
  type LogRecord,
  type LogsData,
  type Metric,
  type MetricsData,
  type NumberDataPoint,
  type Resource,
  type ResourceMetrics,
  type Signal,
  type SignalData,
  type Span,
  type TracesData,
} from '../../model/types.js';
import { anyValueToString, findAttribute } from '../../model/values.js';
import {
  type AnyDataPoint,
  type Condition,
  compileCondition,
  type Frame,
  type OttlContext,
} from '../../processors/filter/ottl/compile.js';
import { exemplarIdAttributes } from '../internal/exemplar-ids.js';
import type { CountConnectorConfig, MetricInfo } from './config.js';

/** The scope name of the emitted metrics (contrib's). */
export const COUNT_SCOPE = 'github.com/open-telemetry/opentelemetry-collector-contrib/connector/countconnector';

interface MetricDef {
  readonly name: string;
  readonly description: string;
  readonly condition: Condition | undefined;
  readonly attributes: readonly { key: string; default?: string; optional: boolean }[];
}

function compileDefs(map: Record<string, MetricInfo>, context: OttlContext): MetricDef[] {
  return Object.entries(map).map(([name, info]) => {
    const conditions = info.conditions.map((c) => compileCondition(c, context));
    return {
      name,
      description: info.description,
      condition: conditions.length === 0 ? undefined : (f: Frame) => conditions.some((c) => c(f)),
      attributes: info.attributes.map((a) => ({
        key: a.key,
        optional: a.optional,
        ...(a.default_value === undefined || a.default_value === '' ? {} : { default: String(a.default_value) }),
      })),
    };
  });
}

/** One counted series within a batch. */
interface Point {
  readonly attributes: KeyValue[];
  count: number;
  exemplar: Exemplar | undefined;
}

/** The severity names OTLP's severity numbers fall under (1-4 TRACE … 21-24 FATAL). */
const SEVERITY_NAMES = ['UNSPECIFIED', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** A log record's severity as a dimension: its text (upper-cased), else the name of its number. */
export function severityOf(r: LogRecord): string {
  if (r.severityText) return r.severityText.toUpperCase();
  const n = r.severityNumber ?? 0;
  return n <= 0 ? 'UNSPECIFIED' : (SEVERITY_NAMES[Math.min(6, Math.ceil(n / 4))] as string);
}

/** Attribute lookup: the item's attributes, then the resource's; `severity` of a log falls back to its severity. */
type Lookup = (key: string) => string | undefined;

function exemplarOf(
  traceId: Uint8Array | undefined,
  spanId: Uint8Array | undefined,
  attrs: readonly KeyValue[],
  timeUnixNano: unknown,
): Exemplar | undefined {
  const filtered = exemplarIdAttributes(attrs);
  const hasTrace = traceId !== undefined && traceId.length > 0;
  if (!hasTrace && filtered.length === 0) return undefined;
  return {
    filteredAttributes: filtered,
    timeUnixNano: isZeroTime(timeUnixNano as Exemplar['timeUnixNano']) ? nowNanos() : (timeUnixNano as Exemplar['timeUnixNano']),
    asInt: 1,
    ...(hasTrace ? { traceId, spanId } : {}),
  };
}

/** Creates the connector for one (from → metrics) pair. */
export function createCountConnector<F extends Signal>(
  settings: CreateSettings,
  config: CountConnectorConfig,
  from: F,
  next: Consumer<MetricsData>,
): Component & Consumer<SignalData[F]> {
  const defs = {
    spans: compileDefs(config.spans, 'span'),
    spanevents: compileDefs(config.spanevents, 'spanevent'),
    metrics: compileDefs(config.metrics, 'metric'),
    datapoints: compileDefs(config.datapoints, 'datapoint'),
    logs: compileDefs(config.logs, 'log'),
  };
  const cumulative = config.aggregation_temporality === 'AGGREGATION_TEMPORALITY_CUMULATIVE';
  const withExemplars = config.exemplars.enabled;
  /** Cumulative mode: running totals and start times per resource + metric + attribute set. */
  const totals = new Map<string, { count: number; start: ReturnType<typeof nowNanos> }>();
  let overflowed = 0;
  let stopped = false;

  /** One resource's counts: metric name → attribute key → point. */
  type Counts = Map<string, Map<string, Point>>;

  const count = (
    counts: Counts,
    list: readonly MetricDef[],
    frame: Frame,
    lookup: Lookup,
    exemplar: () => Exemplar | undefined,
  ): void => {
    for (const def of list) {
      const attrs: KeyValue[] = [];
      let key = '';
      let skip = false;
      for (const a of def.attributes) {
        const v = lookup(a.key) ?? a.default;
        if (v === undefined) {
          if (a.optional) continue;
          skip = true; // contrib: an item missing a required attribute is not counted
          break;
        }
        attrs.push({ key: a.key, value: { stringValue: v } });
        key += `${a.key}\u0001${v}\u0000`;
      }
      if (skip) continue;
      if (def.condition && !def.condition(frame)) continue;
      let byAttrs = counts.get(def.name);
      if (!byAttrs) counts.set(def.name, (byAttrs = new Map()));
      let p = byAttrs.get(key);
      if (!p) byAttrs.set(key, (p = { attributes: attrs, count: 0, exemplar: undefined }));
      p.count++;
      if (withExemplars) p.exemplar = exemplar() ?? p.exemplar; // the last item with IDs wins
    }
  };

  const emit = (
    resource: Resource | null | undefined,
    counts: Counts,
    out: ResourceMetrics[],
    descriptions: Map<string, string>,
  ) => {
    if (counts.size === 0) return;
    const now = nowNanos();
    let resourceKey = '';
    if (cumulative)
      for (const kv of resource?.attributes ?? []) resourceKey += `${kv.key}\u0001${anyValueToString(kv.value)}\u0000`;
    const metrics: Metric[] = [];
    for (const [name, byAttrs] of counts) {
      // Keyed by the series emitted: several attribute sets folding into the overflow series in
      // one batch become one data point.
      const dataPoints = new Map<string, NumberDataPoint>();
      for (const [attrKey, p] of byAttrs) {
        let value = p.count;
        let start: ReturnType<typeof nowNanos> | undefined;
        let attributes = p.attributes;
        let k = attrKey;
        if (cumulative) {
          k = `${resourceKey}\u0002${name}\u0002${attrKey}`;
          let t = totals.get(k);
          if (!t && totals.size >= config.aggregation_cardinality_limit) {
            k = `${resourceKey}\u0002${name}\u0002overflow`;
            attributes = [{ key: 'otel.metric.overflow', value: { boolValue: true } }];
            t = totals.get(k);
            overflowed += p.count;
          }
          if (!t) totals.set(k, (t = { count: 0, start: now }));
          t.count += p.count;
          value = t.count;
          start = t.start;
        }
        const exemplar = p.exemplar ?? dataPoints.get(k)?.exemplars?.[0];
        dataPoints.set(k, {
          attributes,
          timeUnixNano: now,
          ...(start ? { startTimeUnixNano: start } : {}),
          asInt: value,
          ...(exemplar ? { exemplars: [exemplar] } : {}),
        });
      }
      metrics.push({
        name,
        description: descriptions.get(name) ?? '',
        unit: '',
        sum: {
          dataPoints: [...dataPoints.values()],
          isMonotonic: true,
          aggregationTemporality: cumulative ? AggregationTemporality.CUMULATIVE : AggregationTemporality.DELTA,
        },
      });
    }
    out.push({
      resource: { attributes: (resource?.attributes ?? []).map((kv) => ({ key: kv.key, value: kv.value })) },
      scopeMetrics: [{ scope: { name: COUNT_SCOPE }, metrics }],
    });
  };

  const descriptions = new Map<string, string>();
  for (const list of Object.values(defs)) for (const d of list) descriptions.set(d.name, d.description);

  const resourceLookup =
    (resource: Resource | null | undefined, attrs: readonly KeyValue[] | undefined): Lookup =>
    (key) => {
      const kv = findAttribute(attrs, key) ?? findAttribute(resource?.attributes, key);
      return kv ? anyValueToString(kv.value) : undefined;
    };

  const fromLogs = (data: LogsData, out: ResourceMetrics[]) => {
    if (defs.logs.length === 0) return;
    for (const rl of data.resourceLogs) {
      const counts: Counts = new Map();
      for (const sl of rl.scopeLogs) {
        const frame: Frame = { resource: rl.resource, scope: sl.scope as InstrumentationScope | undefined };
        for (const r of sl.logRecords) {
          frame.log = r;
          const base = resourceLookup(rl.resource, r.attributes);
          const lookup: Lookup = (key) => base(key) ?? (key === 'severity' ? severityOf(r) : undefined);
          count(counts, defs.logs, frame, lookup, () =>
            exemplarOf(
              r.traceId,
              r.spanId,
              r.attributes ?? [],
              isZeroTime(r.timeUnixNano) ? r.observedTimeUnixNano : r.timeUnixNano,
            ),
          );
        }
      }
      emit(rl.resource, counts, out, descriptions);
    }
  };

  const fromTraces = (data: TracesData, out: ResourceMetrics[]) => {
    for (const rs of data.resourceSpans) {
      const counts: Counts = new Map();
      for (const ss of rs.scopeSpans) {
        const frame: Frame = { resource: rs.resource, scope: ss.scope as InstrumentationScope | undefined };
        for (const span of ss.spans) {
          frame.span = span;
          frame.event = undefined;
          const spanExemplar = () => exemplarOf(span.traceId, span.spanId, span.attributes ?? [], span.endTimeUnixNano);
          count(counts, defs.spans, frame, resourceLookup(rs.resource, span.attributes), spanExemplar);
          for (const event of (span as Span).events ?? []) {
            frame.event = event;
            count(counts, defs.spanevents, frame, resourceLookup(rs.resource, event.attributes), spanExemplar);
          }
        }
      }
      emit(rs.resource, counts, out, descriptions);
    }
  };

  const fromMetrics = (data: MetricsData, out: ResourceMetrics[]) => {
    for (const rm of data.resourceMetrics) {
      const counts: Counts = new Map();
      for (const sm of rm.scopeMetrics) {
        const frame: Frame = { resource: rm.resource, scope: sm.scope as InstrumentationScope | undefined };
        for (const m of sm.metrics) {
          frame.metric = m;
          frame.point = undefined;
          count(counts, defs.metrics, frame, resourceLookup(rm.resource, undefined), () => undefined);
          const points: AnyDataPoint[] =
            m.gauge?.dataPoints ??
            m.sum?.dataPoints ??
            m.histogram?.dataPoints ??
            m.exponentialHistogram?.dataPoints ??
            m.summary?.dataPoints ??
            [];
          for (const dp of points) {
            frame.point = dp;
            count(counts, defs.datapoints, frame, resourceLookup(rm.resource, dp.attributes), () => undefined);
          }
        }
      }
      emit(rm.resource, counts, out, descriptions);
    }
  };

  settings.telemetry.observe(
    'stitch_connector_count_overflow_items',
    'Items a count connector folded into its otel.metric.overflow series (aggregation_cardinality_limit reached).',
    () => overflowed,
  );

  return {
    capabilities: { mutatesData: false },
    async start() {},
    async shutdown() {
      stopped = true;
    },
    consume(batch: SignalData[F], context?: ConsumeContext): Promise<void> {
      if (stopped) return Promise.reject(errors.STITCH_ERR_SHUTDOWN([settings.id]));
      const out: ResourceMetrics[] = [];
      if (from === 'logs') fromLogs(batch as LogsData, out);
      else if (from === 'traces') fromTraces(batch as TracesData, out);
      else fromMetrics(batch as MetricsData, out);
      if (out.length === 0) return Promise.resolve();
      return next.consume({ resourceMetrics: out }, context);
    },
  };
}
