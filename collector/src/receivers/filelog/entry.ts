/**
 * The working form of one log line while operators run (the stanza `entry.Entry`): plain
 * JavaScript values, so JSON parsing lands in place without conversion. `toLogsData` turns a
 * batch of entries into the OTLP-shaped model once, at the end.
 */
import Long from 'long';
import type { KeyValue, LogRecord, LogsData, ResourceLogs, ScopeLogs } from '../../model/types.js';
import { jsToAnyValue } from '../../model/values.js';

/** A map of attribute or resource values, as operators see it. */
export type FieldMap = Record<string, unknown>;

/** One log record under construction. */
export interface Entry {
  body: unknown;
  attributes: FieldMap;
  resource: FieldMap;
  /** Record time as seconds + nanoseconds since the epoch (unset when `timeSec` is undefined). */
  timeSec?: number;
  timeNsec?: number;
  severityNumber: number;
  severityText: string;
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  traceFlags?: number;
  scopeName: string;
}

/** A fresh entry for a line read from a file. */
export function newEntry(body: string): Entry {
  return { body, attributes: {}, resource: {}, severityNumber: 0, severityText: '', scopeName: '' };
}

/** Sets the entry's timestamp from milliseconds since the epoch (fractions keep sub-ms precision). */
export function setTimeMs(entry: Entry, ms: number): void {
  const sec = Math.floor(ms / 1000);
  entry.timeSec = sec;
  entry.timeNsec = Math.round((ms - sec * 1000) * 1e6);
}

const TWO_16 = 65536;
const TWO_32 = 4294967296;

/**
 * `sec * 1e9 + nsec` as an unsigned Long, built once from its two 32-bit halves: the product
 * passes 2^53, so it is formed from 16-bit pieces of `sec` whose partial products stay exact in
 * doubles (three Long allocations and a 64-bit multiply per record before). `sec` in [0, 2^48).
 */
export function toNanos(sec: number, nsec: number): Long {
  if (!(sec >= 0)) return Long.fromNumber(nsec, true); // before 1970: what unsigned Long math gave
  const x = Math.floor(sec / TWO_16) * 1e9; // < 2^62 / 2^16: exact
  const low = (x % TWO_16) * TWO_16 + (sec % TWO_16) * 1e9 + nsec; // < 2^48: exact
  const hi = Math.floor(x / TWO_16) + Math.floor(low / TWO_32);
  return Long.fromBits((low % TWO_32) | 0, hi | 0, true);
}

function toKeyValues(map: FieldMap): KeyValue[] {
  const out: KeyValue[] = [];
  for (const key in map) {
    const v = map[key];
    if (v !== undefined) out.push({ key, value: jsToAnyValue(v) });
  }
  return out;
}

// Resources of entries from one file are equal; a cheap key groups them without deep compares.
function resourceKey(map: FieldMap): string {
  let key = '';
  for (const k in map) {
    const v = map[k];
    key += typeof v === 'string' ? `${k}\u0000${v}\u0001` : `${k}\u0000${JSON.stringify(v)}\u0001`;
  }
  return key;
}

/** Same keys with identical (===) values, in any order. */
function sameFields(a: FieldMap, b: FieldMap): boolean {
  if (a === b) return true;
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}

/**
 * Builds one LogsData from entries: one ResourceLogs per distinct resource, one ScopeLogs per
 * scope name, records in input order. `observedNanos` is shared (entries of one read).
 */
export function toLogsData(entries: readonly Entry[], observedNanos: Long): LogsData {
  const resources = new Map<string, { rl: ResourceLogs; scopes: Map<string, ScopeLogs> }>();
  let lastResource: FieldMap | undefined;
  let r: { rl: ResourceLogs; scopes: Map<string, ScopeLogs> } | undefined;
  for (const e of entries) {
    // Consecutive entries mostly come from one file: a shallow compare with the previous entry's
    // resource skips building and hashing the key string for them.
    if (lastResource === undefined || !sameFields(e.resource, lastResource)) {
      const rk = resourceKey(e.resource);
      r = resources.get(rk);
      if (!r) {
        r = { rl: { resource: { attributes: toKeyValues(e.resource) }, scopeLogs: [] }, scopes: new Map() };
        resources.set(rk, r);
      }
      lastResource = e.resource;
    }
    if (r === undefined) continue; // unreachable: set on the first entry
    let scope = r.scopes.get(e.scopeName);
    if (!scope) {
      scope = { scope: { name: e.scopeName }, logRecords: [] };
      r.scopes.set(e.scopeName, scope);
      r.rl.scopeLogs.push(scope);
    }
    const record: LogRecord = {
      observedTimeUnixNano: observedNanos,
      severityNumber: e.severityNumber,
      severityText: e.severityText,
      body: jsToAnyValue(e.body),
      attributes: toKeyValues(e.attributes),
    };
    if (e.timeSec !== undefined) record.timeUnixNano = toNanos(e.timeSec, e.timeNsec ?? 0);
    if (e.traceId) record.traceId = e.traceId;
    if (e.spanId) record.spanId = e.spanId;
    if (e.traceFlags !== undefined) record.flags = e.traceFlags;
    scope.logRecords.push(record);
  }
  return { resourceLogs: [...resources.values()].map((r) => r.rl) };
}
