/**
 * OTLP protobuf pieces for spans Stitch records itself (opentelemetry/proto/trace/v1/trace.proto):
 * attribute values, times, events, links and the ExportTraceServiceRequest frame around a batch.
 * Field order and the always-written fields (dropped counts, status, flags) follow the SDK's
 * serializer (@opentelemetry/otlp-transformer), so the same span encodes to the same bytes
 * (checked in span-encoder.test.ts).
 */
import type { Attributes, AttributeValue, HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { I32, I64, LEN, ProtoWriter, VARINT } from './proto-writer.js';

/** Span field tags (single bytes, except flags). */
export const TAG = {
  traceId: (1 << 3) | LEN,
  spanId: (2 << 3) | LEN,
  traceState: (3 << 3) | LEN,
  parentSpanId: (4 << 3) | LEN,
  name: (5 << 3) | LEN,
  kind: (6 << 3) | VARINT,
  start: (7 << 3) | I64,
  end: (8 << 3) | I64,
  attribute: (9 << 3) | LEN,
  droppedAttributes: (10 << 3) | VARINT,
  event: (11 << 3) | LEN,
  droppedEvents: (12 << 3) | VARINT,
  link: (13 << 3) | LEN,
  droppedLinks: (14 << 3) | VARINT,
  status: (15 << 3) | LEN,
} as const;

/** The tag of Span.flags (field 16, fixed32): (16 << 3) | 5 = 133 as a two-byte varint. */
export const FLAGS_TAG = [0x85, 0x01] as const;
/** SpanFlags: the parent's remoteness is known / the parent is remote. */
export const FLAG_HAS_IS_REMOTE = 0x100;
export const FLAG_IS_REMOTE = 0x200;

const MAX_INT64 = 2 ** 63;

/** Writes an AnyValue message body for an attribute value, as the SDK does (ints as int_value). */
export function writeAnyValue(w: ProtoWriter, value: unknown): void {
  const t = typeof value;
  if (t === 'string') {
    w.byte((1 << 3) | LEN);
    w.string(value as string);
  } else if (t === 'boolean') {
    w.byte((2 << 3) | VARINT);
    w.byte(value ? 1 : 0);
  } else if (t === 'number') {
    const n = value as number;
    if (Number.isInteger(n) && n >= -MAX_INT64 && n < MAX_INT64) {
      w.byte((3 << 3) | VARINT);
      w.int64(n);
    } else {
      w.byte((4 << 3) | I64);
      w.double(n);
    }
  } else if (value instanceof Uint8Array) {
    w.byte((7 << 3) | LEN);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.byte((5 << 3) | LEN);
    const arr = w.beginLength(1);
    for (const item of value) {
      w.byte((1 << 3) | LEN);
      const at = w.beginLength(1);
      writeAnyValue(w, item);
      w.finishLength(at, 1);
    }
    w.finishLength(arr, 1);
  } else if (t === 'object' && value !== null) {
    w.byte((6 << 3) | LEN);
    const list = w.beginLength(1);
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      w.byte((1 << 3) | LEN);
      const kv = w.beginLength(1);
      w.byte((1 << 3) | LEN);
      w.string(k);
      w.byte((2 << 3) | LEN);
      const at = w.beginLength(1);
      writeAnyValue(w, v);
      w.finishLength(at, 1);
      w.finishLength(kv, 1);
    }
    w.finishLength(list, 1);
  }
}

/** Writes one `KeyValue` as field `tag` (a one-byte tag). */
export function writeKeyValue(w: ProtoWriter, tag: number, key: string, value: unknown): void {
  w.byte(tag);
  const kv = w.beginLength(1);
  w.byte((1 << 3) | LEN);
  w.string(key);
  w.byte((2 << 3) | LEN);
  const at = w.beginLength(1);
  writeAnyValue(w, value);
  w.finishLength(at, 1);
  w.finishLength(kv, 1);
}

