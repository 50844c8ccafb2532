/**
 * What the count and spanmetrics connectors put in an exemplar's filtered attributes: the
 * item's request_id and rid (aliases such as `x-request-id` or `reconcileID` under their
 * canonical key), valid ones only, the first of each. IDs travel in exemplars, never in labels
 * (DESIGN.md "Wire keys for correlation").
 */
import { canonicalIdKey, isValidId } from '@stitch/correlation';
import type { KeyValue } from '../../model/types.js';
import { anyValueToString } from '../../model/values.js';

/** The exemplar filtered attributes for an item with `attrs`; empty when it carries no valid ID. */
export function exemplarIdAttributes(attrs: readonly KeyValue[] | null | undefined): KeyValue[] {
  const filtered: KeyValue[] = [];
  if (!attrs) return filtered;
  for (const kv of attrs) {
    const key = canonicalIdKey(kv.key);
    if (key !== 'request_id' && key !== 'rid') continue;
    const v = anyValueToString(kv.value);
    if (isValidId(key, v) && !filtered.some((f) => f.key === key)) filtered.push({ key, value: { stringValue: v } });
  }
  return filtered;
}
