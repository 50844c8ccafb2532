/**
 * The HTTP server metrics of one telemetry setup, shared by every adapter that records into it:
 * the `http.server.request.duration` exemplar histogram with its cached series, and the
 * `http.server.active_requests` counters.
 */
import type { Attributes } from '@opentelemetry/api';
import type { ExemplarHistogram, HistogramSeries } from '../metrics/histogram.js';
import type { Telemetry } from '../setup/telemetry.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_SCHEME,
  HTTP_SERVER_DURATION_BUCKETS,
  KNOWN_METHODS,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from './semconv.js';
import type { ServerSpanChunks } from './server-span.js';

/** Routes cached per telemetry; beyond this, lookups go straight to the histogram (which caps series itself). */
const MAX_CACHED_ROUTES = 1000;

/**
 * One route × method × scheme × status × error type: its histogram series, and the server span's
 * precomputed bytes for it (filled by the HTTP core on first use).
 */
export class SeriesEntry {
  spanChunks: ServerSpanChunks | undefined = undefined;
  constructor(readonly series: HistogramSeries) {}
}

/** The cached entries of one route: by (status, method, scheme) and, rarely, by error type. */
class RouteSeries {
  readonly byCode = new Map<number, SeriesEntry>();
  byError: Map<string, SeriesEntry> | undefined;
}

/** Shared HTTP metric state; see the module comment. */
export class HttpMetrics {
  /** In-flight requests per (method index × 2 + https). */
  readonly active: Int32Array;
  /** 1 once a request with that method and scheme was seen: its series is reported from then on, 0s included. */
  readonly seen: Uint8Array;
  private readonly routes = new Map<string, RouteSeries>();

  constructor(
    private readonly duration: ExemplarHistogram,
    telemetry: Telemetry,
  ) {
    this.active = new Int32Array(KNOWN_METHODS.length * 2);
    const activeAttrs: Attributes[] = [];
    for (const m of KNOWN_METHODS) {
      for (const scheme of ['http', 'https'])
        activeAttrs.push(Object.freeze({ [ATTR_HTTP_REQUEST_METHOD]: m, [ATTR_URL_SCHEME]: scheme }));
    }
    this.seen = new Uint8Array(this.active.length);
    telemetry.meter
      .createObservableUpDownCounter(METRIC_HTTP_SERVER_ACTIVE_REQUESTS, {
        description: 'Number of active HTTP server requests.',
        unit: '{request}',
      })
      .addCallback((result) => {
        for (let i = 0; i < this.active.length; i++) if (this.seen[i]) result.observe(this.active[i]!, activeAttrs[i]);
      });
  }

  /** The entry for one finished request; cached, so the attribute object is built once per combination. */
  series(route: string, method: number, https: boolean, status: number, errorType: string | undefined): SeriesEntry {
    let r = this.routes.get(route);
    if (r === undefined) {
      if (this.routes.size >= MAX_CACHED_ROUTES) {
        return new SeriesEntry(this.duration.series(attributes(route, method, https, status, errorType)));
      }
      r = new RouteSeries();
      this.routes.set(route, r);
    }
    // Error types are a small set (status codes as strings, exception class names), looked up by string.
    if (errorType !== undefined && errorType !== String(status)) {
      const key = `${method}|${https ? 1 : 0}|${status}|${errorType}`;
      r.byError ??= new Map();
      let s = r.byError.get(key);
      if (s === undefined) {
        r.byError.set(key, (s = new SeriesEntry(this.duration.series(attributes(route, method, https, status, errorType)))));
      }
      return s;
    }
    const code = (status * KNOWN_METHODS.length + method) * 2 + (https ? 1 : 0);
    let s = r.byCode.get(code);
    if (s === undefined) {
      r.byCode.set(code, (s = new SeriesEntry(this.duration.series(attributes(route, method, https, status, errorType)))));
    }
    return s;
  }
}

function attributes(route: string, method: number, https: boolean, status: number, errorType: string | undefined): Attributes {
  const a: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: KNOWN_METHODS[method]!,
    [ATTR_HTTP_ROUTE]: route,
    [ATTR_URL_SCHEME]: https ? 'https' : 'http',
  };
  if (status > 0) a[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
  if (errorType !== undefined) a[ATTR_ERROR_TYPE] = errorType;
  return a;
}

const BY_TELEMETRY = new WeakMap<Telemetry, HttpMetrics>();

/** The HTTP metrics of `telemetry`, created on first use. */
export function getHttpMetrics(telemetry: Telemetry): HttpMetrics {
  let m = BY_TELEMETRY.get(telemetry);
  if (m === undefined) {
    const duration = telemetry.metricProducer.histogram({
      name: METRIC_HTTP_SERVER_REQUEST_DURATION,
      description: 'Duration of HTTP server requests.',
      unit: 's',
      boundaries: HTTP_SERVER_DURATION_BUCKETS,
      exemplarKey: 'request_id',
    });
    m = new HttpMetrics(duration, telemetry);
    BY_TELEMETRY.set(telemetry, m);
  }
  return m;
}
