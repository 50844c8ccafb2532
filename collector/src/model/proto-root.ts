/**
 * Loads the wire schemas in `collector/proto/` once, with protobufjs reflection. protobufjs
 * compiles an encoder and decoder per message type on first use, which runs as fast as its
 * static code generation without committing generated files.
 */
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
