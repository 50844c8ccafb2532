import { afterEach, describe, expect, it } from 'vitest';
import type { Component, SignalConsumers } from '../../component/component.js';
import { errors, isRetryable, type StitchError } from '../../errors.js';
import { otlpReceiverConfigSchema } from '../../receivers/otlp/config.js';
import { createOtlpReceiver } from '../../receivers/otlp/receiver.js';
import { sampleLogs, sampleMetrics, sampleTraces } from '../../receivers/otlp/testdata/batches.js';
import { CollectingConsumer, freePort, testHost, testSettings } from '../../testing/index.js';
import { otlpExporterConfigSchema } from './config.js';
import { createOtlpExporter, parseGrpcEndpoint } from './exporter.js';

describe('otlp (gRPC) exporter', () => {
  const cleanup: Component[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c.shutdown();
  });

  async function setup(compression = 'gzip') {
    const port = await freePort();
    const traces = new CollectingConsumer('traces');
    const metrics = new CollectingConsumer('metrics');
    const logs = new CollectingConsumer('logs');
    const receiver = createOtlpReceiver(
      testSettings('otlp', 'receiver'),
      otlpReceiverConfigSchema.parse({ protocols: { grpc: { endpoint: `127.0.0.1:${port}`, include_metadata: true } } }),
      { traces, metrics, logs },
    );
    await receiver.start(testHost());
    cleanup.push(receiver);
    const exp = createOtlpExporter(
      testSettings('otlp', 'exporter'),
      otlpExporterConfigSchema.parse({
        endpoint: `127.0.0.1:${port}`,
        tls: { insecure: true },
        compression,
        headers: { 'x-tenant': 't1' },
        retry_on_failure: { enabled: false },
        sending_queue: { enabled: false },
      }),
      ['traces', 'metrics', 'logs'],
    );
    await exp.start(testHost());
    cleanup.push(exp);
    return { consumers: exp.consumers as Required<SignalConsumers>, traces, metrics, logs };
  }

  it('sends all three signals into an otlp receiver', async () => {
    for (const compression of ['gzip', 'none']) {
      const { consumers, traces, metrics, logs } = await setup(compression);
      await consumers.traces.consume(sampleTraces());
      await consumers.metrics.consume(sampleMetrics(5));
      await consumers.logs.consume(sampleLogs());
      expect(traces.batches[0]?.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name).toBe('GET /cart');
      expect(metrics.itemCount).toBe(5);
      expect(logs.batches[0]?.resourceLogs[0]?.scopeLogs[0]?.logRecords[0]?.severityNumber).toBe(17);
      expect(logs.contexts[0]?.metadata?.['x-tenant']).toBe('t1');
    }
  });

  it('maps RESOURCE_EXHAUSTED with RetryInfo to retryable, INTERNAL to permanent', async () => {
    const { consumers, metrics, logs } = await setup();
    metrics.refuseWith = errors.STITCH_ERR_MEMORY_LIMIT([900, 800], { retryAfterMs: 4000 });
    const throttled = (await consumers.metrics.consume(sampleMetrics()).catch((e) => e)) as StitchError;
    expect(throttled.code).toBe('STITCH_ERR_EXPORT_RETRYABLE');
    expect(throttled.retryAfterMs).toBe(4000);
    logs.refuseWith = errors.STITCH_ERR_EXPORT_PERMANENT(['x', 'nope']);
    const permanent = (await consumers.logs.consume(sampleLogs()).catch((e) => e)) as StitchError;
    expect(permanent.code).toBe('STITCH_ERR_EXPORT_PERMANENT');
    expect(permanent.message).toMatch(/INTERNAL: .*nope/);
  });

  it('reports an unreachable endpoint as retryable', async () => {
    const exp = createOtlpExporter(
      testSettings('otlp', 'exporter'),
      otlpExporterConfigSchema.parse({
        endpoint: `http://127.0.0.1:${await freePort()}`,
        timeout: '500ms',
        retry_on_failure: { enabled: false },
        sending_queue: { enabled: false },
      }),
      ['traces'],
    );
    await exp.start(testHost());
    cleanup.push(exp);
    const err = await (exp.consumers.traces as NonNullable<SignalConsumers['traces']>).consume(sampleTraces()).catch((e) => e);
    expect(isRetryable(err)).toBe(true);
    expect((err as StitchError).message).toMatch(/UNAVAILABLE|DEADLINE_EXCEEDED/);
  });

  it('parses endpoints with and without a scheme', () => {
    expect(parseGrpcEndpoint('tempo:4317')).toEqual({ target: 'tempo:4317' });
    expect(parseGrpcEndpoint('https://tempo:4317')).toEqual({ target: 'tempo:4317', scheme: 'https' });
    expect(otlpExporterConfigSchema.safeParse({ endpoint: 'tempo' }).success).toBe(false);
    expect(otlpExporterConfigSchema.parse({ endpoint: 'tempo:4317' })).toMatchObject({ compression: 'gzip', timeout: 5000 });
  });
});
