/**
 * Compiles a parsed OTTL condition for one context (span, spanevent, metric, datapoint, log)
 * into a closure over an evaluation frame. Paths, functions and enums are resolved here, once, so
 * an unknown path is a config error with its column and evaluation does no lookups by name.
 */

import { compileRe2 } from '../../../internal/re2.js';
import type {
  AnyValue,
  InstrumentationScope,
  KeyValue,
  LogRecord,
  Metric,
  Resource,
  Span,
  SpanEvent,
} from '../../../model/types.js';
import { findAttribute, idToHex, isSet } from '../../../model/values.js';
import { dataPointsOf } from '../../internal/data-points.js';
import { type Node, OttlSyntaxError, type OttlValue, parseCondition } from './parser.js';

/** The OTTL contexts the filter processor evaluates conditions in. */
export type OttlContext = 'span' | 'spanevent' | 'metric' | 'datapoint' | 'log';

/** A data point of any metric type, as the datapoint context sees it. */
export interface AnyDataPoint {
  attributes: KeyValue[];
  startTimeUnixNano?: unknown;
  timeUnixNano?: unknown;
  asInt?: unknown;
  asDouble?: number | null;
  count?: unknown;
  sum?: number | null;
  flags?: number;
}

/** What a condition is evaluated against; the filter processor reuses one frame per batch. */
export interface Frame {
  resource: Resource | null | undefined;
  scope: InstrumentationScope | null | undefined;
  span?: Span;
  event?: SpanEvent;
  metric?: Metric;
  point?: AnyDataPoint;
  log?: LogRecord;
}

/** A compiled condition. */
export type Condition = (frame: Frame) => boolean;

type Getter = (f: Frame) => OttlValue;
type MapGetter = (f: Frame) => readonly KeyValue[] | null | undefined;

/** OTTL's enums (all ints). */
export const ENUMS: Readonly<Record<string, bigint>> = {
  SPAN_KIND_UNSPECIFIED: 0n,
  SPAN_KIND_INTERNAL: 1n,
  SPAN_KIND_SERVER: 2n,
  SPAN_KIND_CLIENT: 3n,
  SPAN_KIND_PRODUCER: 4n,
  SPAN_KIND_CONSUMER: 5n,
  STATUS_CODE_UNSET: 0n,
  STATUS_CODE_OK: 1n,
  STATUS_CODE_ERROR: 2n,
  METRIC_DATA_TYPE_NONE: 0n,
  METRIC_DATA_TYPE_GAUGE: 1n,
  METRIC_DATA_TYPE_SUM: 2n,
  METRIC_DATA_TYPE_HISTOGRAM: 3n,
  METRIC_DATA_TYPE_EXPONENTIAL_HISTOGRAM: 4n,
  METRIC_DATA_TYPE_SUMMARY: 5n,
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0n,
  AGGREGATION_TEMPORALITY_DELTA: 1n,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2n,
  SEVERITY_NUMBER_UNSPECIFIED: 0n,
  ...Object.fromEntries(
    ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].flatMap((name, i) =>
      [1, 2, 3, 4].map((n) => [`SEVERITY_NUMBER_${name}${n === 1 ? '' : n}`, BigInt(i * 4 + n)]),
    ),
  ),
};

/** Converts an AnyValue to an OTTL value (ints as bigint). */
export function fromAnyValue(v: AnyValue | null | undefined): OttlValue {
  if (!v) return null;
  if (isSet(v, 'stringValue')) return v.stringValue as string;
  if (isSet(v, 'boolValue')) return v.boolValue as boolean;
  if (isSet(v, 'intValue')) return toBigInt(v.intValue);
  if (isSet(v, 'doubleValue')) return v.doubleValue as number;
  if (isSet(v, 'bytesValue')) return v.bytesValue as Uint8Array;
  if (isSet(v, 'arrayValue')) return (v.arrayValue as { values: AnyValue[] }).values.map(fromAnyValue);
  if (isSet(v, 'kvlistValue')) {
    const out: Record<string, OttlValue> = {};
    for (const kv of (v.kvlistValue as { values: KeyValue[] }).values) out[kv.key] = fromAnyValue(kv.value);
    return out;
  }
  return null;
}