/** Writes every attribute as field `tag`, in insertion order. */
export function writeAttributes(w: ProtoWriter, tag: number, attributes: Attributes): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    writeKeyValue(w, tag, key, attributes[key]);
  }
}

/** A string attribute as a precomputed chunk (constant keys and values: routes, methods). */
export function keyValueChunk(tag: number, key: string, value: AttributeValue): Uint8Array {
  const w = new ProtoWriter(64);
  writeKeyValue(w, tag, key, value);
  return w.toBytes();
}

// Unix nanoseconds of performance.timeOrigin, split so that adding performance.now() stays exact.
const ORIGIN_MS = Math.floor(performance.timeOrigin);
const ORIGIN_NS = BigInt(ORIGIN_MS) * 1_000_000n + BigInt(Math.round((performance.timeOrigin - ORIGIN_MS) * 1e6));
const ORIGIN_LO = Number(ORIGIN_NS & 0xffffffffn);
const ORIGIN_HI = Number(ORIGIN_NS >> 32n);

/**
 * Writes a `performance.now()` reading as fixed64 Unix nanoseconds. Exact to the nanosecond for
 * the first 104 days of a process (2^53 ns), a few nanoseconds off after that.
 */
export function writePerfTime(w: ProtoWriter, perfMs: number): void {
  const delta = Math.round(perfMs * 1e6);
  const dLo = delta % 4294967296;
  let lo = ORIGIN_LO + dLo;
  let hi = ORIGIN_HI + (delta - dLo) / 4294967296;
  if (lo >= 4294967296) {
    lo -= 4294967296;
    hi += 1;
  }
  w.fixed64(lo, hi);
}

/** A `performance.now()` reading as Unix nanoseconds (tests and HrTime conversions). */
export function perfTimeToUnixNanos(perfMs: number): bigint {
  return ORIGIN_NS + BigInt(Math.round(perfMs * 1e6));
}

/** Writes an HrTime ([seconds, nanoseconds]) as fixed64 Unix nanoseconds. */
export function writeHrTime(w: ProtoWriter, t: HrTime): void {
  const ns = BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
  w.fixed64(Number(ns & 0xffffffffn), Number(ns >> 32n));
}

/** A span event as recorded: `time` is an HrTime, or a performance.now() reading. */
export interface RecordedEvent {
  readonly name: string;
  readonly time: HrTime | number;
  readonly attributes: Attributes | undefined;
  readonly droppedAttributesCount: number;
}

/** Writes a Span.Event (field 11). */
export function writeEvent(w: ProtoWriter, e: RecordedEvent): void {
  w.byte(TAG.event);
  const at = w.beginLength(2);
  w.byte((1 << 3) | I64);
  if (typeof e.time === 'number') writePerfTime(w, e.time);
  else writeHrTime(w, e.time);
  w.byte((2 << 3) | LEN);
  w.string(e.name);
  if (e.attributes !== undefined) writeAttributes(w, (3 << 3) | LEN, e.attributes);
  w.byte((4 << 3) | VARINT);
  w.uint32(e.droppedAttributesCount);
  w.finishLength(at, 2);
}

/** Writes a Span.Link (field 13). */
export function writeLink(w: ProtoWriter, link: Link): void {
  const ctx: SpanContext = link.context;
  w.byte(TAG.link);
  const at = w.beginLength(2);
  w.byte((1 << 3) | LEN);
  w.hexBytes(ctx.traceId);
  w.byte((2 << 3) | LEN);
  w.hexBytes(ctx.spanId);
  const state = ctx.traceState?.serialize();
  if (state) {
    w.byte((3 << 3) | LEN);
    w.string(state);
  }
  if (link.attributes !== undefined) writeAttributes(w, (4 << 3) | LEN, link.attributes);
  w.byte((5 << 3) | VARINT);
  w.uint32(link.droppedAttributesCount ?? 0);
  w.byte((6 << 3) | I32);
  w.fixed32((ctx.traceFlags & 0xff) | FLAG_HAS_IS_REMOTE | (ctx.isRemote ? FLAG_IS_REMOTE : 0));
  w.finishLength(at, 2);
}

