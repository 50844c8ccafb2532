/**
 * The framework-free HTTP server instrumentation: from (method, URL, headers) at the start and
 * (route template, status, error) at the end of a request, it records the stable semconv metrics,
 * a SERVER span with W3C trace context, the request ID and the exemplars. The fastify plugin, the
 * express middleware and the node:http wrapper are thin adapters over {@link createHttpCore}.
 *
 * Hot path (measured in bench/instrumentation-overhead.mjs): per request one {@link RequestState}
 * object, which is also the AsyncLocalStorage store (one `run` per request) and, on the lean
 * path, the server span itself, encoded to OTLP protobuf when the request ends
 * (./server-span.ts). IDs come from a random pool (../trace/ids.ts). Attribute sets and the
 * span's constant bytes are resolved once per route × method × status × scheme and cached;
 * `http.server.active_requests` is a counter array read by an observable instrument at
 * collection time, so no SDK metric call happens per request. Without custom span processors
 * (see setupTelemetry) no SDK span, span processor or attribute object is made per request.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  type Attributes,
  type Context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { isValidRequestId, REQUEST_ID, REQUEST_ID_HEADER } from '@stitch/correlation';
import { runInStore } from '../context.js';
import { errors } from '../errors.js';
import { type LeanTracing, leanTracing, requireTelemetry, type Telemetry } from '../setup/telemetry.js';
import { newRequestId, newSpanId, newTraceId } from '../trace/ids.js';
import { getHttpMetrics, type HttpMetrics, type SeriesEntry } from './metrics.js';
import { RequestState } from './request-state.js';
import { KNOWN_METHODS, methodIndex, OTHER_METHOD, REDACTED_HEADERS, UNMATCHED_ROUTE } from './semconv.js';
import { recordServerSpan, type ServerSpanConfig, serverSpanChunks, serverSpanName } from './server-span.js';

export { RequestState } from './request-state.js';

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
  /**
   * Set the W3C Trace Context Level 2 `traceresponse` response header (a draft that few servers
   * send). Default false: it costs ~0.45 µs per request and OTel does not inject into responses.
   */
  traceResponseHeader?: boolean;
  /** Request headers to record on the span as `http.request.header.<name>`; credentials are never recorded. */
  captureRequestHeaders?: readonly string[];
  /** Response headers to record on the span as `http.response.header.<name>`; `set-cookie` is never recorded. */
  captureResponseHeaders?: readonly string[];
  /** Record the query string (`url.query`) on spans. Default false: query strings often carry tokens. */
  recordQuery?: boolean;
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
  /** Runs `fn(...args)` with the request as the correlation and OpenTelemetry context. */
  run<A extends unknown[], R>(state: RequestState, fn: (...args: A) => R, ...args: A): R;
}

const now = () => performance.now();