function toBigInt(v: unknown): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'bigint') return v;
  const l = v as { high: number; low: number; toString(): string };
  // Long: values that fit in 32 bits (most attribute ints, severities, counts) skip the string round trip.
  if ((l.high === 0 && l.low >= 0) || (l.high === -1 && l.low < 0)) return BigInt(l.low);
  return BigInt(l.toString());
}

function metricType(m: Metric | undefined): bigint {
  if (!m) return 0n;
  if (m.gauge) return 1n;
  if (m.sum) return 2n;
  if (m.histogram) return 3n;
  if (m.exponentialHistogram) return 4n;
  if (m.summary) return 5n;
  return 0n;
}

interface PathTable {
  readonly values: Readonly<Record<string, Getter>>;
  readonly maps: Readonly<Record<string, MapGetter>>;
}

function spanTable(get: (f: Frame) => Span | undefined): PathTable {
  return {
    values: {
      name: (f) => get(f)?.name ?? '',
      kind: (f) => BigInt(get(f)?.kind ?? 0),
      'status.code': (f) => BigInt(get(f)?.status?.code ?? 0),
      'status.message': (f) => get(f)?.status?.message ?? '',
      'trace_id.string': (f) => idToHex(get(f)?.traceId),
      'span_id.string': (f) => idToHex(get(f)?.spanId),
      'parent_span_id.string': (f) => idToHex(get(f)?.parentSpanId),
      trace_state: (f) => get(f)?.traceState ?? '',
      start_time_unix_nano: (f) => toBigInt(get(f)?.startTimeUnixNano),
      end_time_unix_nano: (f) => toBigInt(get(f)?.endTimeUnixNano),
      dropped_attributes_count: (f) => BigInt(get(f)?.droppedAttributesCount ?? 0),
    },
    maps: { attributes: (f) => get(f)?.attributes },
  };
}

function metricTable(get: (f: Frame) => Metric | undefined): PathTable {
  return {
    values: {
      name: (f) => get(f)?.name ?? '',
      description: (f) => get(f)?.description ?? '',
      unit: (f) => get(f)?.unit ?? '',
      type: (f) => metricType(get(f)),
      aggregation_temporality: (f) => {
        const m = get(f);
        return BigInt(
          m?.sum?.aggregationTemporality ??
            m?.histogram?.aggregationTemporality ??
            m?.exponentialHistogram?.aggregationTemporality ??
            0,
        );
      },
      is_monotonic: (f) => get(f)?.sum?.isMonotonic ?? false,
    },
    maps: {},
  };
}

function prefixed(prefix: string, t: PathTable): PathTable {
  const add = <T>(r: Readonly<Record<string, T>>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [`${prefix}.${k}`, v]));
  return { values: add(t.values), maps: add(t.maps) };
}

function merge(...tables: PathTable[]): PathTable {
  return {
    values: Object.assign({}, ...tables.map((t) => t.values)),
    maps: Object.assign({}, ...tables.map((t) => t.maps)),
  };
}

const COMMON: PathTable = {
  values: {
    'resource.dropped_attributes_count': (f) => BigInt(f.resource?.droppedAttributesCount ?? 0),
    'instrumentation_scope.name': (f) => f.scope?.name ?? '',
    'instrumentation_scope.version': (f) => f.scope?.version ?? '',
  },
  maps: {
    'resource.attributes': (f) => f.resource?.attributes,
    'instrumentation_scope.attributes': (f) => f.scope?.attributes,
  },
};

