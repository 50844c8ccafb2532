/**
 * The log line of a record: its body as a string (`json`, `logfmt` or `raw` for map bodies), and
 * truncation to Loki's `max_line_size`.
 */

import type { AnyValue } from '../../model/types.js';
import { anyValueToJs, anyValueToString, isSet } from '../../model/values.js';

/** How a map body becomes the line. */
export type LineFormat = 'json' | 'logfmt' | 'raw';

/**
 * The line for a body: a string body as is in every format; a map as JSON (`json`, `raw`) or
 * logfmt (`logfmt`); other values in their string form (arrays as JSON, bytes as base64).
 */
export function bodyToLine(body: AnyValue | null | undefined, format: LineFormat): string {
  if (!body) return '';
  if (isSet(body, 'stringValue')) return body.stringValue as string;
  if (format === 'logfmt' && isSet(body, 'kvlistValue')) return toLogfmt(anyValueToJs(body) as Record<string, unknown>);
  return anyValueToString(body);
}

/**
 * logfmt (`key=value key2="two words"`), nested maps flattened with `_` as Loki's structured
 * metadata names are. Hand-written: it is twenty lines, and npm's logfmt encoders are stream
 * parsers first with dependencies we would not otherwise carry.
 */
export function toLogfmt(obj: Record<string, unknown>): string {
  const parts: string[] = [];
  appendLogfmt(parts, '', obj);
  return parts.join(' ');
}

function appendLogfmt(parts: string[], prefix: string, obj: Record<string, unknown>): void {
  for (const key of Object.keys(obj)) {
    const name = prefix === '' ? key : `${prefix}_${key}`;
    const value = obj[key];
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)) {
      appendLogfmt(parts, name, value as Record<string, unknown>);
      continue;
    }
    const text =
      value === null || value === undefined
        ? ''
        : value instanceof Uint8Array
          ? Buffer.from(value).toString('base64')
          : typeof value === 'object'
            ? JSON.stringify(value)
            : String(value);
    parts.push(`${logfmtKey(name)}=${logfmtValue(text)}`);
  }
}

const NEEDS_QUOTES = /[\s="\\\p{Cc}]/u;
const BAD_KEY = /[\s="\p{Cc}]/u;
const BAD_KEY_ALL = /[\s="\p{Cc}]/gu;

function logfmtKey(key: string): string {
  return BAD_KEY.test(key) ? key.replace(BAD_KEY_ALL, '_') : key;
}

function logfmtValue(value: string): string {
  if (value === '') return '""';
  // JSON string escaping is logfmt's quoting (go-logfmt quotes with strconv-compatible escapes).
  return NEEDS_QUOTES.test(value) ? JSON.stringify(value) : value;
}

const encoder = new TextEncoder();

/**
 * Truncates `line` to at most `maxBytes` UTF-8 bytes, never splitting a character. Returns the
 * line itself when it fits (the common case costs a length check, not an encode).
 */
export function truncateLine(line: string, maxBytes: number): string {
  if (maxBytes <= 0 || line.length * 3 <= maxBytes) return line;
  if (line.length <= maxBytes && Buffer.byteLength(line, 'utf8') <= maxBytes) return line;
  const { read } = encoder.encodeInto(line, new Uint8Array(maxBytes));
  return line.slice(0, read);
}
