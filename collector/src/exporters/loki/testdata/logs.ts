/** Builds LogsData for tests through the OTLP/JSON codec, so it has exactly a receiver's shape. */
import { decodeRequest } from '../../../model/otlp-codec.js';
import type { LogsData } from '../../../model/types.js';

/** An OTLP/JSON attribute value. */
export type JsonValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { bytesValue: string }
  | { arrayValue: { values: JsonValue[] } }
  | { kvlistValue: { values: { key: string; value: JsonValue }[] } };

/** `{key: 'a', value: {stringValue: 'b'}}` from a plain object of strings (or JSON values). */
export function attrs(obj: Record<string, string | JsonValue>): { key: string; value: JsonValue }[] {
  return Object.entries(obj).map(([key, v]) => ({ key, value: typeof v === 'string' ? { stringValue: v } : v }));
}

/** One OTLP/JSON log record. */
export interface JsonRecord {
  timeUnixNano?: string;
  observedTimeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  body?: JsonValue;
  attributes?: { key: string; value: JsonValue }[];
  traceId?: string;
  spanId?: string;
  flags?: number;
  droppedAttributesCount?: number;
}

/** One resource with one scope. */
export interface JsonResource {
  resource?: Record<string, string | JsonValue>;
  scope?: { name?: string; version?: string; attributes?: { key: string; value: JsonValue }[] };
  records: JsonRecord[];
}

/** LogsData from resources written in OTLP/JSON terms. */
export function otlpLogs(resources: JsonResource[]): LogsData {
  const json = {
    resourceLogs: resources.map((r) => ({
      resource: { attributes: attrs(r.resource ?? {}) },
      scopeLogs: [{ scope: r.scope ?? {}, logRecords: r.records }],
    })),
  };
  return decodeRequest('logs', Buffer.from(JSON.stringify(json)), 'json');
}

/** Now in nanoseconds as a decimal string, plus `offsetMs`. */
export function nsAgo(offsetMs = 0): string {
  return (BigInt(Date.now() - offsetMs) * 1_000_000n).toString();
}
