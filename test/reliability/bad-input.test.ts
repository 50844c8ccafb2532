/**
 * Bad input: a corpus of malformed inputs across OTLP/HTTP (protobuf and JSON), OTLP/gRPC, the
 * remote-write receiver, container log lines and config files. Each must get a clear 4xx (or
 * gRPC status, or `stitch validate` error) naming what is wrong, be counted in the collector's
 * own metrics, and leave the collector serving (health_check is asked after every case).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import snappy from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWriteRequest } from '../../collector/src/model/remote-write/encode.js';
import { OTLP_GRPC_PATHS, rawUnaryMethod } from '../../collector/src/receivers/otlp/grpc.js';
import { freePort } from '../../collector/src/testing/index.js';
import { runStitch, writeConfig } from '../helpers/collector-process.js';
import {
  logsJson,
  metricsJson,
  type RunningCollector,
  seededBytes,
  selfMetric,
  startCollector,
  toProtobuf,
  until,
} from './harness.js';

const MAX_BODY = 64 * 1024;

// ------------------------------------------------------------------ valid bases to break

const traceJson = (span: Record<string, unknown>) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [] },
        scopeSpans: [
          {
            scope: { name: 'bad-input' },
            spans: [
              {
                traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
                spanId: '00f067aa0ba902b7',
                name: 'GET /',
                kind: 2,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000100000000',
                ...span,
              },
            ],
          },
        ],
      },
    ],
  });
const validTraces = Buffer.from(toProtobuf('traces', traceJson({})));
const validLogs = Buffer.from(toProtobuf('logs', logsJson([1, 2, 3], 'bad-input')));
const validMetrics = Buffer.from(toProtobuf('metrics', metricsJson([1, 2, 3], 'bad-input')));

/** A protobuf span whose trace_id field (bytes) has `n` bytes. */
function traceIdOfLength(n: number): Buffer {
  // Span.trace_id is field 1 (bytes); ScopeSpans.spans field 2; ResourceSpans.scope_spans field 2;
  // ExportTraceServiceRequest.resource_spans field 1.
  const span = Buffer.concat([Buffer.from([0x0a, n]), Buffer.alloc(n, 0xab), Buffer.from([0x12, 0x08]), Buffer.alloc(8, 1)]);
  const scopeSpans = Buffer.concat([Buffer.from([0x12, span.length]), span]);
  const resourceSpans = Buffer.concat([Buffer.from([0x12, scopeSpans.length]), scopeSpans]);
  return Buffer.concat([Buffer.from([0x0a, resourceSpans.length]), resourceSpans]);
}

/** A logs request whose body AnyValue nests kvlists `depth` deep (recursion bomb). */
function deepAnyValue(depth: number): Buffer {
  // AnyValue.string_value = field 1; AnyValue.kvlist_value = field 6 → KeyValueList.values (1)
  // → KeyValue.value (2) → AnyValue …
  let v = Buffer.from([0x0a, 0x01, 0x78]);
  const len = (n: number) => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return Buffer.from(out);
  };
  const wrap = (tag: number, inner: Buffer) => Buffer.concat([Buffer.from([tag]), len(inner.length), inner]);
  for (let i = 0; i < depth; i++) v = wrap(0x32, wrap(0x0a, wrap(0x12, v)));
  const record = wrap(0x2a, v); // LogRecord.body = field 5
  return wrap(0x0a, wrap(0x12, wrap(0x12, record)));
}

// ------------------------------------------------------------------ the corpus

interface HttpCase {
  name: string;
  target: 'otlp' | 'prw';
  method?: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  status: number;
  message: RegExp;
  reason: string;
}

const PB = { 'content-type': 'application/x-protobuf' };
const JS = { 'content-type': 'application/json' };
const RW = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
};

