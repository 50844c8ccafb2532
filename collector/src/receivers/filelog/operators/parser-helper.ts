/**
 * What every stanza parser does after parsing (helper.ParserOperator): write the result to
 * `parse_to`, then optionally pick `body`, `timestamp`, `severity`, `trace` and `scope_name`
 * from the entry. All steps run; the first failure is reported afterwards, as stanza does.
 */
import type { Entry } from '../entry.js';
import type { ParserFields } from './config.js';
import { type Field, getField, parseField, setField } from './field.js';
import { compileSeverity, type SeverityLookup } from './severity.js';
import { compileTimeLayout, type TimeParseFn } from './time-layout.js';

/** Parses a field that the schema already checked. */
export function field(text: string): Field {
  const f = parseField(text);
  if (typeof f === 'string') throw new Error(f);
  return f;
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function hexBytes(value: unknown, what: string): Uint8Array | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value);
  if (!HEX.test(s)) throw new Error(`${what} ${JSON.stringify(s.slice(0, 40))} is not hex`);
  return s.length === 0 ? undefined : Uint8Array.from(Buffer.from(s, 'hex'));
}

/** The compiled post-parse steps of a parser. */
export interface ParserSteps {
  readonly parseFrom: Field;
  /** Writes `value` to parse_to and runs the optional steps; throws the first failure. */
  apply(entry: Entry, value: unknown): void;
}

/** Compiles the common parser options. */
export function compileParserSteps(c: ParserFields): ParserSteps {
  const parseTo = field(c.parse_to);
  const body = c.body === undefined ? undefined : field(c.body);
  let time: { from: Field; parse: TimeParseFn } | undefined;
  if (c.timestamp) time = { from: field(c.timestamp.parse_from), parse: compileTimeLayout(c.timestamp) };
  let severity: { from: Field; lookup: SeverityLookup } | undefined;
  if (c.severity) severity = { from: field(c.severity.parse_from), lookup: compileSeverity(c.severity) };
  const trace = c.trace
    ? {
        traceId: field(c.trace.trace_id.parse_from),
        spanId: field(c.trace.span_id.parse_from),
        flags: field(c.trace.trace_flags.parse_from),
      }
    : undefined;
  const scope = c.scope_name ? field(c.scope_name.parse_from) : undefined;
  return {
    parseFrom: field(c.parse_from),
    apply(entry, value) {
      setField(entry, parseTo, value);
      if (body) {
        const b = getField(entry, body);
        if (b !== undefined) entry.body = b;
      }
      let failure: Error | undefined;
      if (time) {
        try {
          const v = getField(entry, time.from);
          if (v === undefined) throw new Error(`entry has no ${time.from.text} field`);
          const t = time.parse(v);
          entry.timeSec = t.sec;
          entry.timeNsec = t.nsec;
        } catch (err) {
          failure ??= new Error(`time parser: ${(err as Error).message}`);
        }
      }
      if (severity) {
        try {
          const v = getField(entry, severity.from);
          if (v === undefined) throw new Error(`entry has no ${severity.from.text} field`);
          const s = severity.lookup.find(v);
          entry.severityNumber = s.number;
          entry.severityText = s.text;
        } catch (err) {
          failure ??= new Error(`severity parser: ${(err as Error).message}`);
        }
      }
      if (trace) {
        try {
          entry.traceId = hexBytes(getField(entry, trace.traceId), 'trace_id');
          entry.spanId = hexBytes(getField(entry, trace.spanId), 'span_id');
          const flags = getField(entry, trace.flags);
          if (typeof flags === 'number') entry.traceFlags = flags & 0xff;
          else entry.traceFlags = hexBytes(flags, 'trace_flags')?.[0];
        } catch (err) {
          failure ??= new Error(`trace parser: ${(err as Error).message}`);
        }
      }
      if (scope) {
        const v = getField(entry, scope);
        if (typeof v === 'string') entry.scopeName = v;
      }
      if (failure) throw failure;
    },
  };
}