const TABLES: Record<OttlContext, PathTable> = {
  span: merge(
    COMMON,
    spanTable((f) => f.span),
  ),
  spanevent: merge(
    COMMON,
    prefixed(
      'span',
      spanTable((f) => f.span),
    ),
    {
      values: {
        name: (f) => f.event?.name ?? '',
        time_unix_nano: (f) => toBigInt(f.event?.timeUnixNano),
        dropped_attributes_count: (f) => BigInt(f.event?.droppedAttributesCount ?? 0),
      },
      maps: { attributes: (f) => f.event?.attributes },
    },
  ),
  metric: merge(
    COMMON,
    metricTable((f) => f.metric),
  ),
  datapoint: merge(
    COMMON,
    prefixed(
      'metric',
      metricTable((f) => f.metric),
    ),
    {
      values: {
        value_int: (f) => (f.point && isSet(f.point, 'asInt') ? toBigInt(f.point.asInt) : 0n),
        value_double: (f) => (f.point && isSet(f.point, 'asDouble') ? (f.point.asDouble as number) : 0),
        count: (f) => toBigInt(f.point?.count),
        sum: (f) => (typeof f.point?.sum === 'number' ? f.point.sum : 0),
        start_time_unix_nano: (f) => toBigInt(f.point?.startTimeUnixNano),
        time_unix_nano: (f) => toBigInt(f.point?.timeUnixNano),
        flags: (f) => BigInt(f.point?.flags ?? 0),
      },
      maps: { attributes: (f) => f.point?.attributes },
    },
  ),
  log: merge(COMMON, {
    values: {
      body: (f) => fromAnyValue(f.log?.body),
      severity_number: (f) => BigInt(f.log?.severityNumber ?? 0),
      severity_text: (f) => f.log?.severityText ?? '',
      time_unix_nano: (f) => toBigInt(f.log?.timeUnixNano),
      observed_time_unix_nano: (f) => toBigInt(f.log?.observedTimeUnixNano),
      'trace_id.string': (f) => idToHex(f.log?.traceId),
      'span_id.string': (f) => idToHex(f.log?.spanId),
      flags: (f) => BigInt(f.log?.flags ?? 0),
      event_name: (f) => f.log?.eventName ?? '',
      dropped_attributes_count: (f) => BigInt(f.log?.droppedAttributesCount ?? 0),
    },
    maps: { attributes: (f) => f.log?.attributes },
  }),
};

/** The paths a context supports (for the README and error messages). */
export function supportedPaths(context: OttlContext): string[] {
  const t = TABLES[context];
  return [...Object.keys(t.values), ...Object.keys(t.maps).map((k) => `${k}["key"]`)].sort();
}

/** The functions Stitch supports, with the contexts they work in (all when absent). */
export const FUNCTIONS: Readonly<Record<string, { arity: string; contexts?: readonly OttlContext[] }>> = {
  IsMatch: { arity: '(target, "pattern")' },
  IsString: { arity: '(value)' },
  IsInt: { arity: '(value)' },
  IsDouble: { arity: '(value)' },
  IsBool: { arity: '(value)' },
  IsMap: { arity: '(value)' },
  IsList: { arity: '(value)' },
  IsRootSpan: { arity: '()', contexts: ['span'] },
  HasAttrKeyOnDatapoint: { arity: '("key")', contexts: ['metric'] },
  HasAttrOnDatapoint: { arity: '("key", "value")', contexts: ['metric'] },
};

/** Parses and compiles `src` for `context`; throws OttlSyntaxError (with a column) when unsupported. */
export function compileCondition(src: string, context: OttlContext): Condition {
  const root = parseCondition(src);
  return compileBool(root, context);
}

function isBoolNode(n: Node): boolean {
  return (
    n.kind === 'and' ||
    n.kind === 'or' ||
    n.kind === 'not' ||
    n.kind === 'compare' ||
    n.kind === 'call' ||
    (n.kind === 'literal' && typeof n.value === 'boolean')
  );
}

