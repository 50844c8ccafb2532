import { randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errors } from '../../errors.js';
import { bearerTokenAuthConfigSchema } from '../../extensions/bearertokenauth/config.js';
import { createBearerTokenAuth } from '../../extensions/bearertokenauth/extension.js';
import { decodeStatus, encodeRequest } from '../../model/otlp-codec.js';
import type { Signal } from '../../model/types.js';
import { CollectingConsumer, freePort, testHost, testSettings } from '../../testing/index.js';
import { otlpReceiverConfigSchema } from './config.js';
import { OTLP_GRPC_PATHS, peerAddress, rawUnaryMethod } from './grpc.js';
import { CONNECTION_WINDOW_BYTES, STREAM_WINDOW_BYTES } from './grpc-window.js';
import { createOtlpReceiver, type OtlpReceiver } from './receiver.js';
import { sampleLogs, sampleMetrics, sampleTraces } from './testdata/batches.js';

interface CallResult {
  error?: grpc.ServiceError;
  response?: Buffer;
}

describe('otlp receiver over gRPC', () => {
  let receiver: OtlpReceiver;
  let settings: ReturnType<typeof testSettings>;
  let traces: CollectingConsumer<'traces'>;
  let metrics: CollectingConsumer<'metrics'>;
  let logs: CollectingConsumer<'logs'>;
  let client: grpc.Client;

  async function start(grpcConfig: Record<string, unknown> = {}, extensions: Record<string, unknown> = {}) {
    const port = await freePort();
    const config = otlpReceiverConfigSchema.parse({
      protocols: { grpc: { endpoint: `127.0.0.1:${port}`, max_recv_msg_size_mib: 1, ...grpcConfig } },
    });
    receiver = createOtlpReceiver(settings, config, { traces, metrics, logs });
    await receiver.start(testHost(extensions));
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
    });
  }

  function call(signal: Signal, body: Uint8Array, metadata = new grpc.Metadata()): Promise<CallResult> {
    const m = rawUnaryMethod(OTLP_GRPC_PATHS[signal]);
    return new Promise((resolve) => {
      client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, Buffer.from(body), metadata, (error, response) =>
        resolve(error ? { error } : { response: response as Buffer }),
      );
    });
  }

  async function refusedRequests(reason: string): Promise<number> {
    const metric = await settings.selfTelemetry.registry.getSingleMetric('stitch_receiver_refused_requests_total')?.get();
    return (metric?.values ?? [])
      .filter((v) => v.labels.reason === reason && v.labels.transport === 'grpc')
      .reduce((n, v) => n + v.value, 0);
  }

  beforeEach(() => {
    settings = testSettings('otlp', 'receiver');
    traces = new CollectingConsumer('traces');
    metrics = new CollectingConsumer('metrics');
    logs = new CollectingConsumer('logs');
  });
  afterEach(async () => {
    client?.close();
    await receiver?.shutdown();
  });

  it('accepts each signal (gzip-compressed by the client) and passes the peer address', async () => {
    await start();
    expect((await call('traces', encodeRequest('traces', sampleTraces(), 'protobuf'))).error).toBeUndefined();
    expect((await call('metrics', encodeRequest('metrics', sampleMetrics(4), 'protobuf'))).error).toBeUndefined();
    expect((await call('logs', encodeRequest('logs', sampleLogs(), 'protobuf'))).error).toBeUndefined();
    expect(traces.itemCount).toBe(1);
    expect(metrics.itemCount).toBe(4);
    expect(logs.batches[0]?.resourceLogs[0]?.scopeLogs[0]?.logRecords[0]?.severityText).toBe('ERROR');
    expect(traces.contexts[0]?.clientAddress).toBe('127.0.0.1');
  });

  it('answers INVALID_ARGUMENT for bad data and RESOURCE_EXHAUSTED past the size limit, and keeps serving', async () => {
    await start();
    const bad = await call('traces', Uint8Array.from([0x0f, 0x00]));
    expect(bad.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.error?.details).toMatch(/wire type/);
    expect(await refusedRequests('decode_error')).toBe(1);

    // Over 1 MiB of data points (random names so gzip cannot shrink it under the limit on the wire).
    const big = sampleMetrics(1);
    const metric = big.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0];
    if (metric) metric.description = randomBytes(900 * 1024).toString('base64');
    const tooLarge = await call('metrics', encodeRequest('metrics', big, 'protobuf'));
    expect(tooLarge.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await refusedRequests('too_large')).toBe(1);
    expect(metrics.batches).toHaveLength(0);

    expect((await call('metrics', encodeRequest('metrics', sampleMetrics(1), 'protobuf'))).error).toBeUndefined();
  });

  it('answers RESOURCE_EXHAUSTED / UNAVAILABLE with RetryInfo for retryable refusals, INTERNAL for permanent ones', async () => {
    await start();
    const body = encodeRequest('logs', sampleLogs(), 'protobuf');
    const detailsOf = (r: CallResult) => {
      const bin = r.error?.metadata.get('grpc-status-details-bin')[0] as Buffer | undefined;
      return bin ? decodeStatus(bin, 'protobuf') : undefined;
    };
    logs.refuseWith = errors.STITCH_ERR_MEMORY_LIMIT([900, 800]);
    let r = await call('logs', body);
    expect(r.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(detailsOf(r)).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, retryAfterMs: 1000 });

    logs.refuseWith = errors.STITCH_ERR_SHUTDOWN(['batch'], { retryAfterMs: 3000 });
    r = await call('logs', body);
    expect(r.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(detailsOf(r)?.retryAfterMs).toBe(3000);

    logs.refuseWith = errors.STITCH_ERR_EXPORT_PERMANENT(['loki', 'entry too far behind']);
    r = await call('logs', body);
    expect(r.error?.code).toBe(grpc.status.INTERNAL);
    expect(r.error?.details).toMatch(/too far behind/);
  });

  it('answers UNAUTHENTICATED without a valid bearer token', async () => {
    const auth = createBearerTokenAuth(
      testSettings('bearertokenauth', 'extension'),
      bearerTokenAuthConfigSchema.parse({ token: 'tok' }),
    );
    await start({ auth: { authenticator: 'bearertokenauth' }, include_metadata: true }, { bearertokenauth: auth });
    const body = encodeRequest('traces', sampleTraces(), 'protobuf');
    expect((await call('traces', body)).error?.code).toBe(grpc.status.UNAUTHENTICATED);
    const md = new grpc.Metadata();
    md.set('authorization', 'Bearer tok');
    expect((await call('traces', body, md)).error).toBeUndefined();
    expect(traces.contexts[0]?.metadata?.authorization).toBe('Bearer tok');
    expect(await refusedRequests('unauthenticated')).toBe(1);
  });

  it('opens HTTP/2 flow-control windows wide enough for a batch of metrics to arrive without waiting', async () => {
    await start();
    const port = receiver.ports.grpc as number;
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      await new Promise<void>((resolve, reject) => {
        session.once('remoteSettings', () => resolve());
        session.once('error', reject);
      });
      // The server's per-stream window (its second SETTINGS frame) and the connection's (its
      // WINDOW_UPDATE), both sent as the session opens.
      const raised = () =>
        session.remoteSettings.initialWindowSize === STREAM_WINDOW_BYTES &&
        session.state.remoteWindowSize === CONNECTION_WINDOW_BYTES;
      for (let t = 0; t < 100 && !raised(); t++) await new Promise((r) => setTimeout(r, 10));
      expect(session.remoteSettings.initialWindowSize).toBe(STREAM_WINDOW_BYTES);
      expect(session.state.remoteWindowSize).toBe(CONNECTION_WINDOW_BYTES);
    } finally {
      session.close();
    }
  });

  it('parses peer addresses', () => {
    expect(peerAddress('ipv4:10.1.2.3:5000')).toBe('10.1.2.3');
    expect(peerAddress('10.1.2.3:5000')).toBe('10.1.2.3');
    expect(peerAddress('[::1]:5000')).toBe('::1');
    expect(peerAddress('[::ffff:10.0.0.9]:5000')).toBe('10.0.0.9');
  });
});
