import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Component, SignalConsumers } from '../../component/component.js';
import { isRetryable, type StitchError } from '../../errors.js';
import { bearerTokenAuthConfigSchema } from '../../extensions/bearertokenauth/config.js';
import { createBearerTokenAuth } from '../../extensions/bearertokenauth/extension.js';
import { encodeResponse, encodeStatus } from '../../model/otlp-codec.js';
import { otlpReceiverConfigSchema } from '../../receivers/otlp/config.js';
import { createOtlpReceiver } from '../../receivers/otlp/receiver.js';
import { sampleLogs, sampleMetrics, sampleTraces } from '../../receivers/otlp/testdata/batches.js';
import { CollectingConsumer, freePort, testHost, testSettings } from '../../testing/index.js';
import { otlpHttpExporterConfigSchema } from './config.js';
import { createOtlpHttpExporter, signalUrl } from './exporter.js';

const NO_RETRY = { retry_on_failure: { enabled: false }, sending_queue: { enabled: false } };

describe('otlphttp exporter', () => {
  const cleanup: Component[] = [];
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c.shutdown();
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  async function exporter(config: Record<string, unknown>, extensions: Record<string, unknown> = {}) {
    const settings = testSettings('otlphttp', 'exporter');
    const exp = createOtlpHttpExporter(settings, otlpHttpExporterConfigSchema.parse({ ...NO_RETRY, ...config }), [
      'traces',
      'metrics',
      'logs',
    ]);
    await exp.start(testHost(extensions));
    cleanup.push(exp);
    return { consumers: exp.consumers as Required<SignalConsumers>, settings };
  }

  /** A server answering each request with the next of `answers` (the last one repeats). */
  async function fakeServer(answers: { status: number; headers?: Record<string, string>; body?: Uint8Array }[]) {
    const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers });
        const a = answers[Math.min(seen.length - 1, answers.length - 1)] as (typeof answers)[number];
        res.writeHead(a.status, a.headers);
        res.end(a.body ? Buffer.from(a.body) : undefined);
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    servers.push(server);
    return { url: `http://127.0.0.1:${port}`, seen };
  }

  it('sends all three signals into an otlp receiver, protobuf and JSON, compressed', async () => {
    const port = await freePort();
    const traces = new CollectingConsumer('traces');
    const metrics = new CollectingConsumer('metrics');
    const logs = new CollectingConsumer('logs');
    const receiver = createOtlpReceiver(
      testSettings('otlp', 'receiver'),
      otlpReceiverConfigSchema.parse({ protocols: { http: { endpoint: `127.0.0.1:${port}`, include_metadata: true } } }),
      { traces, metrics, logs },
    );
    await receiver.start(testHost());
    cleanup.push(receiver);
    for (const [encoding, compression] of [
      ['proto', 'gzip'],
      ['json', 'zstd'],
      ['proto', 'none'],
    ] as const) {
      const { consumers } = await exporter({
        endpoint: `http://127.0.0.1:${port}`,
        encoding,
        compression,
        headers: { 'x-scope-orgid': 'tenant-1' },
      });
      await consumers.traces.consume(sampleTraces());
      await consumers.metrics.consume(sampleMetrics(3));
      await consumers.logs.consume(sampleLogs());
    }
    expect(traces.itemCount).toBe(3);
    expect(metrics.itemCount).toBe(9);
    expect(logs.itemCount).toBe(3);
    expect(traces.batches[1]?.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name).toBe('GET /cart');
    expect(logs.batches[2]?.resourceLogs[0]?.scopeLogs[0]?.logRecords[0]?.body?.stringValue).toBe('payment failed');
    expect(logs.contexts[0]?.metadata?.['x-scope-orgid']).toBe('tenant-1');
  });

  it('builds signal URLs like the Collector', () => {
    const c = otlpHttpExporterConfigSchema.parse({ endpoint: 'http://gw:4318/', logs_endpoint: 'http://loki:3100/otlp/v1/logs' });
    expect(signalUrl(c, 'traces')).toBe('http://gw:4318/v1/traces');
    expect(signalUrl(c, 'logs')).toBe('http://loki:3100/otlp/v1/logs');
    expect(c).toMatchObject({ compression: 'gzip', encoding: 'proto', timeout: 30_000 });
    expect(() =>
      createOtlpHttpExporter(
        testSettings('otlphttp', 'exporter'),
        otlpHttpExporterConfigSchema.parse({ traces_endpoint: 'http://x:1/t' }),
        ['metrics'],
      ),
    ).toThrow(/endpoint/);
  });

  it('fails permanently on 400 with the server message, and is not retried', async () => {
    const status = encodeStatus({ code: 3, message: 'resourceSpans[0]: bad span' }, 'protobuf');
    const srv = await fakeServer([{ status: 400, headers: { 'content-type': 'application/x-protobuf' }, body: status }]);
    const { consumers } = await exporter({ endpoint: srv.url, retry_on_failure: { enabled: true, initial_interval: '10ms' } });
    const err = (await consumers.traces.consume(sampleTraces()).catch((e) => e)) as StitchError;
    expect(err.code).toBe('STITCH_ERR_EXPORT_PERMANENT');
    expect(err.message).toMatch(/HTTP 400: resourceSpans\[0\]: bad span/);
    expect(isRetryable(err)).toBe(false);
    expect(srv.seen).toHaveLength(1);
  });

  it('marks 429/502/503/504 retryable with the Retry-After delay', async () => {
    for (const code of [429, 502, 503, 504]) {
      const srv = await fakeServer([{ status: code, headers: { 'retry-after': '7' } }]);
      const { consumers } = await exporter({ endpoint: srv.url });
      const err = (await consumers.metrics.consume(sampleMetrics()).catch((e) => e)) as StitchError;
      expect(err.code, String(code)).toBe('STITCH_ERR_EXPORT_RETRYABLE');
      expect(err.retryAfterMs, String(code)).toBe(7000);
    }
    const refused = await fakeServer([{ status: 500 }]);
    const { consumers } = await exporter({ endpoint: refused.url });
    expect(isRetryable(await consumers.metrics.consume(sampleMetrics()).catch((e) => e))).toBe(false);
  });

  it('retries a 503 through the exporterhelper and succeeds', async () => {
    const srv = await fakeServer([{ status: 503, headers: { 'retry-after': '0' } }, { status: 200 }]);
    const { consumers, settings } = await exporter({
      endpoint: srv.url,
      retry_on_failure: { enabled: true, initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '5s' },
    });
    await consumers.traces.consume(sampleTraces());
    expect(srv.seen).toHaveLength(2);
    const sent = await settings.selfTelemetry.registry.getSingleMetric('stitch_exporter_sent_items_total')?.get();
    expect(sent?.values.find((v) => v.labels.signal === 'traces')?.value).toBe(1);
  });

  it('counts a partial success as dropped', async () => {
    const body = encodeResponse('logs', 'protobuf', { rejected: 2, errorMessage: 'too old' });
    const srv = await fakeServer([{ status: 200, headers: { 'content-type': 'application/x-protobuf' }, body }]);
    const { consumers, settings } = await exporter({ endpoint: srv.url });
    await consumers.logs.consume(sampleLogs());
    const dropped = await settings.selfTelemetry.registry.getSingleMetric('stitch_component_dropped_items_total')?.get();
    expect(dropped?.values.find((v) => v.labels.signal === 'logs')?.value).toBe(2);
  });

  it('adds the bearer token from the auth extension and the configured headers', async () => {
    const srv = await fakeServer([{ status: 200 }]);
    const auth = createBearerTokenAuth(
      testSettings('bearertokenauth/out', 'extension'),
      bearerTokenAuthConfigSchema.parse({ token: 'abc' }),
    );
    const { consumers } = await exporter(
      { endpoint: srv.url, headers: { 'x-team': 'a' }, auth: { authenticator: 'bearertokenauth/out' } },
      { 'bearertokenauth/out': auth },
    );
    await consumers.traces.consume(sampleTraces());
    expect(srv.seen[0]?.url).toBe('/v1/traces');
    expect(srv.seen[0]?.headers).toMatchObject({ authorization: 'Bearer abc', 'x-team': 'a', 'content-encoding': 'gzip' });
  });

  it('reports a refused connection as retryable', async () => {
    const { consumers } = await exporter({ endpoint: `http://127.0.0.1:${await freePort()}` });
    const err = await consumers.traces.consume(sampleTraces()).catch((e) => e);
    expect(isRetryable(err)).toBe(true);
  });
});
