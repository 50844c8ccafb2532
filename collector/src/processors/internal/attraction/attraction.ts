/**
 * The compiled form of an `actions` list (contrib coreinternal/attraction): regexes, literal
 * values and the action dispatch are prepared once at create time; `apply` then edits one
 * attribute list in place per item, allocating only for the values it writes.
 */
import { createHash } from 'node:crypto';
import Long from 'long';
import type { ConsumeContext } from '../../../component/component.js';
import { compileRe2, namedGroups } from '../../../internal/re2.js';
import type { AnyValue, KeyValue } from '../../../model/types.js';
import { anyValueToString, findAttribute, int64ToNumber, isSet, jsToAnyValue } from '../../../model/values.js';
import type { ActionConfig } from './config.js';

type Source = (attrs: KeyValue[], ctx: ConsumeContext | undefined) => AnyValue | undefined;

interface CompiledAction {
  readonly name: ActionConfig['action'];
  readonly key: string;
  readonly regex?: RegExp;
  readonly groups?: readonly string[];
  readonly source?: Source;
  readonly convertTo?: 'int' | 'double' | 'string';
}

/** A compiled `actions` list. */
export interface AttrActions {
  /** Number of actions (0 means the processor passes data through untouched). */
  readonly size: number;
  /** Applies every action, in order, to `attrs` (edited in place). */
  apply(attrs: KeyValue[], ctx?: ConsumeContext): void;
}

/** Compiles validated actions (config.ts already rejected bad patterns and combinations). */
export function compileActions(actions: readonly ActionConfig[]): AttrActions {
  const compiled: CompiledAction[] = actions.map((a) => {
    const regex = a.pattern === undefined ? undefined : compileRe2(a.pattern);
    return {
      name: a.action,
      key: a.key,
      ...(regex ? { regex } : {}),
      ...(a.action === 'extract' && regex ? { groups: namedGroups(regex) } : {}),
      ...(a.action === 'insert' || a.action === 'update' || a.action === 'upsert' ? { source: compileSource(a) } : {}),
      ...(a.converted_type ? { convertTo: a.converted_type } : {}),
    };
  });
  return {
    size: compiled.length,
    apply(attrs, ctx) {
      for (const a of compiled) applyOne(a, attrs, ctx);
    },
  };
}

function compileSource(a: ActionConfig): Source {
  // Literal values are converted once; each write gets its own copy so no two items share one object.
  const fallback = a.default_value === undefined ? undefined : a.default_value;
  const orDefault = (v: AnyValue | undefined) => v ?? (fallback === undefined ? undefined : jsToAnyValue(fallback));
  if (a.value !== undefined) {
    const literal = a.value;
    return () => jsToAnyValue(literal);
  }
  if (a.from_attribute) {
    const from = a.from_attribute;
    return (attrs) => {
      const kv = findAttribute(attrs, from);
      return orDefault(kv?.value ? copyValue(kv.value) : undefined);
    };
  }
  if (a.from_context) {
    const read = contextReader(a.from_context);
    return (_attrs, ctx) => orDefault(read(ctx));
  }
  return () => orDefault(undefined);
}

/**
 * `from_context` keys, as the Collector reads client.Info: `client.address`, `metadata.<key>`
 * (several values joined with `;`), `auth.<attr>` (Stitch's authenticators attach none, so it
 * never matches), else a bare metadata key for backwards compatibility.
 */
function contextReader(key: string): (ctx: ConsumeContext | undefined) => AnyValue | undefined {
  if (key === 'client.address') return (ctx) => (ctx?.clientAddress ? { stringValue: ctx.clientAddress } : undefined);
  if (key.startsWith('auth.')) return () => undefined;
  const header = (key.startsWith('metadata.') ? key.slice('metadata.'.length) : key).toLowerCase();
  return (ctx) => {
    const v = ctx?.metadata?.[header];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) return undefined;
    return { stringValue: Array.isArray(v) ? v.join(';') : (v as string) };
  };
}

function remove(attrs: KeyValue[], key: string): void {
  for (let i = attrs.length - 1; i >= 0; i--) if ((attrs[i] as KeyValue).key === key) attrs.splice(i, 1);
}

// Values are replaced, never edited in place, so a shallow copy is enough to avoid sharing.
function copyValue(v: AnyValue): AnyValue {
  const out: AnyValue = {};
  for (const f of ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const)
    if (isSet(v, f)) (out as Record<string, unknown>)[f] = v[f];
  return out;
}

