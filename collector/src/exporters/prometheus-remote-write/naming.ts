/**
 * OpenTelemetry → Prometheus names, per the specification's "Prometheus and OpenMetrics
 * compatibility": metric names get invalid characters replaced, the unit as a suffix (UCUM →
 * Prometheus words: `s` → `seconds`, `By` → `bytes`, `1` → `ratio` for gauges, `{packets}` → none,
 * `m/s` → `meters_per_second`) and `_total` for monotonic counters; label names get invalid
 * characters replaced and a `key_`/`key` prefix when they would start with a digit or `__`.
 *
 * Translation runs per data point, so both functions cache their results in bounded maps.
 */

/** What kind of Prometheus metric a name is built for (decides `_total` and `_ratio`). */
export type NameKind = 'counter' | 'gauge' | 'histogram' | 'summary';

const UNIT_WORDS: Readonly<Record<string, string>> = {
  // time
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  // bytes
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  // SI
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  // misc
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

const PER_UNIT_WORDS: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

const INVALID_METRIC_CHARS = /[^a-zA-Z0-9_:]+/g;
const INVALID_LABEL_CHARS = /[^a-zA-Z0-9_]+/g;
const MULTI_UNDERSCORE = /__+/g;
const EDGE_UNDERSCORES = /^_+|_+$/g;

/** Replaces invalid metric-name characters with `_`, collapsing runs and trimming the ends. */
function sanitizeMetricPart(s: string): string {
  return s.replace(INVALID_METRIC_CHARS, '_').replace(MULTI_UNDERSCORE, '_').replace(EDGE_UNDERSCORES, '');
}

/** The Prometheus words of a UCUM unit: [main, per]; either may be ''. Annotations (`{…}`) vanish. */
export function unitWords(unit: string): [string, string] {
  const cleaned = unit.replace(/\{[^}]*\}/g, '').trim();
  if (cleaned === '') return ['', ''];
  const slash = cleaned.indexOf('/');
  const main = slash < 0 ? cleaned : cleaned.slice(0, slash);
  const per = slash < 0 ? '' : cleaned.slice(slash + 1);
  const mainWord = main === '1' ? '' : sanitizeMetricPart(UNIT_WORDS[main] ?? main);
  const perWord = per === '' ? '' : sanitizeMetricPart(PER_UNIT_WORDS[per] ?? per);
  return [mainWord, perWord];
}

function hasSuffix(name: string, suffix: string): boolean {
  return name === suffix || name.endsWith(`_${suffix}`);
}

function buildMetricName(name: string, unit: string, kind: NameKind, namespace: string, addSuffixes: boolean): string {
  let base = sanitizeMetricPart(name);
  if (addSuffixes) {
    // `_total` goes last, after the unit: take it off first so `foo_total` [s] → `foo_seconds_total`.
    if (kind === 'counter' && hasSuffix(base, 'total')) base = base === 'total' ? '' : base.slice(0, -'_total'.length);
    const [main, per] = unitWords(unit);
    const parts = base === '' ? [] : [base];
    if (main !== '' && !hasSuffix(base, main)) parts.push(main);
    if (per !== '' && !hasSuffix(parts.join('_'), `per_${per}`)) parts.push('per', per);
    if (kind === 'gauge' && unit.trim() === '1' && !hasSuffix(base, 'ratio')) parts.push('ratio');
    if (kind === 'counter') parts.push('total');
    base = parts.join('_');
  }
  if (namespace !== '') base = `${sanitizeMetricPart(namespace)}_${base}`;
  if (base === '') return '_';
  // A leading digit is not allowed: prefix `_`.
  const c = base.charCodeAt(0);
  return c >= 48 && c <= 57 ? `_${base}` : base;
}

const CACHE_LIMIT = 10_000;

/**
 * A name translator bound to one exporter's options, with bounded caches (cleared when full: the
 * names in use are few, so a clear is rare and cheap).
 */
export interface Namer {
  /** The Prometheus metric name of an OTel metric (without `_bucket`/`_sum`/`_count`). */
  metricName(name: string, unit: string, kind: NameKind): string;
  /** The Prometheus label name of an attribute key. */
  labelName(key: string): string;
}

/** Creates a Namer for `namespace` and `add_metric_suffixes`. */
export function createNamer(options: { namespace: string; addMetricSuffixes: boolean }): Namer {
  const metricCache = new Map<string, string>();
  const labelCache = new Map<string, string>();
  return {
    metricName(name, unit, kind) {
      const key = `${kind}\u0000${unit}\u0000${name}`;
      let out = metricCache.get(key);
      if (out === undefined) {
        out = buildMetricName(name, unit, kind, options.namespace, options.addMetricSuffixes);
        if (metricCache.size >= CACHE_LIMIT) metricCache.clear();
        metricCache.set(key, out);
      }
      return out;
    },
    labelName(key) {
      let out = labelCache.get(key);
      if (out === undefined) {
        out = sanitizeLabelName(key);
        if (labelCache.size >= CACHE_LIMIT) labelCache.clear();
        labelCache.set(key, out);
      }
      return out;
    },
  };
}

/**
 * An attribute key as a Prometheus label name: each run of invalid characters becomes one `_`;
 * a leading digit gets `key_`; a leading `__` (reserved for Prometheus' own labels such as
 * `__name__`) gets `key`, so data can never set an internal label.
 */
export function sanitizeLabelName(key: string): string {
  let out = key.replace(INVALID_LABEL_CHARS, '_');
  if (out === '') return 'key_empty';
  const c = out.charCodeAt(0);
  if (c >= 48 && c <= 57) out = `key_${out}`;
  else if (out.startsWith('__')) out = `key${out}`;
  return out;
}

/** The `le`/`quantile` label value of a bound, as Prometheus formats floats (`+Inf`, `0.5`, `1e+06`). */
export function formatFloat(v: number): string {
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  // Go's strconv.FormatFloat(v, 'g', -1, 64) for the usual range is JS's shortest repr;
  // exponents differ in form only (`1e+21` in both).
  return String(v);
}
