import { describe, expect, it } from 'vitest';
import { extractIds, looksLikeJsonObject, MAX_JSON_BODY_LENGTH, parseJsonObject } from './extract.js';
import { canonicalIdKey, ID_ALIASES } from './keys.js';

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('alias normalisation', () => {
  it.each([
    ['request_id', 'request_id'],
    ['requestId', 'request_id'],
    ['requestID', 'request_id'],
    ['request.id', 'request_id'],
    ['x-request-id', 'request_id'],
    ['X-Request-ID', 'request_id'],
    ['x_request_id', 'request_id'],
    ['http.request.header.x-request-id', 'request_id'],
    ['reqId', 'request_id'],
    ['req.id', 'request_id'],
    ['rid', 'rid'],
    ['reconcileID', 'rid'],
    ['reconcileId', 'rid'],
    ['reconcile_id', 'rid'],
    ['reconcile.id', 'rid'],
    ['trace_id', 'trace_id'],
    ['traceId', 'trace_id'],
    ['trace.id', 'trace_id'],
    ['spanId', 'span_id'],
    ['span.id', 'span_id'],
    ['RID', undefined],
    ['request', undefined],
    ['k8s.object.name', undefined],
  ])('%s → %s', (name, key) => {
    expect(canonicalIdKey(name)).toBe(key);
  });

  it('no alias maps to two keys', () => {
    const all = Object.values(ID_ALIASES).flat();
    expect(new Set(all).size).toBe(all.length);
  });

  it.each([
    [{ 'x-request-id': UUID }, { request_id: UUID }],
    [{ 'http.request.header.x-request-id': [UUID] }, { request_id: UUID }],
    [
      { reconcile_id: UUID, traceId: 'ABCDEF0123456789ABCDEF0123456789' },
      { rid: UUID, trace_id: 'abcdef0123456789abcdef0123456789' },
    ],
    [{ req: { id: 7 }, msg: 'x' }, { request_id: '7' }],
    [{ requestId: { nested: true } }, {}],
    [{ 'http.request.header.x-request-id': ['a', 'b'] }, {}],
  ])('extracts %j as %j', (record, ids) => {
    expect(extractIds(record).ids).toEqual(ids);
  });
});

describe('JSON bodies', () => {
  it('checks cheaply before parsing', () => {
    expect(looksLikeJsonObject('  {"a":1}\n')).toBe(true);
    expect(looksLikeJsonObject('GET /x 200')).toBe(false);
    expect(looksLikeJsonObject('{not closed')).toBe(false);
    expect(looksLikeJsonObject(`{"a":"${'x'.repeat(MAX_JSON_BODY_LENGTH)}"}`)).toBe(false);
  });

  it('parses pino lines and ignores what is not an object', () => {
    const line = JSON.stringify({ level: 30, msg: 'done', reconcileID: UUID, req: { id: 'req-1' } });
    expect(extractIds(parseJsonObject(line)!).ids).toEqual({ rid: UUID, request_id: 'req-1' });
    expect(parseJsonObject('{broken json}')).toBeUndefined();
    expect(parseJsonObject('[1,2]')).toBeUndefined();
  });

  it('reports hostile values instead of returning them', () => {
    const { ids, rejected } = extractIds({ request_id: 'a'.repeat(10_240), rid: 'x\u001b[31mred', trace_id: UUID });
    expect(ids).toEqual({});
    expect(rejected).toEqual([
      { key: 'request_id', problem: 'too_long' },
      { key: 'rid', problem: 'bad_charset' },
      { key: 'trace_id', problem: 'bad_format' },
    ]);
  });
});
