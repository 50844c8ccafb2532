/**
 * OTLP/JSON, per the OTLP specification's JSON mapping: proto3 JSON with lowerCamelCase keys,
 * trace and span IDs as hex strings (not base64), enums as integers, 64-bit integers as decimal
 * strings. A generic walker over the protobufjs reflection tree does both directions, so every
 * message type follows the same rules; decoding names the exact path of anything malformed.
 */
import Long from 'long';
import type protobuf from 'protobufjs';

/** Byte fields that OTLP/JSON writes as hex, with their required length in bytes. */
const HEX_ID_FIELDS: Readonly<Record<string, number>> = {
  traceId: 16,
  spanId: 8,
  parentSpanId: 8,
};

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const UNSIGNED_LONG_TYPES = new Set(['uint64', 'fixed64']);
const INT32_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

/** A JSON value that does not fit the schema; `path` locates it (`resourceSpans[0].scopeSpans[1]…`). */
export class JsonMappingError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${typeof value === 'object' ? '' : String(value)}`.trim();
}

function hexToBytes(hex: string, bytes: number, path: string): Uint8Array {
  if (hex.length === 0) return new Uint8Array(0);
  if (hex.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new JsonMappingError(path, `expected ${bytes * 2} hex characters, got ${describe(hex)}`);
  }
  return Buffer.from(hex, 'hex');
}

function scalarFromJson(field: protobuf.Field, value: unknown, path: string): unknown {
  const type = field.type;
  if (type === 'string') {
    if (typeof value !== 'string') throw new JsonMappingError(path, `expected a string, got ${describe(value)}`);
    return value;
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw new JsonMappingError(path, `expected a boolean, got ${describe(value)}`);
    return value;
  }
  if (type === 'double' || type === 'float') {
    if (typeof value === 'number') return value;
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    throw new JsonMappingError(path, `expected a number, got ${describe(value)}`);
  }
  if (LONG_TYPES.has(type)) {
    const unsigned = UNSIGNED_LONG_TYPES.has(type);
    if (typeof value === 'number' && Number.isInteger(value)) return Long.fromNumber(value, unsigned);
    if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) {
      if (unsigned && value.startsWith('-'))
        throw new JsonMappingError(path, `expected an unsigned integer, got ${describe(value)}`);
      return Long.fromString(value, unsigned);
    }
    throw new JsonMappingError(path, `expected a 64-bit integer (number or decimal string), got ${describe(value)}`);
  }
  if (INT32_TYPES.has(type)) {
    const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n))
      throw new JsonMappingError(path, `expected an integer, got ${describe(value)}`);
    return n;
  }
  if (type === 'bytes') {
    const idBytes = HEX_ID_FIELDS[field.name];
    if (typeof value !== 'string') throw new JsonMappingError(path, `expected a string, got ${describe(value)}`);
    if (idBytes !== undefined) return hexToBytes(value, idBytes, path);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw new JsonMappingError(path, 'expected base64 bytes');
    return Buffer.from(value, 'base64');
  }
  throw new JsonMappingError(path, `unsupported field type ${type}`);
}

function enumFromJson(enumType: protobuf.Enum, value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && enumType.values[value] !== undefined) return enumType.values[value] as number;
  throw new JsonMappingError(path, `expected an enum integer of ${enumType.name}, got ${describe(value)}`);
}

function fieldFromJson(field: protobuf.Field, value: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (resolved && 'fieldsArray' in resolved) return messageFromJson(resolved as protobuf.Type, value, path);
  if (resolved) return enumFromJson(resolved as protobuf.Enum, value, path);
  return scalarFromJson(field, value, path);
}

/**
 * Builds a protobufjs message of `type` from parsed OTLP/JSON. Unknown keys are ignored, as the
 * OTLP spec asks of receivers; a value of the wrong type throws JsonMappingError with its path.
 */
export function messageFromJson(type: protobuf.Type, json: unknown, path = ''): protobuf.Message {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new JsonMappingError(path || '$', `expected an object, got ${describe(json)}`);
  }
  const props: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const field = type.fields[key] ?? type.fields[snakeToCamel(key)];
    if (field === undefined || value === null) continue;
    const fieldPath = path ? `${path}.${key}` : key;
    if (field.repeated) {
      if (!Array.isArray(value)) throw new JsonMappingError(fieldPath, `expected an array, got ${describe(value)}`);
      props[field.name] = value.map((v, i) => fieldFromJson(field, v, `${fieldPath}[${i}]`));
    } else {
      props[field.name] = fieldFromJson(field, value, fieldPath);
    }
  }
  return type.create(props);
}

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function scalarToJson(field: protobuf.Field, value: unknown): unknown {
  const type = field.type;
  if (LONG_TYPES.has(type)) return typeof value === 'number' ? String(value) : (value as Long).toString();
  if (type === 'bytes') {
    // protobufjs defaults an absent bytes field to an empty array, not a Uint8Array.
    const buf =
      value instanceof Uint8Array
        ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
        : Buffer.from(value as number[]);
    return HEX_ID_FIELDS[field.name] !== undefined ? buf.toString('hex') : buf.toString('base64');
  }
  if ((type === 'double' || type === 'float') && !Number.isFinite(value as number)) {
    return Number.isNaN(value) ? 'NaN' : (value as number) > 0 ? 'Infinity' : '-Infinity';
  }
  return value;
}

function isDefault(field: protobuf.Field, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (field.partOf) return false; // oneof members and proto3 `optional` are present when set, even at zero
  if (field.repeated) return (value as unknown[]).length === 0;
  if (field.resolvedType && 'fieldsArray' in field.resolvedType) return false;
  if (value === '' || value === 0 || value === false) return true;
  if (Long.isLong(value)) return (value as Long).isZero();
  if (field.type === 'bytes') return (value as ArrayLike<number>).length === 0;
  return false;
}

function fieldToJson(field: protobuf.Field, value: unknown): unknown {
  const resolved = field.resolvedType;
  if (resolved && 'fieldsArray' in resolved) return messageToJson(resolved as protobuf.Type, value as object);
  if (resolved) return value; // enums are integers in OTLP/JSON
  return scalarToJson(field, value);
}

/** Turns a message (decoded or plain object of the same shape) into an OTLP/JSON-ready object. */
export function messageToJson(type: protobuf.Type, message: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const m = message as Record<string, unknown>;
  for (const field of type.fieldsArray) {
    // protobufjs keeps oneof and `optional` defaults on the prototype: only own properties are set.
    if (field.partOf && !Object.hasOwn(m, field.name)) continue;
    const value = m[field.name];
    if (isDefault(field, value)) continue;
    out[field.name] = field.repeated ? (value as unknown[]).map((v) => fieldToJson(field, v)) : fieldToJson(field, value);
  }
  return out;
}
