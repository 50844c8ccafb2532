/**
 * The framework-free HTTP server instrumentation: from (method, URL, headers) at the start and
 * (route template, status, error) at the end of a request, it records the stable semconv metrics,
 * a SERVER span with W3C trace context, the request ID and the exemplars. The fastify plugin, the
 * express middleware and the node:http wrapper are thin adapters over {@link createHttpCore}.
 *
 * Hot path (measured in bench/instrumentation-overhead.mjs): per request one {@link RequestState}
 * object and, in full mode, the SDK span. Attribute sets are resolved once per route × method ×
 * status × scheme and cached; `http.server.active_requests` is a counter array read by an
 * observable instrument at collection time, so no SDK metric call happens per request.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  type Attributes,
  type Context,
  context as otelContext,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { isValidRequestId, REQUEST_ID, REQUEST_ID_HEADER } from '@stitch/correlation';
import { type CorrelationContext, runWithCorrelation } from '../context.js';
import { errors } from '../errors.js';
import type { HistogramSeries } from '../metrics/histogram.js';
import { requireTelemetry, type Telemetry } from '../setup/telemetry.js';
import { getHttpMetrics, type HttpMetrics } from './metrics.js';
import { KNOWN_METHODS, methodIndex, OTHER_METHOD, REDACTED_HEADERS, UNMATCHED_ROUTE } from './semconv.js';

/** Options shared by every HTTP adapter. */
export interface HttpInstrumentationOptions {
  /** Where to record; default: the last {@link setupTelemetry} result. */
  telemetry?: Telemetry;
  /**
   * `full` (default): metrics, a span per request, request IDs and exemplars. `metrics`: only the
   * two semconv metrics. The three flags below override single parts.
   */
  mode?: 'full' | 'metrics';
  /** A SERVER span per request with W3C trace context (default: on in full mode when traces are enabled). */
  tracing?: boolean;
  /** Read / generate `x-request-id`, echo it, expose it via currentRequestId() (default: on in full mode). */
  requestId?: boolean;
  /** Keep exemplars (trace_id, span_id, request_id) on the duration histogram (default: on in full mode). */
  exemplars?: boolean;
  /** Paths (exact strings, or RegExps tested on the path without query) recorded nowhere: health checks. */
  ignorePaths?: readonly (string | RegExp)[];
  /** `http.route` for requests that matched no route. Default `(unmatched)`. */
  unmatchedRoute?: string;
  /** Set the W3C Trace Context Level 2 `traceresponse` response header. Default true when tracing. */
  traceResponseHeader?: boolean;
  /** Request headers to record on the span as `http.request.header.<name>`; credentials are never recorded. */
  captureRequestHeaders?: readonly string[];
  /** Response headers to record on the span as `http.response.header.<name>`; `set-cookie` is never recorded. */
  captureResponseHeaders?: readonly string[];
  /** Record the query string (`url.query`) on spans. Default false: query strings often carry tokens. */
  recordQuery?: boolean;
}

/** Per-request state; also the request's correlation context (one object per request). */
export class RequestState implements CorrelationContext {
  requestId: string | undefined = undefined;
  readonly rid: undefined = undefined;
  traceId: string | undefined = undefined;
  spanId: string | undefined = undefined;
  /** The trace is sampled: exemplars may point at it. */
  sampled = false;
  span: Span | undefined = undefined;
  otelContext: Context | undefined = undefined;
  /** The error the framework reported, if any (for `error.type`). */
  error: unknown = undefined;
  ended = false;
  /** The `traceresponse` header value, when enabled. */
  traceResponse: string | undefined = undefined;
  /** The route template, for adapters that learn it before the end (fastify's per-route hook). */
  route: string | undefined = undefined;

  constructor(
    readonly startMs: number,
    readonly method: number,
    readonly https: boolean,
  ) {}
}

/** Anything with `getHeader` (ServerResponse, fastify's Reply). */
export interface ResponseHeaders {
  getHeader(name: string): unknown;
}

