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
 * pino-http's `req` object (`req.id`). Numbers are accepted as IDs (pino-http's default counter).
 */
export function extractIds(record: Readonly<Record<string, unknown>>): Extraction {
  const out: Extraction = { ids: {}, rejected: [] };
  for (const name in record) {
    const key = canonicalIdKey(name);
    if (key !== undefined) consider(out, key, record[name]);
  }
  const req = record.req;
  if (out.ids.request_id === undefined && req !== null && typeof req === 'object' && 'id' in req) {
    consider(out, 'request_id', (req as { id: unknown }).id);
  }
  return out;
}

function consider(out: Extraction, key: CorrelationIdKey, raw: unknown): void {
  if (out.ids[key] !== undefined) return; // the first (canonical keys come first in practice) wins
  if (typeof raw !== 'string' && typeof raw !== 'number') return;
  const value = key === 'trace_id' || key === 'span_id' ? String(raw).toLowerCase() : String(raw);
  const problem = checkId(key, value);
  if (problem === undefined) out.ids[key] = value;
  else out.rejected.push({ key, problem });
}
