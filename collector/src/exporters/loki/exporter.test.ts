import { describe, expect, it } from 'vitest';
import type { Consumer } from '../../component/component.js';
import { StitchError } from '../../errors.js';
import type { LogsData } from '../../model/types.js';
import { testHost, testSettings } from '../../testing/index.js';
import { lokiConfigSchema } from './config.js';
import type { EncodedRequest } from './encode.js';
import { createLokiExporter } from './exporter.js';
import { otlpLogs } from './testdata/logs.js';
import type { LokiTransport, SendResult } from './transport.js';
import { classify } from './transport.js';

/** A transport that records requests and answers from a script (then 204). */
function fakeTransport(...answers: SendResult[]) {
  const sent: EncodedRequest[] = [];
  const transport: LokiTransport & { sent: EncodedRequest[]; closed: boolean } = {
    sent,
    closed: false,
    async send(req) {
      sent.push(req);
      return answers.shift() ?? { ok: true, status: 204 };
    },
    close() {
      transport.closed = true;
    },
  };
  return transport;
}

const ns = (n: number) => (BigInt(Date.now()) * 1_000_000n + BigInt(n)).toString();

/** Two streams of `perStream` lines each, ~200 bytes a line. */
function batch(perStream = 20): LogsData {
  const records = (tag: string) =>
    Array.from({ length: perStream }, (_, i) => ({
      timeUnixNano: ns(i),
      body: { stringValue: `${tag} ${i} ${'z'.repeat(180)}` },
    }));
  return otlpLogs([
    { resource: { 'service.name': 'one' }, records: records('one') },
    { resource: { 'service.name': 'two' }, records: records('two') },
  ]);
}

async function setup(overrides: Record<string, unknown>, transport: LokiTransport, logIntervalMs?: number) {
  const settings = testSettings('loki/test', 'exporter');
  // No queue and no retries: each consume() is one attempt whose outcome the test sees.
  const config = lokiConfigSchema.parse({
    endpoint: 'http://127.0.0.1:1/loki/api/v1/push',
    sending_queue: { enabled: false },
    retry_on_failure: { enabled: false },
    ...overrides,
  });
  const exporter = createLokiExporter(settings, config, { transport, ...(logIntervalMs !== undefined && { logIntervalMs }) });
  await exporter.start(testHost());
  const metrics = async (name: string) => (await settings.selfTelemetry.metrics()).split('\n').filter((l) => l.startsWith(name));
  return { exporter, consumer: exporter.consumers.logs as Consumer<LogsData>, settings, metrics };
}

