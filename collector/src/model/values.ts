/** Helpers for OTLP attributes (KeyValue lists) and AnyValue, used by processors and exporters. */
import Long from 'long';
import type { AnyValue, Int64, KeyValue } from './types.js';

/** A JavaScript value an attribute can hold. */
export type AttributeValue =
  | string
  | number
  | boolean
  | bigint
  | Uint8Array
  | AttributeValue[]
  | { [key: string]: AttributeValue }
  | null;

/** Converts a 64-bit integer to a number (exact up to 2^53). */
export function int64ToNumber(v: Int64 | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/** Converts a 64-bit integer to its exact decimal string. */
export function int64ToString(v: Int64 | null | undefined): string {
  if (v === null || v === undefined) return '0';
  return typeof v === 'number' ? String(Math.trunc(v)) : v.toString();
}

/**
 * True when a oneof member or proto3 `optional` field is set. protobufjs keeps their defaults on
 * the message prototype, so `msg.asInt` reads 0 even when the value is a double: check this
 * before reading such a field (NumberDataPoint.asDouble/asInt, AnyValue.*, HistogramDataPoint.sum…).
 */
export function isSet(message: object, field: string): boolean {
  return Object.hasOwn(message, field) && (message as Record<string, unknown>)[field] != null;
}

/** The value of a NumberDataPoint or Exemplar as a number (asDouble, else asInt). */
export function pointValue(point: { asDouble?: number | null; asInt?: Int64 | null }): number {
  if (isSet(point, 'asDouble')) return point.asDouble as number;
  if (isSet(point, 'asInt')) return int64ToNumber(point.asInt);
  return 0;
}

/** Converts an AnyValue to a plain JavaScript value (int64 as number). */
export function anyValueToJs(v: AnyValue | null | undefined): AttributeValue {
  if (!v) return null;
  if (isSet(v, 'stringValue')) return v.stringValue as string;
  if (isSet(v, 'boolValue')) return v.boolValue as boolean;
  if (isSet(v, 'intValue')) return int64ToNumber(v.intValue);
  if (isSet(v, 'doubleValue')) return v.doubleValue as number;
  if (isSet(v, 'arrayValue')) return v.arrayValue!.values.map(anyValueToJs);
  if (isSet(v, 'kvlistValue')) {
    const out: Record<string, AttributeValue> = {};
    for (const kv of v.kvlistValue!.values) out[kv.key] = anyValueToJs(kv.value);
    return out;
  }
  if (isSet(v, 'bytesValue')) return v.bytesValue as Uint8Array;
  return null;
}

/** Renders an AnyValue as a string: strings as is, everything else as JSON. */
export function anyValueToString(v: AnyValue | null | undefined): string {
  if (!v) return '';
  if (isSet(v, 'stringValue')) return v.stringValue as string;
  const js = anyValueToJs(v);
  if (js instanceof Uint8Array) return Buffer.from(js).toString('base64');
  return typeof js === 'object' ? JSON.stringify(js, bytesReplacer) : String(js);
}

function bytesReplacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
}

/** Converts a JavaScript value to an AnyValue (integers become intValue, other numbers doubleValue). */
export function jsToAnyValue(v: unknown): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'bigint') return { intValue: Long.fromString(v.toString()) };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: Long.fromNumber(v) } : { doubleValue: v };
  if (v instanceof Uint8Array) return { bytesValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(jsToAnyValue) } };
  if (v !== null && typeof v === 'object') {
    return { kvlistValue: { values: Object.entries(v).map(([key, value]) => ({ key, value: jsToAnyValue(value) })) } };
  }
  return {};
}

/** Finds an attribute by key; undefined when absent. */
export function findAttribute(attrs: readonly KeyValue[] | undefined, key: string): KeyValue | undefined {
  if (!attrs) return undefined;
  for (let i = 0; i < attrs.length; i++) if (attrs[i].key === key) return attrs[i];
  return undefined;
}

/** The attribute's value as a string, or undefined when absent. */
export function getStringAttribute(attrs: readonly KeyValue[] | undefined, key: string): string | undefined {
  const kv = findAttribute(attrs, key);
  return kv ? anyValueToString(kv.value) : undefined;
}