function compileBool(n: Node, ctx: OttlContext): Condition {
  switch (n.kind) {
    case 'or': {
      const l = compileBool(n.left, ctx);
      const r = compileBool(n.right, ctx);
      return (f) => l(f) || r(f);
    }
    case 'and': {
      const l = compileBool(n.left, ctx);
      const r = compileBool(n.right, ctx);
      return (f) => l(f) && r(f);
    }
    case 'not': {
      const o = compileBool(n.operand, ctx);
      return (f) => !o(f);
    }
    case 'compare': {
      const l = compileValue(n.left, ctx);
      const r = compileValue(n.right, ctx);
      const op = n.op;
      return (f) => compare(l(f), op, r(f));
    }
    case 'literal':
      if (typeof n.value === 'boolean') {
        const v = n.value;
        return () => v;
      }
      break;
    case 'call': {
      const g = compileCall(n, ctx);
      return (f) => g(f) === true;
    }
  }
  throw new OttlSyntaxError(
    'a condition must be a comparison, a function such as IsMatch(...), or true/false; combine them with and/or/not',
    n.col,
  );
}

function compileValue(n: Node, ctx: OttlContext): Getter {
  switch (n.kind) {
    case 'literal': {
      const v = n.value;
      return () => v;
    }
    case 'enum': {
      const v = ENUMS[n.name];
      if (v === undefined) throw new OttlSyntaxError(`unknown enum ${n.name}`, n.col);
      return () => v;
    }
    case 'path':
      return compilePath(n, ctx);
    case 'call':
      return compileCall(n, ctx);
    default: {
      if (isBoolNode(n)) {
        const b = compileBool(n, ctx);
        return (f) => b(f);
      }
      throw new OttlSyntaxError('unsupported expression', n.col);
    }
  }
}

function compilePath(n: Extract<Node, { kind: 'path' }>, ctx: OttlContext): Getter {
  const table = TABLES[ctx];
  const name = n.parts.join('.');
  const mapGetter = table.maps[name];
  if (mapGetter) {
    const [first, ...rest] = n.keys;
    if (!first) {
      return (f) => {
        const attrs = mapGetter(f);
        const out: Record<string, OttlValue> = {};
        if (attrs) for (const kv of attrs) out[kv.key] = fromAnyValue(kv.value);
        return out;
      };
    }
    const key = first.key;
    const subKeys = rest.map((k) => k.key);
    return (f) => {
      const attrs = mapGetter(f);
      if (!attrs) return null;
      const kv = findAttribute(attrs, key);
      let v: OttlValue = kv ? fromAnyValue(kv.value) : null;
      for (const k of subKeys) {
        if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) return null;
        v = (v as Record<string, OttlValue>)[k] ?? null;
      }
      return v;
    };
  }
  const getter = table.values[name];
  if (getter) {
    if (n.keys.length > 0 && name !== 'body')
      throw new OttlSyntaxError(
        `${name} is not a map; [${JSON.stringify(n.keys[0]?.key)}] cannot index it`,
        n.keys[0]?.col ?? n.col,
      );
    if (n.keys.length === 0) return getter;
    const keys = n.keys.map((k) => k.key);
    return (f) => {
      let v = getter(f);
      for (const k of keys) {
        if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) return null;
        v = (v as Record<string, OttlValue>)[k] ?? null;
      }
      return v;
    };
  }
  throw new OttlSyntaxError(
    `unknown path ${JSON.stringify(name)} for ${ctx} conditions; supported: ${supportedPaths(ctx).join(', ')}`,
    n.col,
  );
}