/** The instrumentation core one adapter drives. */
export interface HttpCore {
  /** Whether request IDs are on (adapters then echo `state.requestId`). */
  readonly requestIds: boolean;
  /** Whether {@link HttpCore.run} does anything (request IDs or tracing on); adapters may skip it otherwise. */
  readonly needsContext: boolean;
  /** The unmatched-route value in use. */
  readonly unmatchedRoute: string;
  /**
   * Starts a request; returns undefined for ignored paths (then call nothing else). `url` is the
   * raw request target (path and query).
   */
  start(
    method: string | undefined,
    url: string | undefined,
    headers: IncomingHttpHeaders,
    https: boolean,
  ): RequestState | undefined;
  /**
   * Ends a request once; later calls are ignored. `route` is the route template or undefined when
   * none matched. `status` 0 with `aborted` means the client went away before the response.
   */
  end(state: RequestState, route: string | undefined, status: number, response?: ResponseHeaders, aborted?: boolean): void;
  /** Runs `fn(...args)` inside the request's correlation and OpenTelemetry contexts. */
  run<A extends unknown[], R>(state: RequestState, fn: (...args: A) => R, ...args: A): R;
}

const now = () => performance.now();

function headerAttributes(prefix: string, names: readonly string[] | undefined): [string, string][] {
  return (names ?? [])
    .map((n) => n.toLowerCase())
    .filter((n) => !REDACTED_HEADERS.has(n))
    .map((n) => [n, `${prefix}.${n}`]);
}

