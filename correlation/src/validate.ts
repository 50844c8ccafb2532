/**
 * Validation of correlation IDs, so a hostile or broken ID (10 kB, control characters) never
 * reaches a backend. Rules are deliberately strict and cheap: a length cap and a printable
 * ASCII charset without spaces or quotes.
 */
import { type CorrelationIdKey, RECONCILE_ID, REQUEST_ID, SPAN_ID, TRACE_ID } from './keys.js';

/** Longest request ID or reconcile ID accepted (x-request-id values beyond this are replaced). */
export const MAX_ID_LENGTH = 128;

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
// Printable ASCII minus space, quotes, backslash and backtick: safe in LogQL, PromQL, URLs and JSON.
const SAFE_ID = /^[\x21\x23-\x26\x28-\x5b\x5d-\x5f\x61-\x7e]+$/;

/** Why an ID was rejected; undefined when it is valid. */
export type IdProblem = 'empty' | 'too_long' | 'bad_charset' | 'bad_format';

/** Checks an ID for its key; returns the problem or undefined when the ID is fine. */
export function checkId(key: CorrelationIdKey, value: string): IdProblem | undefined {
  if (value.length === 0) return 'empty';
  if (key === TRACE_ID) return HEX32.test(value) && value !== ZERO_TRACE_ID ? undefined : 'bad_format';
  if (key === SPAN_ID) return HEX16.test(value) && value !== ZERO_SPAN_ID ? undefined : 'bad_format';
  if (value.length > MAX_ID_LENGTH) return 'too_long';
  return SAFE_ID.test(value) ? undefined : 'bad_charset';
}

/** True when `value` is a valid ID for `key`. */
export function isValidId(key: CorrelationIdKey, value: string): boolean {
  return checkId(key, value) === undefined;
}

/** True for a request ID an inbound `x-request-id` may carry (printable, at most 128 characters). */
export function isValidRequestId(value: string): boolean {
  return checkId(REQUEST_ID, value) === undefined;
}

/** True for a valid reconcile ID. */
export function isValidReconcileId(value: string): boolean {
  return checkId(RECONCILE_ID, value) === undefined;
}