function compileCall(n: Extract<Node, { kind: 'call' }>, ctx: OttlContext): Getter {
  const spec = FUNCTIONS[n.name];
  if (!spec) {
    throw new OttlSyntaxError(
      `function ${n.name} is not in Stitch's OTTL subset; supported: ${Object.keys(FUNCTIONS).join(', ')}`,
      n.col,
    );
  }
  if (spec.contexts && !spec.contexts.includes(ctx))
    throw new OttlSyntaxError(`${n.name} can only be used in ${spec.contexts.join(', ')} conditions`, n.col);
  const wantArgs = spec.arity === '()' ? 0 : spec.arity.split(',').length;
  if (n.args.length !== wantArgs)
    throw new OttlSyntaxError(`${n.name} takes ${wantArgs} argument${wantArgs === 1 ? '' : 's'}: ${n.name}${spec.arity}`, n.col);
  const stringLiteral = (i: number): string => {
    const a = n.args[i] as Node;
    if (a.kind !== 'literal' || typeof a.value !== 'string')
      throw new OttlSyntaxError(`argument ${i + 1} of ${n.name} must be a string literal`, a.col);
    return a.value;
  };
  switch (n.name) {
    case 'IsMatch': {
      const target = compileValue(n.args[0] as Node, ctx);
      const pattern = stringLiteral(1);
      let re: RegExp;
      try {
        re = compileRe2(pattern);
      } catch (err) {
        throw new OttlSyntaxError(`invalid regular expression in IsMatch: ${(err as Error).message}`, (n.args[1] as Node).col);
      }
      return (f) => {
        const s = stringLike(target(f));
        return s !== null && re.test(s);
      };
    }
    case 'IsString':
    case 'IsInt':
    case 'IsDouble':
    case 'IsBool':
    case 'IsMap':
    case 'IsList': {
      const v = compileValue(n.args[0] as Node, ctx);
      const test = TYPE_TESTS[n.name] as (x: OttlValue) => boolean;
      return (f) => test(v(f));
    }
    case 'IsRootSpan':
      return (f) => !f.span?.parentSpanId || f.span.parentSpanId.length === 0;
    case 'HasAttrKeyOnDatapoint': {
      const key = stringLiteral(0);
      return (f) => (f.metric ? dataPointsOf(f.metric) : []).some((p) => p.attributes.some((kv) => kv.key === key));
    }
    case 'HasAttrOnDatapoint': {
      const key = stringLiteral(0);
      const want = stringLiteral(1);
      return (f) =>
        (f.metric ? dataPointsOf(f.metric) : []).some((p) =>
          p.attributes.some(
            (kv) => kv.key === key && kv.value != null && isSet(kv.value, 'stringValue') && kv.value.stringValue === want,
          ),
        );
    }
  }
  throw new OttlSyntaxError(`function ${n.name} is not implemented`, n.col);
}

const TYPE_TESTS: Record<string, (x: OttlValue) => boolean> = {
  IsString: (x) => typeof x === 'string',
  IsInt: (x) => typeof x === 'bigint',
  IsDouble: (x) => typeof x === 'number',
  IsBool: (x) => typeof x === 'boolean',
  IsMap: (x) => x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Uint8Array),
  IsList: (x) => Array.isArray(x),
};

/** OTTL's StringLikeGetter: strings as is, other scalars printed, maps and lists as JSON, nil → no match. */
function stringLike(v: OttlValue): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return idToHex(v);
  if (typeof v === 'object') return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
  return String(v);
}

/**
 * OTTL comparison rules: nil equals only nil; values of different types are unequal and not
 * ordered; ints and doubles compare numerically; strings and bytes compare lexically; booleans,
 * maps and lists support only == and !=.
 */
export function compare(a: OttlValue, op: string, b: OttlValue): boolean {
  const eq = equal(a, b);
  if (op === '==') return eq;
  if (op === '!=') return !eq;
  let c: number | undefined;
  const numA = typeof a === 'number' || typeof a === 'bigint';
  const numB = typeof b === 'number' || typeof b === 'bigint';
  if (numA && numB) c = a < b ? -1 : a > b ? 1 : 0;
  else if (typeof a === 'string' && typeof b === 'string') c = a < b ? -1 : a > b ? 1 : 0;
  else if (a instanceof Uint8Array && b instanceof Uint8Array) c = Buffer.compare(a, b);
  if (c === undefined) return false;
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

function equal(a: OttlValue, b: OttlValue): boolean {
  if (a === null || b === null) return a === b;
  const numA = typeof a === 'number' || typeof a === 'bigint';
  const numB = typeof b === 'number' || typeof b === 'bigint';
  // biome-ignore lint/suspicious/noDoubleEquals: loose equality is the exact int/double comparison here
  if (numA && numB) return a == b;
  if (typeof a !== typeof b) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array)
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  if (typeof a === 'object') return stringLike(a) === stringLike(b);
  return a === b;
}
