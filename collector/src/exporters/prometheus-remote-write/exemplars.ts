/**
 * OTLP exemplars → remote-write exemplars carrying the correlation IDs of DESIGN.md: `trace_id`
 * and `span_id` from the exemplar itself, `request_id` / `rid` from its filtered attributes (any
 * spelling @stitch/correlation accepts). Prometheus silently drops an exemplar whose label names
 * and values exceed 128 runes together, so labels are dropped in EXEMPLAR_DROP_ORDER (least
 * useful first) until the rest fits, and each dropped label is counted.
 */
import {
  type CorrelationIdKey,
  canonicalIdKey,
  EXEMPLAR_DROP_ORDER,
  EXEMPLAR_MAX_LABEL_RUNES,
  RECONCILE_ID,
  REQUEST_ID,
  SPAN_ID,
  TRACE_ID,
} from '@stitch/correlation';
import type { Label, Exemplar as RwExemplar } from '../../model/remote-write/types.js';
import { nanosToMillis } from '../../model/time.js';
import type { Exemplar } from '../../model/types.js';
import { anyValueToString, idToHex, pointValue } from '../../model/values.js';

/** Unicode code points of a string (what Prometheus' utf8.RuneCountInString counts). */
export function runeCount(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** The label order on the wire (sorted by name). */
const WIRE_ORDER: readonly CorrelationIdKey[] = [RECONCILE_ID, REQUEST_ID, SPAN_ID, TRACE_ID];

/**
 * Builds the exemplar labels, sorted by name. `onDrop` is called once per label dropped to fit
 * the budget (the exporter counts them). Returns undefined when nothing is left (an exemplar
 * without labels links nowhere; Prometheus would reject it as empty anyway).
 */
export function exemplarLabels(e: Exemplar, onDrop: (key: CorrelationIdKey) => void): Label[] | undefined {
  const ids: Partial<Record<CorrelationIdKey, string>> = {};
  const trace = idToHex(e.traceId);
  if (trace !== '') ids.trace_id = trace;
  const span = idToHex(e.spanId);
  if (span !== '') ids.span_id = span;
  const attrs = e.filteredAttributes;
  if (attrs) {
    for (let i = 0; i < attrs.length; i++) {
      const key = canonicalIdKey(attrs[i].key);
      if ((key === REQUEST_ID || key === RECONCILE_ID) && ids[key] === undefined) {
        const v = anyValueToString(attrs[i].value);
        if (v !== '') ids[key] = v;
      }
      // Attributes named trace_id/span_id only count when the exemplar's own fields are empty.
      if ((key === TRACE_ID || key === SPAN_ID) && ids[key] === undefined) {
        const v = anyValueToString(attrs[i].value).toLowerCase();
        if (v !== '') ids[key] = v;
      }
    }
  }
  let runes = 0;
  for (const key of WIRE_ORDER) {
    const v = ids[key];
    if (v !== undefined) runes += key.length + runeCount(v);
  }
  for (let i = 0; runes > EXEMPLAR_MAX_LABEL_RUNES && i < EXEMPLAR_DROP_ORDER.length; i++) {
    const key = EXEMPLAR_DROP_ORDER[i];
    const v = ids[key];
    if (v === undefined) continue;
    runes -= key.length + runeCount(v);
    delete ids[key];
    onDrop(key);
  }
  const out: Label[] = [];
  for (const key of WIRE_ORDER) {
    const v = ids[key];
    if (v !== undefined) out.push({ name: key, value: v });
  }
  return out.length > 0 ? out : undefined;
}

/** Converts one OTLP exemplar; undefined when it carries no correlation ID at all. */
export function toRemoteWriteExemplar(e: Exemplar, onDrop: (key: CorrelationIdKey) => void): RwExemplar | undefined {
  const labels = exemplarLabels(e, onDrop);
  if (labels === undefined) return undefined;
  return { labels, value: pointValue(e), timestamp: nanosToMillis(e.timeUnixNano) };
}
