/**
 * Pulls correlation IDs out of whatever carries them: attribute maps, parsed JSON log lines
 * (pino output), exemplar label sets. Aliases are normalised to canonical keys; invalid values
 * are reported, not returned.
 */
import { type CorrelationIdKey, canonicalIdKey } from './keys.js';
import { checkId, type IdProblem } from './validate.js';

/** IDs found, by canonical key. */
export type CorrelationIds = Partial<Record<CorrelationIdKey, string>>;

/** The result of an extraction: the valid IDs, and what was rejected and why. */
export interface Extraction {
  ids: CorrelationIds;
  rejected: { key: CorrelationIdKey; problem: IdProblem }[];
}

/**
 * Extracts IDs from a flat record (attributes or a parsed JSON object). Also looks one level into
 * pino-http's `req` object (`req.id`). Numbers are accepted as IDs (pino-http's default counter);
 * a one-element string array is accepted too (captured HTTP headers are string[]).
 */
export function extractIds(record: Readonly<Record<string, unknown>>): Extraction {
  const out: Extraction = { ids: {}, rejected: [] };
  for (const name in record) {
    const key = canonicalIdKey(name);
    if (key !== undefined) considerId(out, key, record[name]);
  }
  const req = record.req;
  if (out.ids.request_id === undefined && req !== null && typeof req === 'object' && 'id' in req) {
    considerId(out, 'request_id', (req as { id: unknown }).id);
  }
  return out;
}

/**
 * Validates one raw value found under `key` and adds it to `out` (or to `out.rejected`). The
 * first valid value per key wins. Values that are not strings, numbers or a one-string array are
 * ignored (objects under an ID name are not IDs).
 */
export function considerId(out: Extraction, key: CorrelationIdKey, raw: unknown): void {
  if (out.ids[key] !== undefined) return;
  if (Array.isArray(raw)) {
    if (raw.length !== 1) return;
    raw = raw[0];
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') return;
  const value = key === 'trace_id' || key === 'span_id' ? String(raw).toLowerCase() : String(raw);
  const problem = checkId(key, value);
  if (problem === undefined) out.ids[key] = value;
  else out.rejected.push({ key, problem });
}

/** Largest log body parsed as JSON when lifting IDs out of it; longer bodies are left alone. */
export const MAX_JSON_BODY_LENGTH = 64 * 1024;

/**
 * The cheap check before parsing a string log body: it starts with `{` and ends with `}` (ignoring
 * surrounding whitespace) and is at most MAX_JSON_BODY_LENGTH long. Plain-text lines, the common
 * case, cost two character reads.
 */
export function looksLikeJsonObject(text: string): boolean {
  const n = text.length;
  if (n < 2 || n > MAX_JSON_BODY_LENGTH) return false;
  let i = 0;
  while (i < n && isSpace(text.charCodeAt(i))) i++;
  let j = n - 1;
  while (j > i && isSpace(text.charCodeAt(j))) j--;
  return text.charCodeAt(i) === 0x7b && text.charCodeAt(j) === 0x7d;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Parses a string log body that looks like a JSON object and returns the object, or undefined when
 * it does not look like one or does not parse. Call {@link extractIds} on the result.
 */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (!looksLikeJsonObject(text)) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