function applyOne(a: CompiledAction, attrs: KeyValue[], ctx: ConsumeContext | undefined): void {
  switch (a.name) {
    case 'insert': {
      if (findAttribute(attrs, a.key)) return;
      const v = (a.source as Source)(attrs, ctx);
      if (v) attrs.push({ key: a.key, value: v });
      return;
    }
    case 'update': {
      const kv = findAttribute(attrs, a.key);
      if (!kv) return;
      const v = (a.source as Source)(attrs, ctx);
      if (v) kv.value = v;
      return;
    }
    case 'upsert': {
      const v = (a.source as Source)(attrs, ctx);
      if (!v) return;
      const kv = findAttribute(attrs, a.key);
      if (kv) kv.value = v;
      else attrs.push({ key: a.key, value: v });
      return;
    }
    case 'delete':
      if (a.key) remove(attrs, a.key);
      if (a.regex) {
        const re = a.regex;
        for (let i = attrs.length - 1; i >= 0; i--) if (re.test((attrs[i] as KeyValue).key)) attrs.splice(i, 1);
      }
      return;
    case 'hash':
      for (const kv of attrs) {
        if ((a.key && kv.key === a.key) || a.regex?.test(kv.key)) kv.value = hashValue(kv.value);
      }
      return;
    case 'extract': {
      const kv = findAttribute(attrs, a.key);
      if (!kv?.value || !isSet(kv.value, 'stringValue')) return;
      const m = (a.regex as RegExp).exec(kv.value.stringValue as string);
      if (!m) return;
      for (const name of a.groups as readonly string[]) {
        const value = { stringValue: m.groups?.[name] ?? '' };
        const target = findAttribute(attrs, name);
        if (target) target.value = value;
        else attrs.push({ key: name, value });
      }
      return;
    }
    case 'convert': {
      const kv = findAttribute(attrs, a.key);
      if (kv?.value) kv.value = convertValue(kv.value, a.convertTo as 'int' | 'double' | 'string');
    }
  }
}

/**
 * SHA-256 of the value, hex-encoded, as contrib's attraction hasher (SHA-256 is its default now;
 * SHA-1 before): strings as UTF-8, booleans as one byte, ints and doubles as 8 little-endian bytes.
 * Other types (maps, lists, bytes) become the empty string, as there.
 */
export function hashValue(v: AnyValue | null | undefined): AnyValue {
  let bytes: Buffer | undefined;
  if (v && isSet(v, 'stringValue')) bytes = Buffer.from(v.stringValue as string, 'utf8');
  else if (v && isSet(v, 'boolValue')) bytes = Buffer.from([v.boolValue ? 1 : 0]);
  else if (v && isSet(v, 'intValue')) {
    bytes = Buffer.alloc(8);
    const n = v.intValue as Long | number;
    bytes.writeBigInt64LE(BigInt(typeof n === 'number' ? Math.trunc(n) : n.toString()));
  } else if (v && isSet(v, 'doubleValue')) {
    bytes = Buffer.alloc(8);
    bytes.writeDoubleLE(v.doubleValue as number);
  }
  return { stringValue: bytes ? createHash('sha256').update(bytes).digest('hex') : '' };
}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** `convert`: a value the target type cannot hold is left unchanged, as the Collector does. */
export function convertValue(v: AnyValue, to: 'int' | 'double' | 'string'): AnyValue {
  if (to === 'string') return isSet(v, 'stringValue') ? v : { stringValue: anyValueToString(v) };
  const isInt = isSet(v, 'intValue');
  const isDouble = isSet(v, 'doubleValue');
  const isBool = isSet(v, 'boolValue');
  const isString = isSet(v, 'stringValue');
  if (to === 'int') {
    if (isInt) return v;
    if (isDouble) {
      const d = v.doubleValue as number;
      return Number.isFinite(d) ? { intValue: Long.fromNumber(Math.trunc(d)) } : v;
    }
    if (isBool) return { intValue: Long.fromNumber(v.boolValue ? 1 : 0) };
    if (isString) {
      const s = v.stringValue as string;
      if (!INT_RE.test(s)) return v;
      const n = BigInt(s);
      return n < INT64_MIN || n > INT64_MAX ? v : { intValue: Long.fromString(n.toString()) };
    }
    return v;
  }
  if (isDouble) return v;
  if (isInt) return { doubleValue: int64ToNumber(v.intValue) };
  if (isBool) return { doubleValue: v.boolValue ? 1 : 0 };
  if (isString) {
    const s = v.stringValue as string;
    if (!FLOAT_RE.test(s)) return v;
    const lower = s.toLowerCase().replace(/^\+/, '');
    if (lower === 'nan') return { doubleValue: Number.NaN };
    if (/^-?inf/.test(lower)) return { doubleValue: lower.startsWith('-') ? -Infinity : Infinity };
    return { doubleValue: Number(s) };
  }
  return v;
}