const otlpHttpCases: HttpCase[] = [
  // protobuf
  {
    name: 'truncated protobuf',
    target: 'otlp',
    path: '/v1/traces',
    headers: PB,
    body: validTraces.subarray(0, validTraces.length - 7),
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'invalid wire type 7',
    target: 'otlp',
    path: '/v1/traces',
    headers: PB,
    body: Buffer.from([0x0f, 0x00]),
    status: 400,
    message: /wire type/i,
    reason: 'decode_error',
  },
  {
    name: 'length field past the end',
    target: 'otlp',
    path: '/v1/logs',
    headers: PB,
    body: Buffer.from([0x0a, 0xff, 0x01, 0x00]),
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'varint running past the end',
    target: 'otlp',
    path: '/v1/metrics',
    headers: PB,
    body: Buffer.from([0x0a, 0x02, 0x08, 0xff]),
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'random bytes',
    target: 'otlp',
    path: '/v1/logs',
    headers: PB,
    body: Buffer.from('deadbeefcafebabe00ff7f80', 'hex'),
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'text sent as protobuf',
    target: 'otlp',
    path: '/v1/traces',
    headers: PB,
    body: 'hello world, this is not protobuf',
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'trace_id of 3 bytes',
    target: 'otlp',
    path: '/v1/traces',
    headers: PB,
    body: traceIdOfLength(3),
    status: 400,
    message: /trace.?id/i,
    reason: 'decode_error',
  },
  {
    name: 'trace_id of 17 bytes',
    target: 'otlp',
    path: '/v1/traces',
    headers: PB,
    body: traceIdOfLength(17),
    status: 400,
    message: /trace.?id/i,
    reason: 'decode_error',
  },
  {
    name: 'metrics body on the logs path (wrong message)',
    target: 'otlp',
    path: '/v1/logs',
    headers: PB,
    body: Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0xff]),
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'AnyValue nested 2000 deep',
    target: 'otlp',
    path: '/v1/logs',
    headers: PB,
    body: deepAnyValue(2000),
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'gzip header on a plain body',
    target: 'otlp',
    path: '/v1/logs',
    headers: { ...PB, 'content-encoding': 'gzip' },
    body: validLogs,
    status: 400,
    message: /gzip|incorrect header|corrupt/i,
    reason: 'decode_error',
  },
  {
    name: 'truncated gzip',
    target: 'otlp',
    path: '/v1/logs',
    headers: { ...PB, 'content-encoding': 'gzip' },
    body: gzipSync(validLogs).subarray(0, 20),
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'unknown Content-Encoding',
    target: 'otlp',
    path: '/v1/logs',
    headers: { ...PB, 'content-encoding': 'br-ish' },
    body: validLogs,
    status: 415,
    message: /br-ish/,
    reason: 'unsupported_media_type',
  },
  {
    name: 'unknown Content-Type',
    target: 'otlp',
    path: '/v1/logs',
    headers: { 'content-type': 'text/plain' },
    body: 'hello',
    status: 415,
    message: /text\/plain/,
    reason: 'unsupported_media_type',
  },
  {
    name: 'body over max_request_body_size',
    target: 'otlp',
    path: '/v1/logs',
    headers: PB,
    body: Buffer.alloc(MAX_BODY + 1024, 0x41),
    status: 413,
    message: /./,
    reason: 'too_large',
  },
  {
    name: 'gzip bomb (10 MiB of zeros)',
    target: 'otlp',
    path: '/v1/logs',
    headers: { ...PB, 'content-encoding': 'gzip' },
    body: gzipSync(Buffer.alloc(10 * 1024 * 1024)),
    status: 413,
    message: /./,
    reason: 'too_large',
  },
  {
    name: 'unknown path',
    target: 'otlp',
    path: '/v1/profiles',
    headers: PB,
    body: validLogs,
    status: 404,
    message: /./,
    reason: 'not_found',
  },
  {
    name: 'GET on an export path',
    target: 'otlp',
    method: 'GET',
    path: '/v1/traces',
    headers: {},
    status: 405,
    message: /./,
    reason: 'method_not_allowed',
  },
  // JSON
  {
    name: 'JSON: unterminated object',
    target: 'otlp',
    path: '/v1/traces',
    headers: JS,
    body: '{"resourceSpans": [',
    status: 400,
    message: /json/i,
    reason: 'decode_error',
  },
  {
    name: 'JSON: empty body',
    target: 'otlp',
    path: '/v1/logs',
    headers: JS,
    body: '',
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'JSON: top-level array',
    target: 'otlp',
    path: '/v1/logs',
    headers: JS,
    body: '[]',
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'JSON: null',
    target: 'otlp',
    path: '/v1/logs',
    headers: JS,
    body: 'null',
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'JSON: resourceSpans is a number',
    target: 'otlp',
    path: '/v1/traces',
    headers: JS,
    body: '{"resourceSpans": 5}',
    status: 400,
    message: /resourceSpans/,
    reason: 'decode_error',
  },
  {
    name: 'JSON: traceId not hex',
    target: 'otlp',
    path: '/v1/traces',
    headers: JS,
    body: traceJson({ traceId: 'zz'.repeat(16) }),
    status: 400,
    message: /traceId/,
    reason: 'decode_error',
  },
  {
    name: 'JSON: traceId of 31 chars',
    target: 'otlp',
    path: '/v1/traces',
    headers: JS,
    body: traceJson({ traceId: 'a'.repeat(31) }),
    status: 400,
    message: /traceId/,
    reason: 'decode_error',
  },
  {
    name: 'JSON: spanId of 8 chars',
    target: 'otlp',
    path: '/v1/traces',
    headers: JS,
    body: traceJson({ spanId: 'abcdabcd' }),
    status: 400,
    message: /spanId/,
    reason: 'decode_error',
  },
  {
    name: 'JSON: startTimeUnixNano not a number',
    target: 'otlp',
    path: '/v1/traces',
    headers: JS,
    body: traceJson({ startTimeUnixNano: 'yesterday' }),
    status: 400,
    message: /startTimeUnixNano/,
    reason: 'decode_error',
  },
  {
    name: 'JSON: kind is an unknown enum name',
    target: 'otlp',
    path: '/v1/traces',
    headers: JS,
    body: traceJson({ kind: 'SPAN_KIND_TELEPATHY' }),
    status: 400,
    message: /kind/,
    reason: 'decode_error',
  },
  {
    name: 'JSON: name is an object',
    target: 'otlp',
    path: '/v1/traces',
    headers: JS,
    body: traceJson({ name: { a: 1 } }),
    status: 400,
    message: /name/,
    reason: 'decode_error',
  },
  {
    name: 'JSON: attributes is a string',
    target: 'otlp',
    path: '/v1/traces',
    headers: JS,
    body: traceJson({ attributes: 'x' }),
    status: 400,
    message: /attributes/,
    reason: 'decode_error',
  },
  {
    name: 'JSON: intValue is a fraction',
    target: 'otlp',
    path: '/v1/traces',
    headers: JS,
    body: traceJson({ attributes: [{ key: 'n', value: { intValue: '1.5' } }] }),
    status: 400,
    message: /intValue/,
    reason: 'decode_error',
  },
  {
    name: 'JSON: arrays nested 30000 deep',
    target: 'otlp',
    path: '/v1/logs',
    headers: JS,
    body: `${'['.repeat(30_000)}${']'.repeat(30_000)}`,
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'JSON: severityNumber is a word',
    target: 'otlp',
    path: '/v1/logs',
    headers: JS,
    body: '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"LOUD"}]}]}]}',
    status: 400,
    message: /severityNumber/,
    reason: 'decode_error',
  },
];

