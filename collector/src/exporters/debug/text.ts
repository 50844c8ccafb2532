/**
 * Text helpers shared by the normal and detailed layouts: Go-style timestamps and value strings,
 * so the output reads like the Collector's debug exporter (pdata's String()/AsString()).
 */
import type { AnyValue, Int64, KeyValue } from '../../model/types.js';
import { anyValueToString, int64ToString, isSet } from '../../model/values.js';

/** A nanosecond timestamp as Go's time.Time.String() in UTC: `2020-02-11 20:26:12.000000321 +0000 UTC`. */
export function goTime(nanos: Int64 | null | undefined): string {
  const ns = BigInt(int64ToString(nanos));
  const secs = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const iso = new Date(Number(secs) * 1000).toISOString(); // 1970-01-01T00:00:00.000Z
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  const fraction = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${fraction} +0000 UTC`;
}

/** The pdata type name of a value: Str, Int, Double, Bool, Map, Slice, Bytes, Empty. */
export function valueType(v: AnyValue | null | undefined): string {
  if (!v) return 'Empty';
  if (isSet(v, 'stringValue')) return 'Str';
  if (isSet(v, 'intValue')) return 'Int';
  if (isSet(v, 'doubleValue')) return 'Double';
  if (isSet(v, 'boolValue')) return 'Bool';
  if (isSet(v, 'kvlistValue')) return 'Map';
  if (isSet(v, 'arrayValue')) return 'Slice';
  if (isSet(v, 'bytesValue')) return 'Bytes';
  return 'Empty';
}

/** `Str(value)`, `Int(5)`, `Map({"k":"v"})`: the detailed layout's typed value. */
export function typedValue(v: AnyValue | null | undefined): string {
  return `${valueType(v)}(${anyValueToString(v)})`;
}

/** `k=v` pairs of an attribute list (values as plain strings). */
export function attributePairs(attrs: readonly KeyValue[] | undefined): string[] {
  return (attrs ?? []).map((kv) => `${kv.key}=${anyValueToString(kv.value)}`);
}

/** Go's `%f`: six decimals, with NaN / +Inf / -Inf spelled as Go does. */
export function goFloat(n: number | null | undefined): string {
  const v = n ?? 0;
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return v.toFixed(6);
}

const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS_CODES = ['Unset', 'Ok', 'Error'];
const TEMPORALITIES = ['Unspecified', 'Delta', 'Cumulative'];
const SEVERITY_BANDS = ['Trace', 'Debug', 'Info', 'Warn', 'Error', 'Fatal'];

/** SpanKind as pdata names it. */
export function spanKindName(kind: number | undefined): string {
  return SPAN_KINDS[kind ?? 0] ?? `SpanKind(${kind})`;
}

/** Status code as pdata names it. */
export function statusCodeName(code: number | undefined): string {
  return STATUS_CODES[code ?? 0] ?? `StatusCode(${code})`;
}

/** Aggregation temporality as pdata names it. */
export function temporalityName(t: number | undefined): string {
  return TEMPORALITIES[t ?? 0] ?? `AggregationTemporality(${t})`;
}

/** SeverityNumber as pdata names it: 9 → Info, 10 → Info2, 0 → Unspecified. */
export function severityName(n: number | undefined): string {
  const v = n ?? 0;
  if (v < 1 || v > 24) return v === 0 ? 'Unspecified' : `SeverityNumber(${v})`;
  const band = SEVERITY_BANDS[Math.floor((v - 1) / 4)] as string;
  const step = (v - 1) % 4;
  return step === 0 ? band : `${band}${step + 1}`;
}
