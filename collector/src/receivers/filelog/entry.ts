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

const NS_PER_SEC = Long.fromNumber(1e9, true);

function toNanos(sec: number, nsec: number): Long {
  return Long.fromNumber(sec, true).mul(NS_PER_SEC).add(Long.fromNumber(nsec, true));
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

/**
 * Builds one LogsData from entries: one ResourceLogs per distinct resource, one ScopeLogs per
 * scope name, records in input order. `observedNanos` is shared (entries of one read).
 */
export function toLogsData(entries: readonly Entry[], observedNanos: Long): LogsData {
  const resources = new Map<string, { rl: ResourceLogs; scopes: Map<string, ScopeLogs> }>();
  for (const e of entries) {
    const rk = resourceKey(e.resource);
    let r = resources.get(rk);
    if (!r) {
      r = { rl: { resource: { attributes: toKeyValues(e.resource) }, scopeLogs: [] }, scopes: new Map() };
      resources.set(rk, r);
    }
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