const scrambled = Buffer.from(snappy.compressSync(Buffer.from('definitely not a WriteRequest \u0000\u00ff')));
const rwNoName = snappy.compressSync(
  encodeWriteRequest({
    timeseries: [
      { labels: [{ name: 'job', value: 'x' }], samples: [{ value: 1, timestamp: Date.now() }], exemplars: [], histograms: [] },
    ],
    metadata: [],
  }),
);
/** A snappy block whose header declares a 1 GiB inflated length. */
const snappyLiar = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00, 0x41]);

const prwCases: HttpCase[] = [
  {
    name: 'remote-write: body not snappy',
    target: 'prw',
    path: '/api/v1/write',
    headers: RW,
    body: 'plain text body',
    status: 400,
    message: /snappy|corrupt|decompress/i,
    reason: 'decode_error',
  },
  {
    name: 'remote-write: snappy of garbage',
    target: 'prw',
    path: '/api/v1/write',
    headers: RW,
    body: scrambled,
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'remote-write: truncated snappy',
    target: 'prw',
    path: '/api/v1/write',
    headers: RW,
    body: Buffer.from(snappy.compressSync(validMetrics)).subarray(0, 10),
    status: 400,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'remote-write: declared inflated size 1 GiB',
    target: 'prw',
    path: '/api/v1/write',
    headers: RW,
    body: snappyLiar,
    status: 413,
    message: /./,
    reason: 'too_large',
  },
  {
    name: 'remote-write: Content-Encoding gzip',
    target: 'prw',
    path: '/api/v1/write',
    headers: { ...RW, 'content-encoding': 'gzip' },
    body: gzipSync(validMetrics),
    status: 415,
    message: /snappy/,
    reason: 'unsupported_media_type',
  },
  {
    name: 'remote-write: Content-Type JSON',
    target: 'prw',
    path: '/api/v1/write',
    headers: { ...RW, 'content-type': 'application/json' },
    body: '{}',
    status: 415,
    message: /Content-Type/,
    reason: 'unsupported_media_type',
  },
  {
    name: 'remote-write: no Content-Encoding',
    target: 'prw',
    path: '/api/v1/write',
    headers: { 'content-type': 'application/x-protobuf' },
    body: validMetrics,
    status: 415,
    message: /snappy/,
    reason: 'unsupported_media_type',
  },
  {
    name: 'remote-write: GET',
    target: 'prw',
    method: 'GET',
    path: '/api/v1/write',
    headers: {},
    status: 405,
    message: /POST/,
    reason: 'method_not_allowed',
  },
  {
    name: 'remote-write: wrong path',
    target: 'prw',
    path: '/api/v2/write',
    headers: RW,
    body: rwNoName,
    status: 404,
    message: /api\/v1\/write/,
    reason: 'not_found',
  },
  {
    name: 'remote-write: body over the limit',
    target: 'prw',
    path: '/api/v1/write',
    headers: RW,
    body: Buffer.from(snappy.compressSync(seededBytes(MAX_BODY + 4096, 1))),
    status: 413,
    message: /./,
    reason: 'too_large',
  },
];

