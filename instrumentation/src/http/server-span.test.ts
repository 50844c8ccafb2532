import type { HrTime, SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { LEN, ProtoWriter } from '../trace/proto-writer.js';
import { frameBatch, perfTimeToUnixNanos, requestFrame } from '../trace/span-encoder.js';
import type { SpanSink } from '../trace/span-sink.js';
import { RequestState } from './request-state.js';
import { methodIndex } from './semconv.js';
import { recordServerSpan, type ServerSpanConfig, serverSpanChunks } from './server-span.js';

const resource = resourceFromAttributes({
  'service.name': 'checkout',
  'process.pid': 4242,
  ratio: 0.25,
  enabled: true,
  tags: ['a', 'b'],
  'service.instance.id': 'pod-1',
});
const scope = { name: '@stitch/instrumentation', version: '0.1.0' };

/** A sink that keeps one batch in memory, framed as the real one frames it. */
function memorySink(): SpanSink & { request(): Uint8Array } {
  const frame = requestFrame(resource, scope);
  const w = new ProtoWriter(1024);
  w.pos = frame.reserve;
  let at = 0;
  return {
    begin() {
      w.byte((2 << 3) | LEN);
      at = w.beginLength(2);
      return w;
    },
    commit() {
      w.finishLength(at, 2);
    },
    abort() {
      w.pos = at - 1;
    },
    droppedSpans: 0,
    forceFlush: async () => undefined,
    shutdown: async () => undefined,
    request: () => Uint8Array.from(frameBatch(w, frame)),
  };
}

function hr(perfMs: number): HrTime {
  const ns = perfTimeToUnixNanos(perfMs);
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

const config: ServerSpanConfig = {
  requestHeaders: [['x-tenant', 'http.request.header.x-tenant']],
  responseHeaders: [['x-served-by', 'http.response.header.x-served-by']],
  recordQuery: false,
};

function sdkSpan(s: Partial<ReadableSpan> & { ctx: SpanContext; parent?: SpanContext }): ReadableSpan {
  return {
    kind: 1,
    links: [],
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    events: [],
    status: { code: 0 },
    resource,
    instrumentationScope: scope,
    duration: [0, 0],
    ended: true,
    ...s,
    spanContext: () => s.ctx,
    parentSpanContext: s.parent,
  } as ReadableSpan;
}

describe('lean server spans', () => {
  it('encode to the same OTLP bytes as the SDK serializer, for a root span with user additions', () => {
    const state = new RequestState(1000.123456, methodIndex('GET'), false);
    Object.assign(state, {
      lean: true,
      recording: true,
      sampled: true,
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      requestId: 'c0ffee00-1234-4abc-8def-0123456789ab',
      url: '/items/42?token=s3cret',
      headers: { 'user-agent': 'curl/8.5 ünïcode', 'x-tenant': 'acme' },
    });
    state.setAttribute('user.id', 42).setAttribute('http.route', 'ignored: ours wins').setAttribute('ok', false);
    state.addEvent('cache miss', { key: 'items:42' }, hr(1000.5));
    const sink = memorySink();
    const chunks = serverSpanChunks(state.method, false, '/items/:id', 200, undefined);
    recordServerSpan(sink, state, chunks, '/items/:id', undefined, { getHeader: () => 'node-1' }, 1003.5, config);

    const expected = ProtobufTraceSerializer.serializeRequest([
      sdkSpan({
        ctx: { traceId: state.traceId!, spanId: state.spanId!, traceFlags: 1 },
        name: 'GET /items/:id',
        startTime: hr(1000.123456),
        endTime: hr(1003.5),
        attributes: {
          'http.request.method': 'GET',
          'url.scheme': 'http',
          'http.route': '/items/:id',
          'http.response.status_code': 200,
          'url.path': '/items/42',
          'user_agent.original': 'curl/8.5 ünïcode',
          request_id: 'c0ffee00-1234-4abc-8def-0123456789ab',
          'http.request.header.x-tenant': ['acme'],
          'user.id': 42,
          ok: false,
          'http.response.header.x-served-by': ['node-1'],
        },
        events: [{ name: 'cache miss', time: hr(1000.5), attributes: { key: 'items:42' }, droppedAttributesCount: 0 }],
      }),
    ])!;
    expect(Buffer.from(sink.request()).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
  });

  it('encode a failed child of a remote parent with trace state, unknown method and exception like the SDK', () => {
    const state = new RequestState(5.5, methodIndex('PURGE'), true);
    const traceState = new TraceState('vendor=x,other=y');
    const error = new TypeError('no coffee');
    Object.assign(state, {
      lean: true,
      recording: true,
      sampled: true,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      parentSpanId: '00f067aa0ba902b7',
      parentRemote: true,
      traceState,
      methodOriginal: 'PURGE',
      url: '/cache',
      headers: {},
      error,
    });
    state.setStatus({ code: 2, message: 'replaced by ours' });
    const sink = memorySink();
    const chunks = serverSpanChunks(state.method, true, undefined, 503, 'TypeError');
    recordServerSpan(sink, state, chunks, undefined, 'TypeError', undefined, 9.25, config);

    const expected = ProtobufTraceSerializer.serializeRequest([
      sdkSpan({
        ctx: { traceId: state.traceId!, spanId: state.spanId!, traceFlags: 1, traceState },
        parent: { traceId: state.traceId!, spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true },
        name: 'HTTP',
        startTime: hr(5.5),
        endTime: hr(9.25),
        attributes: {
          'http.request.method': '_OTHER',
          'url.scheme': 'https',
          'http.response.status_code': 503,
          'error.type': 'TypeError',
          'url.path': '/cache',
          'http.request.method_original': 'PURGE',
        },
        events: [
          {
            name: 'exception',
            time: hr(9.25),
            attributes: { 'exception.type': 'TypeError', 'exception.message': 'no coffee', 'exception.stacktrace': error.stack! },
            droppedAttributesCount: 0,
          },
        ],
        status: { code: 2 },
      }),
    ])!;
    expect(Buffer.from(sink.request()).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
  });

  it('ignores changes after the span ended and drops user attributes past the limit', () => {
    const state = new RequestState(0, 0, false, { attributeCount: 2, eventCount: 1, linkCount: 0 });
    Object.assign(state, { lean: true, recording: true, sampled: true, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) });
    state.setAttribute('a', 1).setAttribute('b', 2).setAttribute('c', 3).setAttribute('a', 4);
    state.addEvent('one').addEvent('two');
    state.addLink({ context: { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 } });
    expect(state.extra).toMatchObject({ attributes: { a: 4, b: 2 }, droppedAttributes: 1, droppedEvents: 1, droppedLinks: 1 });
    expect(state.extra!.events!.map((e) => e.name)).toEqual(['two']); // the oldest goes, as in the SDK
    expect(state.isRecording()).toBe(true);
    state.spanEnded = true;
    state.setAttribute('late', 1);
    expect(state.isRecording()).toBe(false);
    expect(state.extra!.attributes).not.toHaveProperty('late');
  });
});