/** Writes Span.status (field 15): `code` 0 unset, 1 ok, 2 error. */
export function writeStatus(w: ProtoWriter, code: number, message: string | undefined): void {
  w.byte(TAG.status);
  const at = w.beginLength(1);
  if (message) {
    w.byte((2 << 3) | LEN);
    w.string(message);
  }
  w.byte((3 << 3) | VARINT);
  w.byte(code);
  w.finishLength(at, 1);
}

/** The constant parts of every export request from one telemetry setup. */
export interface RequestFrame {
  /** `ResourceSpans.resource` (field 1, tag included). */
  readonly resource: Uint8Array;
  /** `ScopeSpans.scope` (field 1, tag included). */
  readonly scope: Uint8Array;
  /** `ResourceSpans.schema_url` (field 3, tag included), or empty. */
  readonly resourceTail: Uint8Array;
  /** Bytes to leave free before the first span for {@link frameBatch}. */
  readonly reserve: number;
}

/** Encodes the resource and scope once. Async resource attributes must have settled. */
export function requestFrame(resource: Resource, scope: { name: string; version?: string }): RequestFrame {
  const r = new ProtoWriter(512);
  r.byte((1 << 3) | LEN);
  const ra = r.beginLength(2);
  writeAttributes(r, (1 << 3) | LEN, resource.attributes);
  r.byte((2 << 3) | VARINT);
  r.byte(0);
  r.finishLength(ra, 2);
  const s = new ProtoWriter(128);
  s.byte((1 << 3) | LEN);
  const sa = s.beginLength(1);
  s.byte((1 << 3) | LEN);
  s.string(scope.name);
  if (scope.version) {
    s.byte((2 << 3) | LEN);
    s.string(scope.version);
  }
  s.finishLength(sa, 1);
  const t = new ProtoWriter(64);
  if (resource.schemaUrl) {
    t.byte((3 << 3) | LEN);
    t.string(resource.schemaUrl);
  }
  const res = r.toBytes();
  const sc = s.toBytes();
  return { resource: res, scope: sc, resourceTail: t.toBytes(), reserve: 1 + 5 + res.length + 1 + 5 + sc.length };
}

function varintSize(v: number): number {
  return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : v < 268435456 ? 4 : 5;
}

function putVarint(b: Buffer, at: number, v: number): void {
  while (v > 127) {
    b[at++] = (v & 127) | 128;
    v >>>= 7;
  }
  b[at] = v;
}

/**
 * Turns a writer holding spans (each as `ScopeSpans.spans`, field 2) from `frame.reserve` on into
 * one ExportTraceServiceRequest, writing the frame into the reserved room in front (no copy of
 * the spans). Returns a view of the writer's buffer.
 */
export function frameBatch(w: ProtoWriter, frame: RequestFrame): Uint8Array {
  w.raw(frame.resourceTail);
  const end = w.pos;
  const spansLen = end - frame.resourceTail.length - frame.reserve;
  const scopeSpansLen = frame.scope.length + spansLen;
  const resourceSpansLen = frame.resource.length + 1 + varintSize(scopeSpansLen) + scopeSpansLen + frame.resourceTail.length;
  const b = w.buf;
  let p = frame.reserve - frame.scope.length;
  b.set(frame.scope, p);
  p -= varintSize(scopeSpansLen);
  putVarint(b, p, scopeSpansLen);
  b[--p] = (2 << 3) | LEN;
  p -= frame.resource.length;
  b.set(frame.resource, p);
  p -= varintSize(resourceSpansLen);
  putVarint(b, p, resourceSpansLen);
  b[--p] = (1 << 3) | LEN;
  return b.subarray(p, end);
}
