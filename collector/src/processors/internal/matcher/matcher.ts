/**
 * Compiled include/exclude matching (contrib internal/filter/filterspan, filterlog, filtermetric):
 * every list given must match (AND); within a list, any item matches (OR), except `attributes`
 * and `resources`, whose items must all match. Strings are compared exactly (`strict`) or
 * searched with an RE2 pattern (`regexp`, unanchored as Go's MatchString).
 */
import { errors } from '../../../errors.js';
import { compileRe2 } from '../../../internal/re2.js';
import type {
  AnyValue,
  InstrumentationScope,
  KeyValue,
  LogRecord,
  Metric,
  Resource,
  Signal,
  Span,
} from '../../../model/types.js';
import { anyValueToJs, findAttribute, isSet } from '../../../model/values.js';
import type { MatchProperties } from './config.js';

/** The item a matcher is asked about, per signal. */
export type MatchItem = Span | LogRecord | Metric;

/** True when the item (with its resource and scope) matches the properties. */
export type Matcher = (
  resource: Resource | null | undefined,
  scope: InstrumentationScope | null | undefined,
  item: MatchItem,
) => boolean;

type Check = (resource: Resource | null | undefined, scope: InstrumentationScope | null | undefined, item: never) => boolean;

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};

/** The fields that make sense per signal (the Collector rejects the others at start). */
const ALLOWED: Record<Signal, readonly string[]> = {
  traces: ['services', 'span_names', 'span_kinds', 'attributes', 'resources', 'libraries'],
  logs: ['log_bodies', 'log_severity_texts', 'log_severity_number', 'attributes', 'resources', 'libraries'],
  metrics: ['metric_names', 'resources'],
};

/**
 * Compiles `props` for `signal`. Throws STITCH_ERR_CONFIG_INVALID_VALUE (at create time, so the
 * collector fails to start) when a property does not apply to the signal or none is given.
 */
export function compileMatcher(props: MatchProperties, signal: Signal, path: string): Matcher {
  const given = Object.entries(props)
    .filter(([k, v]) => k !== 'match_type' && k !== 'regexp' && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([k]) => k);
  const wrong = given.filter((k) => !ALLOWED[signal].includes(k));
  if (wrong.length > 0) {
    throw errors.STITCH_ERR_CONFIG_INVALID_VALUE(
      [`${path}: ${wrong.join(', ')} cannot be used with ${signal}; use ${ALLOWED[signal].join(', ')}`],
      { path },
    );
  }
  if (given.length === 0) {
    throw errors.STITCH_ERR_CONFIG_INVALID_VALUE([`${path}: at least one of ${ALLOWED[signal].join(', ')} must be given`], {
      path,
    });
  }
  const str = stringMatcher(props.match_type);
  const checks: Check[] = [];
  if (props.services?.length) {
    const m = str(props.services);
    checks.push((res) => m(stringAttr(res?.attributes, 'service.name') ?? ''));
  }
  if (props.span_names?.length) {
    const m = str(props.span_names);
    checks.push((_r, _s, span: Span) => m(span.name));
  }
  if (props.span_kinds?.length) {
    const kinds = new Set(props.span_kinds.map((k) => SPAN_KINDS[k] ?? SPAN_KINDS[`SPAN_KIND_${k.toUpperCase()}`] ?? -1));
    checks.push((_r, _s, span: Span) => kinds.has(span.kind ?? 0));
  }
  if (props.log_bodies?.length) {
    const m = str(props.log_bodies);
    checks.push((_r, _s, log: LogRecord) => !!log.body && isSet(log.body, 'stringValue') && m(log.body.stringValue as string));
  }
  if (props.log_severity_texts?.length) {
    const m = str(props.log_severity_texts);
    checks.push((_r, _s, log: LogRecord) => m(log.severityText ?? ''));
  }
  if (props.log_severity_number) {
    const { min, match_undefined } = props.log_severity_number;
    checks.push((_r, _s, log: LogRecord) => {
      const n = log.severityNumber ?? 0;
      return n === 0 ? match_undefined : n >= min;
    });
  }
  if (props.metric_names?.length) {
    const m = str(props.metric_names);
    checks.push((_r, _s, metric: Metric) => m(metric.name));
  }
  if (props.attributes?.length) {
    const m = attributesMatcher(props.match_type, props.attributes);
    checks.push((_r, _s, item: Span | LogRecord) => m(item.attributes));
  }
  if (props.resources?.length) {
    const m = attributesMatcher(props.match_type, props.resources);
    checks.push((res) => m(res?.attributes));
  }
  if (props.libraries?.length) {
    const libs = props.libraries.map((l) => ({
      name: str([l.name]),
      version: l.version === undefined ? undefined : str([l.version]),
    }));
    checks.push((_r, scope) => libs.some((l) => l.name(scope?.name ?? '') && (!l.version || l.version(scope?.version ?? ''))));
  }
  return (res, scope, item) => {
    for (const c of checks) if (!c(res, scope, item as never)) return false;
    return true;
  };
}

function stringMatcher(type: 'strict' | 'regexp'): (items: readonly string[]) => (s: string) => boolean {
  if (type === 'strict') {
    return (items) => {
      const set = new Set(items);
      return (s) => set.has(s);
    };
  }
  return (items) => {
    const res = items.map((p) => compileRe2(p));
    return (s) => res.some((re) => re.test(s));
  };
}

function stringAttr(attrs: readonly KeyValue[] | undefined, key: string): string | undefined {
  const v = findAttribute(attrs, key)?.value;
  return v && isSet(v, 'stringValue') ? (v.stringValue as string) : undefined;
}

/** All of `wanted` must be present (and equal / matching when a value is given). */
function attributesMatcher(
  type: 'strict' | 'regexp',
  wanted: readonly { key: string; value?: string | number | boolean | undefined }[],
): (attrs: readonly KeyValue[] | undefined) => boolean {
  const checks = wanted.map(({ key, value }) => {
    if (value === undefined) return (attrs: readonly KeyValue[] | undefined) => !!findAttribute(attrs, key);
    if (type === 'regexp') {
      const re = compileRe2(String(value));
      return (attrs: readonly KeyValue[] | undefined) => {
        const v = findAttribute(attrs, key)?.value;
        return !!v && isSet(v, 'stringValue') && re.test(v.stringValue as string);
      };
    }
    return (attrs: readonly KeyValue[] | undefined) => strictEqual(findAttribute(attrs, key)?.value, value);
  });
  return (attrs) => checks.every((c) => c(attrs));
}

// Strict matching compares typed values: 200 does not match "200", as in the Collector.
function strictEqual(v: AnyValue | null | undefined, want: string | number | boolean): boolean {
  if (!v) return false;
  const js = anyValueToJs(v);
  return js === want;
}

/** Include-then-exclude, as the Collector checks them: true when the item should be processed. */
export function includeExclude(include: Matcher | undefined, exclude: Matcher | undefined): Matcher | undefined {
  if (!include && !exclude) return undefined;
  return (res, scope, item) => (!include || include(res, scope, item)) && !(exclude?.(res, scope, item) ?? false);
}
