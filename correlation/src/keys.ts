/**
 * The wire keys of DESIGN.md, in one place for the instrumentation and the collector. IDs ride on
 * spans, log records and exemplars under these exact names; they never become Prometheus labels
 * or Loki stream labels (cardinality).
 */

/** W3C trace ID (32 lower-case hex characters). */
export const TRACE_ID = 'trace_id';
/** W3C span ID (16 lower-case hex characters). */
export const SPAN_ID = 'span_id';
/** One HTTP request: from `x-request-id` or generated; echoed in the response header. */
export const REQUEST_ID = 'request_id';
/** One reconcile of an operator (a UUID). */
export const RECONCILE_ID = 'rid';
/** The controller that ran a reconcile. The only one of these that may be a metric label. */
export const CONTROLLER = 'controller';
/** The namespace of the reconciled object. */
export const OBJECT_NAMESPACE = 'k8s.object.namespace';
/** The name of the reconciled object. */
export const OBJECT_NAME = 'k8s.object.name';

/** The HTTP header a request ID travels in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** The correlation IDs: high-cardinality, never labels. */
export const CORRELATION_ID_KEYS = [TRACE_ID, SPAN_ID, REQUEST_ID, RECONCILE_ID] as const;
/** One of the canonical correlation ID keys. */
export type CorrelationIdKey = (typeof CORRELATION_ID_KEYS)[number];

/**
 * Input spellings accepted for each canonical key (attributes, JSON log fields, exemplar labels).
 * Matching is exact; the canonical name is always accepted too.
 */
export const ID_ALIASES: Readonly<Record<CorrelationIdKey, readonly string[]>> = {
  trace_id: ['trace_id', 'traceId', 'traceID', 'trace.id', 'TraceId', 'traceid'],
  span_id: ['span_id', 'spanId', 'spanID', 'span.id', 'SpanId', 'spanid'],
  request_id: [
    'request_id',
    'requestId',
    'requestID',
    'RequestId',
    'request.id',
    'x-request-id',
    'X-Request-Id',
    'X-Request-ID',
    'x_request_id',
    // OpenTelemetry HTTP semantic conventions capture request headers under this name (string[]).
    'http.request.header.x-request-id',
    // fastify's own logger; pino-http's `req.id` is read from the nested `req` object.
    'reqId',
    'req_id',
    'req.id',
  ],
  rid: ['rid', 'reconcileID', 'reconcile_id', 'reconcileId', 'reconcile.id', 'ReconcileID'],
};

/** What an ID identifies: one HTTP request, one reconcile, or one trace. */
export type IdKind = 'request' | 'reconcile' | 'trace';

/** The IDs the correlation index is keyed by (span IDs are too fine-grained to list). */
export const INDEXED_ID_KEYS = [REQUEST_ID, RECONCILE_ID, TRACE_ID] as const;
/** A key the correlation index is keyed by. */
export type IndexedIdKey = (typeof INDEXED_ID_KEYS)[number];

/** The kind of entity each indexed key names. */
export const ID_KIND: Readonly<Record<IndexedIdKey, IdKind>> = {
  request_id: 'request',
  rid: 'reconcile',
  trace_id: 'trace',
};

/** True when an attribute name is the canonical spelling of a correlation ID key. */
export function isCanonicalIdKey(name: string): name is CorrelationIdKey {
  return name === TRACE_ID || name === SPAN_ID || name === REQUEST_ID || name === RECONCILE_ID;
}

/** The canonical key for an input name, or undefined when it is not a correlation ID alias. */
export function canonicalIdKey(name: string): CorrelationIdKey | undefined {
  return ALIAS_INDEX.get(name);
}

const ALIAS_INDEX: ReadonlyMap<string, CorrelationIdKey> = new Map(
  (Object.entries(ID_ALIASES) as [CorrelationIdKey, readonly string[]][]).flatMap(([key, aliases]) =>
    aliases.map((a) => [a, key] as const),
  ),
);

/**
 * The order in which exemplar labels are dropped when they overflow Prometheus' 128-rune
 * exemplar label budget: the least useful first. `trace_id` goes last: Grafana links on it.
 */
export const EXEMPLAR_DROP_ORDER: readonly CorrelationIdKey[] = [SPAN_ID, RECONCILE_ID, REQUEST_ID, TRACE_ID];

/** Prometheus' limit on an exemplar's label names and values together, in runes. */
export const EXEMPLAR_MAX_LABEL_RUNES = 128;
