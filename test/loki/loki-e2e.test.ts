/**
 * End to end: the official OpenTelemetry JS SDK sends logs over OTLP/HTTP protobuf to a real
 * `stitch collect` (otlp receiver → loki exporter), which pushes them to the strict Loki receiver.
 * Asserts what a Grafana user would see: stream labels, lines, timestamps and structured metadata,
 * retries through 500/429, a 400 dropped and counted, and no line lost when Loki is down and the
 * collector is SIGKILLed and restarted with a durable queue.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, TraceFlags, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../collector/src/testing/index.js';
import { runStitch, type StitchProcess, writeConfig } from '../helpers/collector-process.js';
import { type StrictLoki, startStrictLoki } from '../helpers/strict-loki.js';

const RESOURCE = {
  'service.name': 'checkout',
  'service.namespace': 'shop',
  'k8s.namespace.name': 'prod',
  'k8s.pod.name': 'checkout-7d9f-x2x',
  'k8s.container.name': 'app',
  'k8s.deployment.name': 'checkout',
  'k8s.node.name': 'node-1',
};
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

interface Collector {
  process: StitchProcess;
  otlpUrl: string;
  metricsUrl: string;
}

async function startCollector(
  lokiUrl: string,
  extra: { exporter?: string; extensions?: string; serviceExtensions?: string } = {},
) {
  const [otlpPort, metricsPort] = [await freePort(), await freePort()];
  const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
exporters:
  loki:
    endpoint: ${lokiUrl}
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 200ms
      max_elapsed_time: 0
${extra.exporter ?? ''}
${extra.extensions ?? ''}
service:
${extra.serviceExtensions ?? ''}
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs: { receivers: [otlp], exporters: [loki] }
`);
  const process = runStitch(['collect', '--config', config]);
  await process.waitFor('Everything is ready', 20_000);
  return {
    process,
    otlpUrl: `http://127.0.0.1:${otlpPort}/v1/logs`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    config,
  };
}

function sdkLogger(otlpUrl: string, options: { batch?: boolean } = {}) {
  const exporter = new OTLPLogExporter({ url: otlpUrl });
  const processor = options.batch
    ? new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 10, scheduledDelayMillis: 10 })
    : new SimpleLogRecordProcessor({ exporter });
  const provider = new LoggerProvider({ resource: resourceFromAttributes(RESOURCE), processors: [processor] });
  return { provider, logger: provider.getLogger('@stitch/e2e', '1.0.0') };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

describe('OTel SDK → stitch (otlp → loki) → strict Loki', () => {
  let loki: StrictLoki;
  let collector: Collector;
  beforeAll(async () => {
    loki = await startStrictLoki();
    collector = await startCollector(loki.url);
  });
  afterAll(async () => {
    await collector?.process.stop();
    await loki?.close();
  });

  it('delivers labels, lines, timestamps and structured metadata exactly as mapped', async () => {
    const { provider, logger } = sdkLogger(collector.otlpUrl);
    const sec = Math.floor(Date.now() / 1000);
    const spanContext = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED };
    logger.emit({
      timestamp: [sec, 123456789],
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: 'payment failed',
      attributes: { request_id: 'req-7f3a', 'http.route': '/cart/:id', 'retry.count': 2 },
      context: trace.setSpanContext(context.active(), spanContext),
    });
    logger.emit({
      timestamp: [sec, 5],
      severityNumber: SeverityNumber.INFO,
      body: { msg: 'reconciled', 'k8s.object.name': 'web' },
      attributes: { rid: '0b6c3f7e-5a41-4c43-9a5e-2f3b8f1f6d2a' },
    });
    await provider.forceFlush();
    await loki.waitForLines(2, 15_000);
    await provider.shutdown();

    const streams = loki.streams({ service_name: 'checkout' });
    expect(streams).toHaveLength(1);
    expect(streams[0].labels).toEqual({
      k8s_container_name: 'app',
      k8s_deployment_name: 'checkout',
      k8s_namespace_name: 'prod',
      k8s_pod_name: 'checkout-7d9f-x2x',
      service_name: 'checkout',
      service_namespace: 'shop',
    });
    const entries = loki.entries({ service_name: 'checkout' });
    // Sorted by timestamp within the stream: the INFO line (…000000005) first.
    expect(entries.map((e) => [e.ts, e.line])).toEqual([
      [BigInt(sec) * 1_000_000_000n + 5n, '{"msg":"reconciled","k8s.object.name":"web"}'],
      [BigInt(sec) * 1_000_000_000n + 123456789n, 'payment failed'],
    ]);
    const resourceMeta = { k8s_node_name: 'node-1', scope_name: '@stitch/e2e', scope_version: '1.0.0' };
    const [info, error] = entries;
    expect(info.metadata).toEqual({
      rid: '0b6c3f7e-5a41-4c43-9a5e-2f3b8f1f6d2a',
      observed_timestamp: expect.stringMatching(/^\d{19}$/),
      severity_number: '9',
      level: 'info',
      ...resourceMeta,
    });
    expect(error.metadata).toEqual({
      request_id: 'req-7f3a',
      http_route: '/cart/:id',
      retry_count: '2',
      observed_timestamp: expect.stringMatching(/^\d{19}$/),
      severity_number: '17',
      severity_text: 'ERROR',
      flags: '1',
      trace_id: TRACE_ID,
      span_id: SPAN_ID,
      level: 'error',
      ...resourceMeta,
    });
    // The correlation IDs are in structured metadata and never in any stream's labels.
    for (const s of loki.streams()) {
      for (const name of Object.keys(s.labels)) expect(['trace_id', 'span_id', 'request_id', 'rid']).not.toContain(name);
    }
    expect(loki.requests.every((r) => r.contentType === 'application/x-protobuf')).toBe(true);
  });

  it('retries scripted 500 and 429 (Retry-After) until delivered, and drops and counts a 400', async () => {
    const { provider, logger } = sdkLogger(collector.otlpUrl);
    const before = loki.requests.length;
    loki.script({ status: 500 }, { status: 429, retryAfter: '1', body: 'Ingestion rate limit exceeded for user fake' });
    logger.emit({ body: 'survives a 500 and a 429', attributes: { case: 'retry' } });
    await provider.forceFlush();
    await loki.waitForLines(3, 15_000);
    const attempts = loki.requests.slice(before);
    expect(attempts.map((r) => r.status)).toEqual([500, 429, 204]);
    expect(loki.entries({ service_name: 'checkout' }).filter((e) => e.metadata.case === 'retry')).toHaveLength(1);

    loki.script({
      status: 400,
      body: 'entry for stream \'{service_name="checkout"}\' has timestamp too old: 2020-01-01T00:00:00Z',
    });
    logger.emit({ body: 'refused for good', attributes: { case: 'refused' } });
    await provider.forceFlush();
    await provider.shutdown();
    const deadline = Date.now() + 10_000;
    while ((await metric(collector.metricsUrl, 'stitch_exporter_loki_rejected_lines_total')) < 1) {
      if (Date.now() > deadline) throw new Error('the 400 was not counted');
      await new Promise((r) => setTimeout(r, 50));
    }
    const text = await (await fetch(collector.metricsUrl)).text();
    expect(text).toContain('stitch_exporter_loki_rejected_lines_total{component_id="loki",reason="too_old"} 1');
    expect(loki.entries().filter((e) => e.metadata.case === 'refused')).toHaveLength(0);
    // Not retried: exactly one attempt answered 400.
    expect(loki.requests.slice(before).filter((r) => r.status === 400)).toHaveLength(1);
  });
});

describe('durability', () => {
  it('delivers every line after Loki was down and the collector was SIGKILLed and restarted', async () => {
    const loki = await startStrictLoki();
    const dir = mkdtempSync(join(tmpdir(), 'stitch-loki-queue-'));
    const durable = {
      exporter: '    sending_queue:\n      storage: file_storage',
      extensions: `extensions:\n  file_storage:\n    directory: ${dir}`,
      serviceExtensions: '  extensions: [file_storage]',
    };
    let collector = await startCollector(loki.url, durable);
    try {
      await loki.pause(); // Loki is down: connections are dropped before any answer.
      // Batched in the SDK (4 requests of 10): SimpleLogRecordProcessor would hit the OTLP
      // exporter's concurrent-export limit and drop lines before they reach the collector.
      const { provider, logger } = sdkLogger(collector.otlpUrl, { batch: true });
      const lines = Array.from({ length: 40 }, (_, i) => `durable line ${i}`);
      for (const line of lines) logger.emit({ body: line });
      await provider.forceFlush();
      // Every export succeeded: the receiver answered 200, so each request is in the durable queue.
      await provider.shutdown();
      expect(await metric(collector.metricsUrl, 'stitch_receiver_accepted_items_total')).toBe(lines.length);
      expect(await collector.process.stop('SIGKILL')).toBe('SIGKILL');
      expect(loki.lineCount()).toBe(0);

      collector = await startCollector(loki.url, durable);
      await loki.resume();
      await loki.waitForLines(lines.length, 20_000);
      expect(
        loki
          .entries({ service_name: 'checkout' })
          .map((e) => e.line)
          .sort(),
      ).toEqual([...lines].sort());
    } finally {
      await collector.process.stop();
      await loki.close();
    }
  });
});
