import { describe, expect, it } from 'vitest';
import { extractIds } from './extract.js';
import { canonicalIdKey } from './keys.js';
import { checkId, isValidRequestId } from './validate.js';

describe('correlation ID conventions', () => {
  it.each([
    ['rid', 'rid'],
    ['reconcileID', 'rid'],
    ['reconcile_id', 'rid'],
    ['reconcile.id', 'rid'],
    ['x-request-id', 'request_id'],
    ['requestId', 'request_id'],
    ['traceId', 'trace_id'],
    ['span_id', 'span_id'],
    ['controller', undefined],
  ])('maps the input name %s to %s', (name, key) => {
    expect(canonicalIdKey(name)).toBe(key);
  });

  it('extracts and normalises IDs from a pino line, including pino-http req.id', () => {
    const { ids, rejected } = extractIds({
      msg: 'reconciled',
      reconcileID: '8e3a2b1c-0000-4000-8000-000000000001',
      traceId: '5B8EFFF798038103D269B633813FC60C',
      req: { id: 42 },
    });
    expect(ids).toEqual({
      rid: '8e3a2b1c-0000-4000-8000-000000000001',
      trace_id: '5b8efff798038103d269b633813fc60c',
      request_id: '42',
    });
    expect(rejected).toEqual([]);
  });

  it('rejects hostile IDs: too long, control characters, bad trace IDs', () => {
    expect(checkId('request_id', 'x'.repeat(10_000))).toBe('too_long');
    expect(checkId('request_id', 'abc\u0000def')).toBe('bad_charset');
    expect(checkId('rid', 'has space')).toBe('bad_charset');
    expect(checkId('trace_id', '0'.repeat(32))).toBe('bad_format');
    expect(isValidRequestId('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(true);
    const { ids, rejected } = extractIds({ request_id: '"}{', trace_id: 'nothex' });
    expect(ids).toEqual({});
    expect(rejected.map((r) => r.key).sort()).toEqual(['request_id', 'trace_id']);
  });
});
