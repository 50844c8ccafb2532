import { describe, expect, it } from 'vitest';
import { StitchError } from '../errors.js';
import { countItems } from './count.js';
import { decodeRequest, decodeStatus, encodeRequest, encodeResponse, encodeStatus } from './otlp-codec.js';
import { messageType } from './proto-root.js';

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

describe('protobuf oneofs', () => {
  it('keeps the last member of a oneof read, and only the members present', () => {
    const anyValue = messageType('opentelemetry.proto.common.v1.AnyValue');
    const both = Buffer.concat([anyValue.encode({ stringValue: 'a' }).finish(), anyValue.encode({ intValue: 5 }).finish()]);
    const last = anyValue.decode(both) as unknown as Record<string, unknown>;
    expect(Object.keys(last)).toEqual(['intValue']);
    expect(String(last.intValue)).toBe('5');
    const one = anyValue.decode(anyValue.encode({ boolValue: true }).finish()) as unknown as Record<string, unknown>;
    expect(Object.keys(one)).toEqual(['boolValue']);
    expect(one.value).toBe('boolValue');
  });
});

describe('protobuf strings', () => {
  it('decodes UTF-8 natively from Buffers, a real U+FFFD included, and rejects invalid UTF-8 either way', () => {
    const keyValue = messageType('opentelemetry.proto.common.v1.KeyValue');
    const text = 'wörld \uFFFD 日本 🙂';
    const ok = Buffer.from(keyValue.encode({ key: 'héllo', value: { stringValue: text } }).finish());
    expect(keyValue.toObject(keyValue.decode(ok))).toEqual({ key: 'héllo', value: { stringValue: text } });
    const bad = Buffer.from(ok);
    bad[bad.indexOf(Buffer.from('ö')) + 1] = 0xff;
    expect(() => keyValue.decode(bad)).toThrow(/utf-8/i);
    expect(() => keyValue.decode(new Uint8Array(bad))).toThrow(/utf-8/i); // protobufjs' own Reader
  });
});

describe('protobuf ID lengths', () => {
  // ExportTraceServiceRequest{resource_spans{scope_spans{spans{trace_id: n bytes, span_id: 8}}}}
  const spanWithTraceId = (n: number) => {
    const span = Buffer.concat([Buffer.from([0x0a, n]), Buffer.alloc(n, 0xab), Buffer.from([0x12, 0x08]), Buffer.alloc(8, 1)]);
    const scope = Buffer.concat([Buffer.from([0x12, span.length]), span]);
    const resource = Buffer.concat([Buffer.from([0x12, scope.length]), scope]);
    return Buffer.concat([Buffer.from([0x0a, resource.length]), resource]);
  };

  it('refuses a trace_id that is neither empty nor 16 bytes, naming where, as the Collector does', () => {
    expect(() => decodeRequest('traces', spanWithTraceId(3), 'protobuf')).toThrow(
      /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId: expected 16 bytes, got 3/,
    );
    expect(() => decodeRequest('traces', spanWithTraceId(17), 'protobuf')).toThrow(/got 17/);
    expect(decodeRequest('traces', spanWithTraceId(16), 'protobuf').resourceSpans[0]?.scopeSpans[0]?.spans).toHaveLength(1);
    expect(decodeRequest('traces', spanWithTraceId(0), 'protobuf').resourceSpans[0]?.scopeSpans[0]?.spans).toHaveLength(1);
  });

  it('refuses a log record span_id of the wrong length', () => {
    // LogRecord.span_id is field 10 (bytes): tag 0x52.
    const record = Buffer.concat([Buffer.from([0x52, 0x04]), Buffer.alloc(4, 1)]);
    const scope = Buffer.concat([Buffer.from([0x12, record.length]), record]);
    const resource = Buffer.concat([Buffer.from([0x12, scope.length]), scope]);
    const body = Buffer.concat([Buffer.from([0x0a, resource.length]), resource]);
    expect(() => decodeRequest('logs', body, 'protobuf')).toThrow(/logRecords\[0\]\.spanId: expected 8 bytes, got 4/);
  });
});
