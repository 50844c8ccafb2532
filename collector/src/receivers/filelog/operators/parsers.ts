/** The `json_parser` and `regex_parser` operators (stanza semantics, on the common parser steps). */

import { compileRe2 } from '../../../internal/re2.js';
import type { JsonParserConfig, RegexParserConfig } from './config.js';
import { getField } from './field.js';
import type { Operator } from './operator.js';
import { compileParserSteps } from './parser-helper.js';

/** `json_parser`: parses a JSON object from `parse_from` into `parse_to`. */
export function createJsonParser(c: JsonParserConfig): Operator {
  const steps = compileParserSteps(c);
  return {
    id: c.id ?? 'json_parser',
    onError: c.on_error,
    process(entry, _ctx, emit) {
      const raw = getField(entry, steps.parseFrom);
      if (raw === undefined) throw new Error(`entry has no ${steps.parseFrom.text} field`);
      let value: unknown = raw;
      if (typeof raw === 'string') {
        value = JSON.parse(raw);
      } else if (raw instanceof Uint8Array) value = JSON.parse(Buffer.from(raw).toString('utf8'));
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new Error('the value is not a JSON object');
      }
      steps.apply(entry, value);
      emit(entry);
    },
  };
}

/** `regex_parser`: matches `regex` against `parse_from`; named groups land in `parse_to`. */
export function createRegexParser(c: RegexParserConfig): Operator {
  const steps = compileParserSteps(c);
  const re = compileRe2(c.regex);
  return {
    id: c.id ?? 'regex_parser',
    onError: c.on_error,
    process(entry, _ctx, emit) {
      const raw = getField(entry, steps.parseFrom);
      if (typeof raw !== 'string') throw new Error(`${steps.parseFrom.text} is not a string`);
      const m = re.exec(raw);
      if (!m?.groups) throw new Error('regex pattern does not match');
      const out: Record<string, string> = {};
      for (const k in m.groups) {
        const v = m.groups[k];
        if (v !== undefined) out[k] = v;
      }
      steps.apply(entry, out);
      emit(entry);
    },
  };
}