describe('loki exporter', () => {
  it('sends a batch as byte-bounded requests, in order', async () => {
    const t = fakeTransport();
    const { consumer, metrics, exporter } = await setup({ max_batch_size_bytes: 4096 }, t);
    await consumer.consume(batch());
    expect(t.sent.length).toBeGreaterThan(2);
    expect(t.sent.reduce((n, r) => n + r.lines, 0)).toBe(40);
    expect(t.sent.every((r) => r.contentType === 'application/x-protobuf')).toBe(true);
    expect(await metrics('stitch_exporter_loki_requests_total')).toEqual([
      `stitch_exporter_loki_requests_total{component_id="loki/test",outcome="sent"} ${t.sent.length}`,
    ]);
    await exporter.shutdown();
    expect(t.closed).toBe(true);
  });

  it('rejects 429/5xx as retryable with Retry-After and resumes after the accepted requests on retry', async () => {
    const t = fakeTransport(
      { ok: true, status: 204 },
      classify(429, 'Ingestion rate limit exceeded', '7'),
      classify(503, 'ingester unavailable'),
    );
    const { consumer } = await setup({ max_batch_size_bytes: 4096 }, t);
    const data = batch();
    const first = await consumer.consume(data).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(StitchError);
    expect(first).toMatchObject({ code: 'STITCH_ERR_EXPORT_RETRYABLE', retryable: true, retryAfterMs: 7000 });
    expect((first as Error).message).toMatch(/429: Ingestion rate limit exceeded/);
    const second = await consumer.consume(data).catch((e: unknown) => e);
    expect(second).toMatchObject({ retryable: true });
    expect((second as StitchError).retryAfterMs).toBeUndefined();
    await consumer.consume(data);
    // Request 1 was accepted once; requests 2.. were re-sent only until accepted.
    const lines = t.sent.map((r) => r.body);
    expect(Buffer.compare(Buffer.from(lines[1]), Buffer.from(lines[2]))).toBe(0);
    expect(Buffer.compare(Buffer.from(lines[0]), Buffer.from(lines[1]))).not.toBe(0);
    const delivered = t.sent.slice(0, 1).concat(t.sent.slice(3));
    expect(delivered.reduce((n, r) => n + r.lines, 0)).toBe(40);
  });

  it('is retried by the exporterhelper with backoff and delivers every line exactly once', async () => {
    const t = fakeTransport({ ok: true, status: 204 }, classify(503, 'unavailable'), classify(500, 'oops'));
    const { consumer, metrics } = await setup(
      { max_batch_size_bytes: 4096, retry_on_failure: { initial_interval: '5ms', max_interval: '10ms', max_elapsed_time: '5s' } },
      t,
    );
    await consumer.consume(batch());
    const delivered = [t.sent[0], ...t.sent.slice(3)];
    expect(delivered.reduce((n, r) => n + r.lines, 0)).toBe(40);
    expect(await metrics('stitch_exporter_sent_items_total')).toEqual([
      'stitch_exporter_sent_items_total{component_id="loki/test",signal="logs"} 40',
    ]);
  });

  it('with the in-memory queue, queues encoded requests and resumes a retried batch after the accepted ones', async () => {
    const t = fakeTransport({ ok: true, status: 204 }, classify(503, 'unavailable'), classify(429, 'slow down'));
    const { consumer, metrics, exporter } = await setup(
      {
        max_batch_size_bytes: 4096,
        max_line_size_bytes: 100,
        sending_queue: { enabled: true, num_consumers: 1 },
        retry_on_failure: { initial_interval: '5ms', max_interval: '10ms', max_elapsed_time: '5s' },
      },
      t,
    );
    const data = batch();
    await consumer.consume(data);
    // What the queue holds was encoded when it was queued: emptying the batch now changes nothing.
    data.resourceLogs.length = 0;
    const delivered = () => [t.sent[0], ...t.sent.slice(3)].reduce((n, r) => n + (r?.lines ?? 0), 0);
    for (let i = 0; i < 200 && delivered() < 40; i++) await new Promise((r) => setTimeout(r, 10));
    await exporter.shutdown(AbortSignal.timeout(5000));
    expect(delivered()).toBe(40);
    expect(Buffer.compare(Buffer.from(t.sent[1].body), Buffer.from(t.sent[3].body))).toBe(0); // the retry resumed
    expect(await metrics('stitch_exporter_sent_items_total')).toEqual([
      'stitch_exporter_sent_items_total{component_id="loki/test",signal="logs"} 40',
    ]);
    // Counted once, when queued, not once per attempt.
    expect(await metrics('stitch_exporter_loki_truncated_lines_total')).toEqual([
      'stitch_exporter_loki_truncated_lines_total{component_id="loki/test"} 40',
    ]);
  });

  it('drops a request Loki refuses with 400, counts it by reason, delivers the rest and logs once per interval', async () => {
    const refusal = classify(400, 'entry for stream \'{service_name="one"}\' has timestamp too old: 1970-01-01T00:00:00Z');
    const t = fakeTransport(refusal, refusal);
    const { consumer, metrics, settings } = await setup({ max_batch_size_bytes: 4096 }, t, 60_000);
    const warnings: unknown[] = [];
    settings.logger.warn = ((obj: unknown) => {
      warnings.push(obj);
    }) as never;
    await consumer.consume(batch());
    const dropped = t.sent[0].lines + t.sent[1].lines;
    expect(await metrics('stitch_exporter_loki_rejected_lines_total')).toEqual([
      `stitch_exporter_loki_rejected_lines_total{component_id="loki/test",reason="too_old"} ${dropped}`,
    ]);
    expect(await metrics('stitch_component_dropped_items_total')).toEqual([
      `stitch_component_dropped_items_total{component_id="loki/test",signal="logs",reason="permanent_error"} ${dropped}`,
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ reason: 'too_old', status: 400, loki_message: expect.stringMatching(/too old/) });
  });

  it('rejects permanently when Loki refuses every request of a batch', async () => {
    const t = fakeTransport(classify(400, 'error at least one label pair is required per stream'));
    const { consumer, metrics } = await setup({}, t);
    const err = await consumer.consume(batch(2)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STITCH_ERR_EXPORT_PERMANENT', retryable: false });
    expect(await metrics('stitch_exporter_loki_rejected_lines_total')).toEqual([
      'stitch_exporter_loki_rejected_lines_total{component_id="loki/test",reason="invalid_labels"} 4',
    ]);
    // A later batch starts fresh.
    await consumer.consume(batch(2));
    expect(t.sent).toHaveLength(2);
  });

  it('counts labels moved to metadata and truncated lines per batch', async () => {
    const t = fakeTransport();
    const { consumer, metrics } = await setup({ max_label_names: 2, max_line_size_bytes: 100 }, t);
    await consumer.consume(
      otlpLogs([
        {
          resource: {
            'service.name': 's',
            'k8s.namespace.name': 'n',
            'k8s.pod.name': 'p',
            'loki.resource.labels': 'request_id',
            request_id: 'r',
          },
          records: [{ timeUnixNano: ns(1), body: { stringValue: 'x'.repeat(500) } }, { timeUnixNano: ns(2) }],
        },
      ]),
    );
    expect(await metrics('stitch_exporter_loki_labels_moved_total')).toEqual([
      'stitch_exporter_loki_labels_moved_total{component_id="loki/test",reason="label_limit"} 2',
      'stitch_exporter_loki_labels_moved_total{component_id="loki/test",reason="correlation_id"} 2',
    ]);
    expect(await metrics('stitch_exporter_loki_truncated_lines_total')).toEqual([
      'stitch_exporter_loki_truncated_lines_total{component_id="loki/test"} 1',
    ]);
  });

  it('sends the same batch object twice when it is consumed twice at once', async () => {
    const t = fakeTransport();
    const slow: LokiTransport = {
      send: async (req, abort) => {
        await new Promise((r) => setTimeout(r, 5));
        return t.send(req, abort);
      },
      close: () => {},
    };
    const { consumer } = await setup({ max_batch_size_bytes: 4096 }, slow);
    const data = batch();
    await Promise.all([consumer.consume(data), consumer.consume(data)]);
    expect(t.sent.reduce((n, r) => n + r.lines, 0)).toBe(80);
  });

  it('sends JSON with gzip and the tenant when configured', async () => {
    const t = fakeTransport();
    const { consumer } = await setup({ encoding: 'json', compression: 'gzip', tenant_id: 'acme' }, t);
    await consumer.consume(batch(1));
    expect(t.sent[0]).toMatchObject({ contentType: 'application/json', contentEncoding: 'gzip', tenant: 'acme' });
  });
});