function headerAttributes(prefix: string, names: readonly string[] | undefined): (readonly [string, string])[] {
  return (names ?? [])
    .map((n) => n.toLowerCase())
    .filter((n) => !REDACTED_HEADERS.has(n))
    .map((n) => [n, `${prefix}.${n}`] as const);
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
  const traceResponse = tracing && (options.traceResponseHeader ?? false);
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
  const lean: LeanTracing | undefined = tracing ? leanTracing(telemetry) : undefined;
  const spanConfig: ServerSpanConfig = { requestHeaders: reqHeaders, responseHeaders: resHeaders, recordQuery };

  function isIgnored(url: string): boolean {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (ignoreExact.has(path)) return true;
    for (const re of ignoreRe) if (re.test(path)) return true;
    return false;
  }

  /** Start attributes of a server span, for the SDK path and custom samplers. */
  function startAttributes(state: RequestState, url: string, headers: IncomingHttpHeaders): Attributes {
    const q = url.indexOf('?');
    const attributes: Attributes = {
      'http.request.method': KNOWN_METHODS[state.method]!,
      'url.path': q === -1 ? url : url.slice(0, q),
      'url.scheme': state.https ? 'https' : 'http',
    };
    if (state.methodOriginal !== undefined) attributes['http.request.method_original'] = state.methodOriginal;
    if (recordQuery && q !== -1) attributes['url.query'] = url.slice(q + 1);
    const ua = headers['user-agent'];
    if (ua !== undefined) attributes['user_agent.original'] = ua;
    if (state.requestId !== undefined) attributes[REQUEST_ID] = state.requestId;
    for (const [h, attr] of reqHeaders) {
      const v = headers[h];
      if (v !== undefined) attributes[attr] = Array.isArray(v) ? v : [v];
    }
    return attributes;
  }

  /** The lean path: IDs, parent and sampling decision on the state itself; no SDK objects. */
  function startLeanSpan(lean: LeanTracing, state: RequestState, url: string, headers: IncomingHttpHeaders): void {
    let parent: Context = ROOT_CONTEXT;
    // Stitch's own propagator reads only these two headers: without them extraction is a no-op.
    if (!lean.w3cPropagation || headers.traceparent !== undefined || headers.baggage !== undefined) {
      parent = propagation.extract(ROOT_CONTEXT, headers);
    }
    const psc = parent === ROOT_CONTEXT ? undefined : trace.getSpanContext(parent);
    const hasParent = psc !== undefined && isSpanContextValid(psc);
    state.parent = parent;
    state.lean = true;
    state.spanId = newSpanId();
    if (hasParent) {
      state.traceId = psc.traceId;
      state.parentSpanId = psc.spanId;
      state.parentRemote = psc.isRemote === true;
      state.traceState = psc.traceState;
    } else {
      state.traceId = newTraceId();
    }
    let sampled: boolean;
    let recording: boolean;
    switch (lean.inlineSampler) {
      case 'parentbased_always_on':
        sampled = hasParent ? (psc.traceFlags & TraceFlags.SAMPLED) !== 0 : true;
        recording = sampled;
        break;
      case 'parentbased_always_off':
        sampled = hasParent && (psc.traceFlags & TraceFlags.SAMPLED) !== 0;
        recording = sampled;
        break;
      case 'always_on':
        sampled = recording = true;
        break;
      case 'always_off':
        sampled = recording = false;
        break;
      default: {
        const attributes = startAttributes(state, url, headers);
        const name = serverSpanName(state.method, undefined);
        const r = lean.sampler.shouldSample(parent, state.traceId, name, SpanKind.SERVER, attributes, []);
        sampled = r.decision === 2; // RECORD_AND_SAMPLED
        recording = r.decision !== 0; // NOT_RECORD
        if (r.traceState !== undefined) state.traceState = r.traceState;
        if (recording && r.attributes !== undefined) state.setAttributes(r.attributes);
      }
    }
    state.sampled = sampled;
    state.recording = recording;
    if (traceResponse) state.traceResponse = `00-${state.traceId}-${state.spanId}-${sampled ? '01' : '00'}`;
  }

  /** The SDK path (custom span processors or exporter): a real SDK span per request. */
  function startSdkSpan(state: RequestState, url: string, headers: IncomingHttpHeaders): void {
    const parent = propagation.extract(ROOT_CONTEXT, headers);
    const attributes = startAttributes(state, url, headers);
    const span = tracer.startSpan(serverSpanName(state.method, undefined), { kind: SpanKind.SERVER, attributes }, parent);
    const sc = span.spanContext();
    state.parent = parent;
    state.span = span;
    state.traceId = sc.traceId;
    state.spanId = sc.spanId;
    state.sampled = (sc.traceFlags & TraceFlags.SAMPLED) !== 0;
    if (traceResponse) state.traceResponse = `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & TraceFlags.SAMPLED}`;
  }

  function endSdkSpan(
    state: RequestState,
    span: Span,
    route: string | undefined,
    status: number,
    errorType: string | undefined,
    res: ResponseHeaders | undefined,
  ) {
    if (route !== undefined) {
      span.setAttribute('http.route', route);
      span.updateName(serverSpanName(state.method, route));
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
      if (state.method === OTHER_METHOD && method !== undefined) state.methodOriginal = method;
      if (requestIds) {
        const inbound = headers[REQUEST_ID_HEADER];
        state.requestId = typeof inbound === 'string' && isValidRequestId(inbound) ? inbound : newRequestId();
      }
      if (tracing) {
        state.url = url;
        state.headers = headers;
        if (lean !== undefined) startLeanSpan(lean, state, url, headers);
        else startSdkSpan(state, url, headers);
      }
      return state;
    },
    end(state, route, status, response, aborted = false) {
      if (state.ended) return;
      state.ended = true;
      const endMs = now();
      metrics.active[state.method * 2 + (state.https ? 1 : 0)]!--;
      const errorType = errorTypeOf(state, status, aborted);
      const entry: SeriesEntry = metrics.series(route ?? unmatchedRoute, state.method, state.https, status, errorType);
      const seconds = (endMs - state.startMs) / 1000;
      if (exemplars) {
        const traced = state.sampled;
        entry.series.recordWithExemplar(
          seconds,
          performance.timeOrigin + endMs,
          traced ? state.traceId : undefined,
          traced ? state.spanId : undefined,
          state.requestId,
        );
      } else {
        entry.series.record(seconds);
      }
      if (state.lean) {
        if (state.sampled) {
          const chunks = (entry.spanChunks ??= serverSpanChunks(state.method, state.https, route, status, errorType));
          recordServerSpan(lean!.sink, state, chunks, route, errorType, response, endMs, spanConfig);
        } else {
          state.spanEnded = true;
        }
      } else if (state.span !== undefined) {
        endSdkSpan(state, state.span, route, status, errorType, response);
      }
    },
    run(state, fn, ...args) {
      return runInStore(state, fn, ...args);
    },
  };
}
