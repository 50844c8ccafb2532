/**
 * The stable OpenTelemetry HTTP semantic conventions this package records
 * (https://opentelemetry.io/docs/specs/semconv/http/http-metrics/). Attribute names come from
 * `@opentelemetry/semantic-conventions`; `http.server.active_requests` is still incubating there,
 * so its name is copied as that package recommends.
 */
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_SCHEME,
  HTTP_REQUEST_METHOD_VALUE_OTHER,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions';

export {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_SCHEME,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
};

/** `http.server.active_requests` (UpDownCounter, `{request}`). */
export const METRIC_HTTP_SERVER_ACTIVE_REQUESTS = 'http.server.active_requests';

/** The semconv's advised buckets for `http.server.request.duration`, in seconds. */
export const HTTP_SERVER_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** Known methods (RFC 9110 + PATCH + QUERY); anything else is recorded as `_OTHER`. */
export const KNOWN_METHODS: readonly string[] = Object.freeze([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
  HTTP_REQUEST_METHOD_VALUE_OTHER,
]);

/** Index of `_OTHER` in {@link KNOWN_METHODS}. */
export const OTHER_METHOD = KNOWN_METHODS.length - 1;

const METHOD_INDEX: Readonly<Record<string, number>> = Object.freeze(
  Object.assign(Object.create(null), Object.fromEntries(KNOWN_METHODS.slice(0, OTHER_METHOD).map((m, i) => [m, i]))),
);

/** Index of `method` in {@link KNOWN_METHODS} (`_OTHER` for unknown ones; matching is case-sensitive as the semconv says). */
export function methodIndex(method: string | undefined): number {
  if (method === undefined) return OTHER_METHOD;
  const i = METHOD_INDEX[method];
  return i === undefined ? OTHER_METHOD : i;
}

/** `http.route` of a request that matched no route (404s, or adapters without a route matcher). */
export const UNMATCHED_ROUTE = '(unmatched)';

/** Request and response headers never recorded, whatever `captureRequestHeaders` says. */
export const REDACTED_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
]);