/** Builds the core for one adapter instance. Throws STITCH_ERR_INSTR_NO_TELEMETRY before setupTelemetry(). */
export function createHttpCore(options: HttpInstrumentationOptions = {}, who = 'http instrumentation'): HttpCore {
  const telemetry = requireTelemetry(who, options.telemetry);
  const full = (options.mode ?? 'full') === 'full';
  if (options.mode !== undefined && options.mode !== 'full' && options.mode !== 'metrics') {
    throw errors.STITCH_ERR_INSTR_OPTION([`${who}.mode`, `must be "full" or "metrics", got ${JSON.stringify(options.mode)}`]);
  }
  const tracing = (options.tracing ?? full) && telemetry.tracesEnabled;
  const requestIds = options.requestId ?? full;
  const exemplars = options.exemplars ?? full;
  const traceResponse = tracing && (options.traceResponseHeader ?? true);
  const recordQuery = options.recordQuery ?? false;
  const unmatchedRoute = options.unmatchedRoute ?? UNMATCHED_ROUTE;
  const reqHeaders = headerAttributes('http.request.header', options.captureRequestHeaders);
  const resHeaders = headerAttributes('http.response.header', options.captureResponseHeaders);
  const ignoreExact = new Set<string>();
  const ignoreRe: RegExp[] = [];
  for (const p of options.ignorePaths ?? []) {
    if (typeof p === 'string') ignoreExact.add(p);
    else ignoreRe.push(p);
  }
  const ignoring = ignoreExact.size > 0 || ignoreRe.length > 0;
  const metrics: HttpMetrics = getHttpMetrics(telemetry);
  const tracer = telemetry.tracer;
  const withOtelContext = otelContext.with.bind(otelContext) as (
    ctx: Context,
    fn: unknown,
    self: unknown,
    ...args: unknown[]
  ) => unknown;

  function isIgnored(url: string): boolean {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (ignoreExact.has(path)) return true;
    for (const re of ignoreRe) if (re.test(path)) return true;
    return false;
  }

  function startSpan(state: RequestState, rawMethod: string | undefined, url: string, headers: IncomingHttpHeaders): void {
    const parent = propagation.extract(ROOT_CONTEXT, headers);
    const method = KNOWN_METHODS[state.method]!;
    const q = url.indexOf('?');
    const attributes: Attributes = {
      'http.request.method': method,
      'url.path': q === -1 ? url : url.slice(0, q),
      'url.scheme': state.https ? 'https' : 'http',
    };
    if (state.method === OTHER_METHOD && rawMethod !== undefined) attributes['http.request.method_original'] = rawMethod;
    if (recordQuery && q !== -1) attributes['url.query'] = url.slice(q + 1);
    const ua = headers['user-agent'];
    if (ua !== undefined) attributes['user_agent.original'] = ua;
    if (state.requestId !== undefined) attributes[REQUEST_ID] = state.requestId;
    for (const [h, attr] of reqHeaders) {
      const v = headers[h];
      if (v !== undefined) attributes[attr] = Array.isArray(v) ? v : [v];
    }
    const span = tracer.startSpan(state.method === OTHER_METHOD ? 'HTTP' : method, { kind: SpanKind.SERVER, attributes }, parent);
    const sc = span.spanContext();
    state.span = span;
    state.otelContext = trace.setSpan(parent, span);
    state.traceId = sc.traceId;
    state.spanId = sc.spanId;
    state.sampled = (sc.traceFlags & TraceFlags.SAMPLED) !== 0;
    if (traceResponse) state.traceResponse = `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & TraceFlags.SAMPLED}`;
  }

  function endSpan(
    state: RequestState,
    span: Span,
    route: string | undefined,
    status: number,
    errorType: string | undefined,
    res: ResponseHeaders | undefined,
  ) {
    if (route !== undefined) {
      span.setAttribute('http.route', route);
      const method = KNOWN_METHODS[state.method]!;
      span.updateName(`${state.method === OTHER_METHOD ? 'HTTP' : method} ${route}`);
    }
    if (status > 0) span.setAttribute('http.response.status_code', status);
    if (errorType !== undefined) {
      span.setAttribute('error.type', errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
      if (state.error instanceof Error) span.recordException(state.error);
    }
    if (res !== undefined) {
      for (const [h, attr] of resHeaders) {
        const v = res.getHeader(h);
        if (v !== undefined) span.setAttribute(attr, Array.isArray(v) ? v.map(String) : [String(v)]);
      }
    }
    span.end();
  }

  function errorTypeOf(state: RequestState, status: number, aborted: boolean): string | undefined {
    if (aborted) return 'aborted';
    if (status < 500) return undefined;
    const e = state.error;
    if (e instanceof Error) return e.constructor?.name || e.name || 'Error';
    return e === undefined ? String(status) : '_OTHER';
  }

  return {
    requestIds,
    needsContext: requestIds || tracing,
    unmatchedRoute,
    start(method, url = '/', headers, https) {
      if (ignoring && isIgnored(url)) return undefined;
      const state = new RequestState(now(), methodIndex(method), https);
      const slot = state.method * 2 + (https ? 1 : 0);
      metrics.active[slot]!++;
      metrics.seen[slot] = 1;
      if (requestIds) {
        const inbound = headers[REQUEST_ID_HEADER];
        state.requestId = typeof inbound === 'string' && isValidRequestId(inbound) ? inbound : randomUUID();
      }
      if (tracing) startSpan(state, method, url, headers);
      return state;
    },
    end(state, route, status, response, aborted = false) {
      if (state.ended) return;
      state.ended = true;
      const endMs = now();
      metrics.active[state.method * 2 + (state.https ? 1 : 0)]!--;
      const errorType = errorTypeOf(state, status, aborted);
      const series: HistogramSeries = metrics.series(route ?? unmatchedRoute, state.method, state.https, status, errorType);
      const seconds = (endMs - state.startMs) / 1000;
      if (exemplars) {
        const traced = state.sampled;
        series.recordWithExemplar(
          seconds,
          performance.timeOrigin + endMs,
          traced ? state.traceId : undefined,
          traced ? state.spanId : undefined,
          state.requestId,
        );
      } else {
        series.record(seconds);
      }
      if (state.span !== undefined) endSpan(state, state.span, route, status, errorType, response);
    },
    run(state, fn, ...args) {
      if (state.otelContext === undefined) return runWithCorrelation(state, fn, ...args);
      return runWithCorrelation(state, withOtelContext, state.otelContext, fn, undefined, ...args) as never;
    },
  };
}
