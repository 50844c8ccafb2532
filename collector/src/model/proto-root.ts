/**
 * Loads the wire schemas in `collector/proto/` once, with protobufjs reflection. protobufjs
 * compiles an encoder and decoder per message type on first use, which runs as fast as its
 * static code generation without committing generated files.
 */
import { isUtf8 } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import Long from 'long';
import protobuf from 'protobufjs';

// Decode 64-bit integers as Long so nanosecond timestamps keep full precision.
protobuf.util.Long = Long;
protobuf.configure();

const protoDir = fileURLToPath(new URL('../../proto/', import.meta.url));

const FILES = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'google/rpc/status.proto',
  'prometheus/remote.proto',
  'loki/push.proto',
];

/**
 * A oneof's virtual-field setter that deletes only the members actually present. protobufjs'
 * own setter (its decoder assigns `m.value = "stringValue"` after every oneof member) runs
 * `delete` on each other member, present or not: a runtime call per member, six per AnyValue,
 * ~7% of the collector's CPU on OTLP logs → Loki. Same semantics: the last member read wins.
 * Installed as `protobuf.util.oneOfSetter` before any message constructor is generated (the
 * accessors protobufjs defines are not configurable afterwards); it is process-wide, which is
 * harmless as the behaviour is the same.
 */
function presentOnlyOneofSetter(members: readonly string[]): (this: Record<string, unknown>, name: string) => void {
  return function setOneof(name) {
    for (let i = 0; i < members.length; i++) {
      const m = members[i] as string;
      if (m !== name && Object.hasOwn(this, m)) delete this[m];
    }
  };
}
(protobuf.util as unknown as { oneOfSetter: typeof presentOnlyOneofSetter }).oneOfSetter = presentOnlyOneofSetter;

/** The part of protobufjs' BufferReader that verified string decoding uses. */
interface BufferReaderState {
  buf: Buffer & { utf8Slice(start: number, end: number): string };
  pos: number;
  len: number;
  /** The length prefix (protobufjs' `size`: a varint checked to fit 32 signed bits). */
  size(): number;
}

/**
 * proto3 `string` fields decoded with Node's native UTF-8 decoder, still rejecting invalid UTF-8.
 * protobufjs 8 verifies strings in JavaScript, concatenating eight characters at a time (~5% of
 * the collector's CPU on OTLP logs → Loki, plus the garbage of the intermediate strings), although
 * its BufferReader decodes unverified strings natively. The native decoder turns bad bytes into
 * U+FFFD, so only a string containing U+FFFD has its bytes checked (`isUtf8`, native too).
 * Requests reach the decoders as Buffers, which protobufjs reads with BufferReader.
 */
function readVerifiedString(this: BufferReaderState): string {
  const length = this.size();
  const start = this.pos;
  const end = start + length;
  if (end > this.len) throw RangeError(`index out of range: ${start} + ${length} > ${this.len}`);
  this.pos = end;
  const text = this.buf.utf8Slice(start, end);
  if (text.indexOf('\uFFFD') !== -1 && !isUtf8(this.buf.subarray(start, end))) {
    throw new TypeError('The encoded data was not valid for encoding utf-8');
  }
  return text;
}
(protobuf.BufferReader.prototype as unknown as { stringVerify: typeof readVerifiedString }).stringVerify = readVerifiedString;

function load(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : protoDir + target);
  root.loadSync(FILES, { keepCase: false });
  root.resolveAll();
  return root;
}

/** The one protobufjs root holding every schema Stitch speaks. */
export const protoRoot: protobuf.Root = load();

/** Looks up a message type by its fully-qualified name; throws at start-up if it is missing. */
export function messageType(name: string): protobuf.Type {
  return protoRoot.lookupType(name);
}

export const OTLP_TYPES = {
  tracesRequest: messageType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
  tracesResponse: messageType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  metricsRequest: messageType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
  metricsResponse: messageType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
  logsRequest: messageType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
  logsResponse: messageType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
  status: messageType('google.rpc.Status'),
  retryInfo: messageType('google.rpc.RetryInfo'),
} as const;