interface GrpcCase {
  name: string;
  signal: 'traces' | 'metrics' | 'logs';
  body: Buffer;
  code: grpc.status;
  message: RegExp;
  reason: string;
}

const grpcCases: GrpcCase[] = [
  {
    name: 'gRPC: invalid wire type',
    signal: 'traces',
    body: Buffer.from([0x0f, 0x00]),
    code: grpc.status.INVALID_ARGUMENT,
    message: /wire type/i,
    reason: 'decode_error',
  },
  {
    name: 'gRPC: truncated request',
    signal: 'logs',
    body: validLogs.subarray(0, validLogs.length - 5),
    code: grpc.status.INVALID_ARGUMENT,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'gRPC: length past the end',
    signal: 'metrics',
    body: Buffer.from([0x0a, 0x7f, 0x00]),
    code: grpc.status.INVALID_ARGUMENT,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'gRPC: trace_id of 3 bytes',
    signal: 'traces',
    body: traceIdOfLength(3),
    code: grpc.status.INVALID_ARGUMENT,
    message: /trace.?id/i,
    reason: 'decode_error',
  },
  {
    name: 'gRPC: AnyValue nested 2000 deep',
    signal: 'logs',
    body: deepAnyValue(2000),
    code: grpc.status.INVALID_ARGUMENT,
    message: /./,
    reason: 'decode_error',
  },
  {
    name: 'gRPC: message over max_recv_msg_size_mib',
    signal: 'logs',
    body: seededBytes(1024 * 1024 + 10, 2),
    code: grpc.status.RESOURCE_EXHAUSTED,
    message: /./,
    reason: 'too_large',
  },
];

/** Container log lines the `container` operator cannot parse, and a line over max_log_size. */
const badLogLines = [
  'this is not a container log line at all',
  '{"log":"docker json without a closing brace',
  '2024-05-01T12:00:00.000000000Z stdout',
  'not-a-timestamp stdout F hello',
  '2024-05-01T12:00:00.000000000Z stdfoo F hello',
  '2024-05-01T12:00:00.000000000Z',
  '{"log": 42, "stream": "stdout", "time": "2024-05-01T12:00:00Z"}',
  '\u0000\u0001\u0002\u00ff binary garbage',
];

interface ConfigCase {
  name: string;
  yaml: string;
  message: RegExp;
}

