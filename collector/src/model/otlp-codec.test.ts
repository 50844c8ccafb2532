import { describe, expect, it } from 'vitest';
import { StitchError } from '../errors.js';
import { countItems } from './count.js';
import { decodeRequest, decodeStatus, encodeRequest, encodeResponse, encodeStatus } from './otlp-codec.js';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

const jsonTraces = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
      scopeSpans: [
        {
          scope: { name: 'test' },
          spans: [
            {
              traceId: TRACE_ID,
              spanId: SPAN_ID,
              name: 'GET /items/:id',
              kind: 2,
              startTimeUnixNano: '1764253072123456789',
              endTimeUnixNano: '1764253072223456789',
              attributes: [
                { key: 'request_id', value: { stringValue: 'r-1' } },
                { key: 'n', value: { intValue: '42' } },
              ],
              status: { code: 2, message: 'boom' },
            },
          ],
        },
      ],
    },
  ],
};

describe('OTLP codec', () => {
  it('round-trips OTLP/JSON through protobuf with exact IDs and nanosecond timestamps', () => {
    const data = decodeRequest('traces', Buffer.from(JSON.stringify(jsonTraces)), 'json');
    expect(countItems('traces', data)).toBe(1);
    const proto = encodeRequest('traces', data, 'protobuf');
    const back = decodeRequest('traces', proto, 'protobuf');
    const json = JSON.parse(Buffer.from(encodeRequest('traces', back, 'json')).toString());
    expect(json).toEqual(jsonTraces);
  });

  it('rejects a JSON trace ID that is not 32 hex characters, naming the path', () => {
    const bad = structuredClone(jsonTraces);
    bad.resourceSpans[0].scopeSpans[0].spans[0].traceId = 'abc';
    let err: unknown;
    try {
      decodeRequest('traces', Buffer.from(JSON.stringify(bad)), 'json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StitchError);
    expect((err as StitchError).code).toBe('STITCH_ERR_DECODE');
    expect((err as StitchError).kind).toBe('input');
    expect((err as StitchError).message).toContain('resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 32 hex characters');
  });

  it('rejects truncated protobuf and invalid JSON with STITCH_ERR_DECODE', () => {
    const proto = encodeRequest('traces', decodeRequest('traces', Buffer.from(JSON.stringify(jsonTraces)), 'json'), 'protobuf');
    expect(() => decodeRequest('traces', proto.subarray(0, proto.length - 7), 'protobuf')).toThrow(/cannot decode OTLP protobuf/);
    expect(() => decodeRequest('metrics', Buffer.from('{"resourceMetrics": ['), 'json')).toThrow(/cannot decode OTLP JSON/);
  });

  it('encodes partial success and google.rpc.Status with RetryInfo', () => {
    const body = encodeResponse('logs', 'json', { rejected: 2, errorMessage: 'two bad' });
    expect(JSON.parse(Buffer.from(body).toString())).toEqual({
      partialSuccess: { rejectedLogRecords: '2', errorMessage: 'two bad' },
    });
    expect(encodeResponse('logs', 'protobuf').length).toBe(0);
    const status = encodeStatus({ code: 8, message: 'slow down', retryAfterMs: 1500 }, 'protobuf');
    expect(decodeStatus(status, 'protobuf')).toEqual({ code: 8, message: 'slow down', retryAfterMs: 1500 });
  });
});