/** Sets (upserts) an attribute. */
export function setAttribute(attrs: KeyValue[], key: string, value: unknown): void {
  const kv = findAttribute(attrs, key);
  if (kv) kv.value = jsToAnyValue(value);
  else attrs.push({ key, value: jsToAnyValue(value) });
}

/** Sets an attribute only when it is not already present (never overwrite what the sender set). */
export function insertAttribute(attrs: KeyValue[], key: string, value: unknown): boolean {
  if (findAttribute(attrs, key)) return false;
  attrs.push({ key, value: jsToAnyValue(value) });
  return true;
}

/** Converts a KeyValue list to a plain object. */
export function attributesToObject(attrs: readonly KeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  if (attrs) for (const kv of attrs) out[kv.key] = anyValueToJs(kv.value);
  return out;
}

/** Converts a plain object to a KeyValue list. */
export function objectToAttributes(obj: Record<string, unknown>): KeyValue[] {
  return Object.entries(obj).map(([key, value]) => ({ key, value: jsToAnyValue(value) }));
}

/** Nibble value of each char code (lowercase hex digits only); -1 elsewhere. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = 10 + i;

/**
 * The bytes of a W3C trace or span ID written as `2 * bytes` lowercase hex digits; undefined for
 * anything else. One pass with a lookup table: no regular expression, no intermediate Buffer.
 */
export function hexIdToBytes(hex: string, bytes: number): Uint8Array | undefined {
  if (hex.length !== bytes * 2) return undefined;
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) {
    const c1 = hex.charCodeAt(2 * i);
    const c2 = hex.charCodeAt(2 * i + 1);
    const hi = c1 < 128 ? (NIBBLE[c1] as number) : -1;
    const lo = c2 < 128 ? (NIBBLE[c2] as number) : -1;
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/**
 * Node's native hex encoder, called on the ID itself: `buffer.toString('hex')` without first
 * wrapping the Uint8Array in a Buffer. `hexSlice` is what Buffer#toString('hex') calls; if a
 * Node version lacks it, the wrapping form is used.
 */
const nativeHexSlice = (Buffer.prototype as unknown as { hexSlice?: (this: Uint8Array, start: number, end: number) => string })
  .hexSlice;

/** The two hex digits of each byte value, as char codes. */
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  HEX_HI[b] = '0123456789abcdef'.charCodeAt(b >> 4);
  HEX_LO[b] = '0123456789abcdef'.charCodeAt(b & 15);
}

/**
 * Hex of an 8-byte (span) or 16-byte (trace) ID in one `String.fromCharCode` call. In the Loki
 * exporter, which converts two IDs per log record, this gave ~8% more lines per CPU-second than
 * the native hexSlice: the same flat string, without a call into C++ per ID.
 */
function spanIdHex(b: Uint8Array): string {
  const h = HEX_HI;
  const l = HEX_LO;
  // biome-ignore format: two hex digits per byte, a byte per pair
  return String.fromCharCode(
    h[b[0]], l[b[0]], h[b[1]], l[b[1]], h[b[2]], l[b[2]], h[b[3]], l[b[3]],
    h[b[4]], l[b[4]], h[b[5]], l[b[5]], h[b[6]], l[b[6]], h[b[7]], l[b[7]],
  );
}

function traceIdHex(b: Uint8Array): string {
  const h = HEX_HI;
  const l = HEX_LO;
  // biome-ignore format: two hex digits per byte, a byte per pair
  return String.fromCharCode(
    h[b[0]], l[b[0]], h[b[1]], l[b[1]], h[b[2]], l[b[2]], h[b[3]], l[b[3]],
    h[b[4]], l[b[4]], h[b[5]], l[b[5]], h[b[6]], l[b[6]], h[b[7]], l[b[7]],
    h[b[8]], l[b[8]], h[b[9]], l[b[9]], h[b[10]], l[b[10]], h[b[11]], l[b[11]],
    h[b[12]], l[b[12]], h[b[13]], l[b[13]], h[b[14]], l[b[14]], h[b[15]], l[b[15]],
  );
}

/** Hex form of a trace or span ID; '' when absent or empty. */
export function idToHex(id: Uint8Array | null | undefined): string {
  if (!id || id.length === 0) return '';
  if (id.length === 16) return traceIdHex(id);
  if (id.length === 8) return spanIdHex(id);
  if (nativeHexSlice !== undefined) return nativeHexSlice.call(id, 0, id.length);
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}
