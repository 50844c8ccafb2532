/**
 * `pino_parser` (Stitch-only): turns a pino JSON line into a proper record in one step.
 * `time` → timestamp, `level` (10..60 or a label) → severity number and text, `msg` → body,
 * `trace_id`/`span_id`/`trace_flags` → the record's trace context, correlation IDs (`request_id`,
 * `rid` and their aliases such as `reconcileID`, `reconcile_id`, pino-http's `req.id`) → attributes
 * under their canonical names, via @stitch/correlation. Every other field stays an attribute.
 * Lines that do not start with "{" pass through untouched (plain-text output is not an error).
 */
import { canonicalIdKey, extractIds } from '@stitch/correlation';
import { hexIdToBytes } from '../../../model/values.js';
import { setTimeMs } from '../entry.js';
import type { PinoParserConfig } from './config.js';
import { getField } from './field.js';
import type { Operator } from './operator.js';
import { field } from './parser-helper.js';
import { compileSeverity, PINO_LEVELS, severityName } from './severity.js';

const labels = compileSeverity({ preset: 'default', overwrite_text: false });

/** Severity of a pino level: the six standard numbers, custom numbers by range, or a label. */
export function pinoSeverity(level: unknown): { number: number; text: string } | undefined {
  if (typeof level === 'number') {
    const std = PINO_LEVELS[level];
    if (std) return std;
    // Custom levels: the band they fall in (e.g. 35 → INFO2), as OpenTelemetry's pino bridge does.
    const band = Math.min(60, Math.max(10, Math.floor(level / 10) * 10));
    const base = PINO_LEVELS[band];
    const n = Math.min(base.number + Math.min(3, Math.floor((level - band) / 2.5)), 24);
    return { number: n, text: severityName(n).toLowerCase() };
  }
  if (typeof level === 'string') {
    const s = labels.find(level);
    return { number: s.number, text: level };
  }
  return undefined;
}

/** Builds the operator. */
export function createPinoParser(c: PinoParserConfig): Operator {
  const from = field(c.parse_from);
  return {
    id: c.id ?? 'pino_parser',
    onError: c.on_error,
    process(entry, _ctx, emit) {
      const raw = getField(entry, from);
      if (typeof raw !== 'string' || raw.charCodeAt(0) !== 123 /* { */) {
        emit(entry);
        return;
      }
      const obj = JSON.parse(raw) as Record<string, unknown>;
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('the value is not a JSON object');
      const attrs = entry.attributes;
      const { ids } = extractIds(obj);
      for (const key in obj) {
        const v = obj[key];
        switch (key) {
          case 'time':
            if (typeof v === 'number') setTimeMs(entry, v);
            else if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) setTimeMs(entry, Date.parse(v));
            else attrs[key] = v;
            continue;
          case 'level': {
            const s = pinoSeverity(v);
            if (s) {
              entry.severityNumber = s.number;
              entry.severityText = s.text;
            } else attrs[key] = v;
            continue;
          }
          case 'msg':
            entry.body = v;
            continue;
          case 'trace_flags':
          case 'traceFlags':
            if (typeof v === 'number') entry.traceFlags = v & 0xff;
            else if (typeof v === 'string' && /^[0-9a-f]{2}$/i.test(v)) entry.traceFlags = Number.parseInt(v, 16);
            else attrs[key] = v;
            continue;
        }
        const canonical = canonicalIdKey(key);
        if (canonical !== undefined && ids[canonical] !== undefined) {
          const value = ids[canonical] as string;
          if (canonical === 'trace_id') {
            const id = hexIdToBytes(value, 16);
            if (id !== undefined) {
              entry.traceId ??= id;
              continue;
            }
          } else if (canonical === 'span_id') {
            const id = hexIdToBytes(value, 8);
            if (id !== undefined) {
              entry.spanId ??= id;
              continue;
            }
          }
          attrs[canonical] = value;
          continue;
        }
        attrs[key] = v; // invalid IDs stay under their own key, as written
      }
      // pino-http nests the request ID in `req.id`; extractIds found it, `req` stays as written.
      if (ids.request_id !== undefined && attrs.request_id === undefined) attrs.request_id = ids.request_id;
      if (entry.body === raw) entry.body = '';
      emit(entry);
    },
  };
}