const pipeline = 'service:\n  pipelines:\n    logs: { receivers: [otlp], exporters: [debug] }\n';
const base = 'receivers:\n  otlp:\n    protocols:\n      http:\nexporters:\n  debug:\n';
const configCases: ConfigCase[] = [
  { name: 'config: unknown key', yaml: `${base}    verbosityy: basic\n${pipeline}`, message: /verbosityy/ },
  { name: 'config: unknown component type', yaml: `${base}  kafka:\n${pipeline}`, message: /kafka/ },
  {
    name: 'config: pipeline references an undefined exporter',
    yaml: `${base}service:\n  pipelines:\n    logs: { receivers: [otlp], exporters: [loki] }\n`,
    message: /loki/,
  },
  { name: 'config: bad duration', yaml: `${base}processors:\n  batch:\n    timeout: 5 parsecs\n${pipeline}`, message: /timeout/ },
  { name: 'config: YAML syntax error', yaml: 'receivers:\n  otlp: [unclosed\n', message: /\d+:\d+/ },
  {
    name: 'config: port out of range',
    yaml: `receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:99999\nexporters:\n  debug:\n${pipeline}`,
    message: /endpoint/,
  },
  {
    name: 'config: wrong type (list for a map)',
    yaml: `receivers:\n  otlp:\n    protocols: [http]\nexporters:\n  debug:\n${pipeline}`,
    message: /protocols/,
  },
  { name: 'config: empty file', yaml: '', message: /pipelines|receivers|empty/i },
  {
    name: 'config: pipeline without receivers',
    yaml: `${base}service:\n  pipelines:\n    logs: { exporters: [debug] }\n`,
    message: /receiver/,
  },
  {
    name: 'config: unknown signal pipeline',
    yaml: `${base}service:\n  pipelines:\n    profiles: { receivers: [otlp], exporters: [debug] }\n`,
    message: /profiles/,
  },
  { name: 'config: duplicate key', yaml: `${base}exporters:\n  debug:\n${pipeline}`, message: /exporters|duplicate/i },
];

// ------------------------------------------------------------------ the test

