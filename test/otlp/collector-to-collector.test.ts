/**
 * Collector to collector: a `stitch collect` process receives OTLP and forwards every signal
 * with its `otlp` (gRPC) and `otlphttp` exporters into a second Stitch's `otlp` receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest } from '../../collector/src/model/otlp-codec.js';
import { otlpReceiverConfigSchema } from '../../collector/src/receivers/otlp/config.js';
import { createOtlpReceiver, type OtlpReceiver } from '../../collector/src/receivers/otlp/receiver.js';
import { sampleLogs, sampleMetrics, sampleTraces } from '../../collector/src/receivers/otlp/testdata/batches.js';
import { CollectingConsumer, freePort, testHost, testSettings } from '../../collector/src/testing/index.js';
import { runStitch, type StitchProcess, writeConfig } from '../helpers/collector-process.js';

const viaGrpc = {
  traces: new CollectingConsumer('traces'),
  metrics: new CollectingConsumer('metrics'),
  logs: new CollectingConsumer('logs'),
};
const viaHttp = {
  traces: new CollectingConsumer('traces'),
  metrics: new CollectingConsumer('metrics'),
  logs: new CollectingConsumer('logs'),
};
let gateways: OtlpReceiver[] = [];
let agent: StitchProcess;
let agentUrl: string;

beforeAll(async () => {
  const [grpcPort, httpPort, inPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  gateways = [
    createOtlpReceiver(
      testSettings('otlp/gateway-grpc', 'receiver'),
      otlpReceiverConfigSchema.parse({ protocols: { grpc: { endpoint: `127.0.0.1:${grpcPort}` } } }),
      viaGrpc,
    ),
    createOtlpReceiver(
      testSettings('otlp/gateway-http', 'receiver'),
      otlpReceiverConfigSchema.parse({ protocols: { http: { endpoint: `127.0.0.1:${httpPort}` } } }),
      viaHttp,
    ),
  ];
  for (const g of gateways) await g.start(testHost());
  const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${inPort}
exporters:
  otlp:
    endpoint: 127.0.0.1:${grpcPort}
    tls:
      insecure: true
  otlphttp:
    endpoint: http://127.0.0.1:${httpPort}
    encoding: json
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    traces: { receivers: [otlp], exporters: [otlp, otlphttp] }
    metrics: { receivers: [otlp], exporters: [otlp, otlphttp] }
    logs: { receivers: [otlp], exporters: [otlp, otlphttp] }
`);
  agent = runStitch(['collect', '--config', config]);
  agentUrl = `http://127.0.0.1:${inPort}`;
  await agent.waitFor('Everything is ready', 20_000);
});

afterAll(async () => {
  await agent?.stop();
  for (const g of gateways) await g.shutdown();
});

describe('stitch → stitch over otlp and otlphttp', () => {
  it('forwards traces, metrics and logs through both exporters', async () => {
    const pb = { 'content-type': 'application/x-protobuf' };
    for (const [signal, data] of [
      ['traces', sampleTraces()],
      ['metrics', sampleMetrics(4)],
      ['logs', sampleLogs()],
    ] as const) {
      const r = await fetch(`${agentUrl}/v1/${signal}`, {
        method: 'POST',
        headers: pb,
        body: Buffer.from(encodeRequest(signal, data as never, 'protobuf')),
      });
      expect(r.status, signal).toBe(200);
    }
    for (const sink of [viaGrpc, viaHttp]) {
      await sink.traces.waitForItems(1, 15_000);
      await sink.metrics.waitForItems(4, 15_000);
      await sink.logs.waitForItems(1, 15_000);
      const span = sink.traces.batches.flatMap((b) =>
        b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
      )[0];
      expect(span?.name).toBe('GET /cart');
      expect(Buffer.from(span?.traceId ?? []).toString('hex')).toBe('0102030405060708090a0b0c0d0e0f10');
      const record = sink.logs.batches[0]?.resourceLogs[0]?.scopeLogs[0]?.logRecords[0];
      expect(record?.body?.stringValue).toBe('payment failed');
      expect(record?.severityNumber).toBe(17);
      const points = sink.metrics.batches.flatMap(
        (b) => b.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.gauge?.dataPoints ?? [],
      );
      expect(points.map((p) => p.asDouble)).toEqual([0.5, 1.5, 2.5, 3.5]);
    }
  });
});
