/**
 * Stitch's internal data model: the OTLP messages themselves (resource -> scope -> records), in the
 * shape protobufjs decodes them to (lowerCamelCase fields). Receivers produce these, processors
 * edit them in place (when they declare `mutatesData`), exporters read them.
 *
 * 64-bit integers (timestamps, counts, int values) are `Long` after decoding and may be plain
 * `number`s when Stitch builds data itself; use the helpers in `./time.ts` and `./values.ts`
 * rather than arithmetic on them. Bytes (trace and span IDs) are `Uint8Array`.
 */
import type Long from 'long';

/** A 64-bit integer as protobufjs carries it. */
export type Int64 = Long | number;

export interface AnyValue {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Int64 | null;
  doubleValue?: number | null;
  arrayValue?: { values: AnyValue[] } | null;
  kvlistValue?: { values: KeyValue[] } | null;
  bytesValue?: Uint8Array | null;
}

export interface KeyValue {
  key: string;
  value?: AnyValue | null;
}

export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount?: number;
}

export interface InstrumentationScope {
  name: string;
  version?: string;
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
}

// ---- metrics ----

export enum AggregationTemporality {
  UNSPECIFIED = 0,
  DELTA = 1,
  CUMULATIVE = 2,
}

/** `flags` bit meaning "no recorded value" (a staleness marker for Prometheus). */
export const DATA_POINT_FLAG_NO_RECORDED_VALUE = 1;

export interface Exemplar {
  filteredAttributes: KeyValue[];
  timeUnixNano: Int64;
  asDouble?: number | null;
  asInt?: Int64 | null;
  spanId?: Uint8Array | null;
  traceId?: Uint8Array | null;
}

export interface NumberDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano: Int64;
  asDouble?: number | null;
  asInt?: Int64 | null;
  exemplars?: Exemplar[];
  flags?: number;
}

export interface HistogramDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum?: number | null;
  bucketCounts: Int64[];
  explicitBounds: number[];
  exemplars?: Exemplar[];
  flags?: number;
  min?: number | null;
  max?: number | null;
}

export interface ExponentialHistogramBuckets {
  offset: number;
  bucketCounts: Int64[];
}

export interface ExponentialHistogramDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum?: number | null;
  scale: number;
  zeroCount: Int64;
  positive?: ExponentialHistogramBuckets | null;
  negative?: ExponentialHistogramBuckets | null;
  flags?: number;
  exemplars?: Exemplar[];
  min?: number | null;
  max?: number | null;
  zeroThreshold?: number;
}

export interface SummaryDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: Int64;
  timeUnixNano: Int64;
  count: Int64;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
  flags?: number;
}

export interface Metric {
  name: string;
  description?: string;
  unit?: string;
  gauge?: { dataPoints: NumberDataPoint[] } | null;
  sum?: { dataPoints: NumberDataPoint[]; aggregationTemporality: AggregationTemporality; isMonotonic: boolean } | null;
  histogram?: { dataPoints: HistogramDataPoint[]; aggregationTemporality: AggregationTemporality } | null;
  exponentialHistogram?: {
    dataPoints: ExponentialHistogramDataPoint[];
    aggregationTemporality: AggregationTemporality;
  } | null;
  summary?: { dataPoints: SummaryDataPoint[] } | null;
  metadata?: KeyValue[];
}

export interface ScopeMetrics {
  scope?: InstrumentationScope | null;
  metrics: Metric[];
  schemaUrl?: string;
}

export interface ResourceMetrics {
  resource?: Resource | null;
  scopeMetrics: ScopeMetrics[];
  schemaUrl?: string;
}

/** A batch of metrics: the body of an OTLP ExportMetricsServiceRequest. */
export interface MetricsData {
  resourceMetrics: ResourceMetrics[];
}

// ---- traces ----

export enum SpanKind {
  UNSPECIFIED = 0,
  INTERNAL = 1,
  SERVER = 2,
  CLIENT = 3,
  PRODUCER = 4,
  CONSUMER = 5,
}

export enum StatusCode {
  UNSET = 0,
  OK = 1,
  ERROR = 2,
}

export interface SpanEvent {
  timeUnixNano: Int64;
  name: string;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
}

export interface SpanLink {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState?: string;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}

export interface Span {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState?: string;
  parentSpanId?: Uint8Array;
  flags?: number;
  name: string;
  kind: SpanKind;
  startTimeUnixNano: Int64;
  endTimeUnixNano: Int64;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  events?: SpanEvent[];
  droppedEventsCount?: number;
  links?: SpanLink[];
  droppedLinksCount?: number;
  status?: { message?: string; code: StatusCode } | null;
}

export interface ScopeSpans {
  scope?: InstrumentationScope | null;
  spans: Span[];
  schemaUrl?: string;
}

export interface ResourceSpans {
  resource?: Resource | null;
  scopeSpans: ScopeSpans[];
  schemaUrl?: string;
}

/** A batch of spans: the body of an OTLP ExportTraceServiceRequest. */
export interface TracesData {
  resourceSpans: ResourceSpans[];
}

// ---- logs ----

export interface LogRecord {
  timeUnixNano?: Int64;
  observedTimeUnixNano?: Int64;
  severityNumber?: number;
  severityText?: string;
  body?: AnyValue | null;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  eventName?: string;
}

export interface ScopeLogs {
  scope?: InstrumentationScope | null;
  logRecords: LogRecord[];
  schemaUrl?: string;
}

export interface ResourceLogs {
  resource?: Resource | null;
  scopeLogs: ScopeLogs[];
  schemaUrl?: string;
}

/** A batch of logs: the body of an OTLP ExportLogsServiceRequest. */
export interface LogsData {
  resourceLogs: ResourceLogs[];
}

// ---- signals ----

/** The three OTLP signals. */
export type Signal = 'traces' | 'metrics' | 'logs';

/** All signals, in the order the Collector lists them. */
export const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];

/** The batch type carried for each signal. */
export interface SignalData {
  traces: TracesData;
  metrics: MetricsData;
  logs: LogsData;
}