describe('bad input corpus', () => {
  let collector: RunningCollector;
  let prwUrl: string;
  let health: string;
  let logFile: string;
  const results: string[] = [];

  beforeAll(async () => {
    const [prwPort, healthPort] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), 'stitch-bad-input-'));
    mkdirSync(join(dir, 'pods'));
    logFile = join(dir, 'pods', 'app.log');
    writeFileSync(logFile, '');
    collector = await startCollector(`
receivers:
  otlp:
    protocols:
      http: { endpoint: "{OTLP_HTTP}", max_request_body_size: ${MAX_BODY} }
      grpc: { endpoint: "{OTLP_GRPC}", max_recv_msg_size_mib: 1 }
  prometheusremotewrite:
    endpoint: 127.0.0.1:${prwPort}
    max_request_body_size: ${MAX_BODY}
  filelog:
    include: [${dir}/pods/*.log]
    start_at: beginning
    poll_interval: 50ms
    max_log_size: 1KiB
    operators:
      - type: container
        format: containerd
        add_metadata_from_filepath: false
exporters:
  debug: {}
extensions:
  health_check:
    endpoint: 127.0.0.1:${healthPort}
service:
  extensions: [health_check]
  telemetry: { metrics: { address: "{METRICS}" } }
  pipelines:
    traces: { receivers: [otlp], exporters: [debug] }
    metrics: { receivers: [otlp, prometheusremotewrite], exporters: [debug] }
    logs: { receivers: [otlp, filelog], exporters: [debug] }
`);
    prwUrl = `http://127.0.0.1:${prwPort}`;
    health = `http://127.0.0.1:${healthPort}/`;
  });
  afterAll(async () => {
    await collector?.process.stop();
    console.log(`bad input corpus: ${results.length} inputs\n${results.join('\n')}`);
  });

  const refusedRequests = (reason: string, transport: string) =>
    selfMetric(collector.metricsUrl, 'stitch_receiver_refused_requests_total', { transport, reason });

  for (const c of [...otlpHttpCases, ...prwCases]) {
    it(`${c.name} → ${c.status}`, async () => {
      const before = await refusedRequests(c.reason, 'http');
      const base = c.target === 'otlp' ? collector.otlpHttp : prwUrl;
      const res = await fetch(base + c.path, {
        method: c.method ?? 'POST',
        headers: c.headers,
        ...(c.body !== undefined && (c.method ?? 'POST') === 'POST' ? { body: c.body } : {}),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      results.push(
        `  ${c.name}: ${res.status} ${text
          .replace(/[^\x20-\x7e]+/g, ' ')
          .trim()
          .slice(0, 140)}`,
      );
      expect(res.status, text).toBe(c.status);
      expect(text).toMatch(c.message);
      expect(await refusedRequests(c.reason, 'http')).toBe(before + 1);
      expect((await fetch(health)).status).toBe(200);
    });
  }

  for (const c of grpcCases) {
    it(`${c.name} → ${grpc.status[c.code]}`, async () => {
      const before = await refusedRequests(c.reason, 'grpc');
      const client = new grpc.Client(collector.otlpGrpc, grpc.credentials.createInsecure());
      try {
        const m = rawUnaryMethod(OTLP_GRPC_PATHS[c.signal]);
        const err = await new Promise<grpc.ServiceError | null>((resolve) =>
          client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, c.body, new grpc.Metadata(), (e) =>
            resolve(e),
          ),
        );
        results.push(`  ${c.name}: ${err ? grpc.status[err.code] : 'OK'} ${err?.details.slice(0, 140) ?? ''}`);
        expect(err?.code).toBe(c.code);
        expect(err?.details).toMatch(c.message);
      } finally {
        client.close();
      }
      await until('refusal counted', async () => (await refusedRequests(c.reason, 'grpc')) === before + 1, 5000);
      expect((await fetch(health)).status).toBe(200);
    });
  }

  it('container log lines that do not parse are counted per operator, the rest still flows', async () => {
    const errorsBefore = await selfMetric(collector.metricsUrl, 'stitch_filelog_operator_errors_total');
    const truncatedBefore = await selfMetric(collector.metricsUrl, 'stitch_filelog_truncated_lines_total');
    const good = '2024-05-01T12:00:00.000000000Z stdout F a good line';
    writeFileSync(
      logFile,
      `${[...badLogLines, `2024-05-01T12:00:00.000000000Z stdout F ${'y'.repeat(5000)}`, good].join('\n')}\n`,
    );
    await until(
      'every line read',
      async () =>
        (await selfMetric(collector.metricsUrl, 'stitch_receiver_accepted_items_total', { transport: 'file' })) >=
        badLogLines.length + 2,
      10_000,
    );
    const operatorErrors = (await selfMetric(collector.metricsUrl, 'stitch_filelog_operator_errors_total')) - errorsBefore;
    const truncated = (await selfMetric(collector.metricsUrl, 'stitch_filelog_truncated_lines_total')) - truncatedBefore;
    for (const line of badLogLines) results.push(`  container line ${JSON.stringify(line.slice(0, 40))}: counted operator error`);
    results.push(`  container line of 5000 bytes over max_log_size 1KiB: truncated ${truncated}`);
    expect(operatorErrors).toBe(badLogLines.length);
    expect(truncated).toBe(1);
    expect((await fetch(health)).status).toBe(200);
  });

  it('broken config files: `stitch validate` exits 1 naming the problem and its line', async () => {
    const run = async (c: ConfigCase) => {
      const p = runStitch(['validate', '--config', writeConfig(c.yaml)]);
      const code = await p.exited;
      return { c, code, out: p.stdout() + p.stderr() };
    };
    // Two at a time: each is a Node process.
    const outcomes = [];
    for (let i = 0; i < configCases.length; i += 2) outcomes.push(...(await Promise.all(configCases.slice(i, i + 2).map(run))));
    for (const { c, code, out } of outcomes) {
      results.push(`  ${c.name}: exit ${code} ${out.replace(/\s+/g, ' ').trim().slice(0, 140)}`);
      expect(code, `${c.name}\n${out}`).toBe(1);
      expect(out, c.name).toMatch(c.message);
      expect(out, c.name).not.toMatch(/at .*\.js:\d+/); // an error message, not a stack trace
    }
  });

  it('has at least 50 inputs', () => {
    const total = otlpHttpCases.length + prwCases.length + grpcCases.length + badLogLines.length + 1 + configCases.length;
    expect(total).toBeGreaterThanOrEqual(50);
  });
});
