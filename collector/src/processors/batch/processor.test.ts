import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumeContext, Consumer } from '../../component/component.js';
import { sampleLogs, sampleMetricPoints, sampleTraces } from '../../component/conformance/sample-data.js';
import { errors } from '../../errors.js';
import { countItems } from '../../model/count.js';
import { encodeRequest } from '../../model/otlp-codec.js';
import { decodeMetricsProtobuf, otlpMetricsSource } from '../../model/otlp-metrics/source.js';
import type { LogsData, MetricsData, TracesData } from '../../model/types.js';
import { CollectingConsumer, testHost, testSettings } from '../../testing/index.js';
import { type BatchConfig, batchConfigSchema } from './config.js';
import { type BatchProcessor, createBatchProcessor } from './processor.js';

const spanNames = (d: TracesData) => d.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));
const logBodies = (d: LogsData) =>
  d.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((x) => x.body?.stringValue)));

const running: BatchProcessor<never>[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.shutdown(AbortSignal.timeout(1000))));
});

function make<S extends 'traces' | 'logs' | 'metrics'>(raw: Record<string, unknown>, signal: S, next: Consumer<never>) {
  const settings = testSettings('batch', 'processor');
  const config: BatchConfig = batchConfigSchema.parse(raw);
  const p = createBatchProcessor(settings, config, signal, next as never);
  running.push(p as never);
  return { p, settings };
}

/** A consumer whose consume waits until released (a slow backend). */
class GatedConsumer<S extends 'traces' | 'logs'> extends CollectingConsumer<S> {
  private gates: (() => void)[] = [];
  override async consume(batch: never, context?: ConsumeContext): Promise<void> {
    await new Promise<void>((r) => this.gates.push(r));
    return super.consume(batch, context);
  }
  release(): void {
    for (const g of this.gates.splice(0)) g();
  }
  get waiting(): number {
    return this.gates.length;
  }
}

describe('batch processor', () => {
  it('merges small batches into one once send_batch_size is reached, and resolves every consume', async () => {
    const next = new CollectingConsumer('traces');
    const { p, settings } = make({ send_batch_size: 10, timeout: '1h' }, 'traces', next as never);
    await p.start(testHost());
    const inputs = [0, 1, 2, 3].map((i) => sampleTraces({ tag: `b${i}`, items: 3 }));
    const done = inputs.map((d) => p.consume(d));
    await Promise.all(done);
    expect(next.batches).toHaveLength(1);
    const out = next.batches[0] as TracesData;
    expect(countItems('traces', out)).toBe(12);
    expect(out.resourceSpans).toHaveLength(4); // resource entries kept, not flattened
    expect(spanNames(out)).toEqual(inputs.flatMap(spanNames));
    const text = await settings.selfTelemetry.metrics();
    expect(text).toMatch(/stitch_processor_batch_batch_size_trigger_send_total\{component_id="batch",signal="traces"\} 1/);
    expect(text).toMatch(/stitch_processor_batch_batch_send_size_sum\{component_id="batch",signal="traces"\} 12/);
  });

  it('splits a big batch at send_batch_max_size and sends the remainder on timeout, preserving every item', async () => {
    const next = new CollectingConsumer('logs');
    const { p, settings } = make({ send_batch_size: 5, send_batch_max_size: 5, timeout: '50ms' }, 'logs', next as never);
    await p.start(testHost());
    const input = sampleLogs({ resources: 3, scopes: 2, items: 2 }); // 12 records
    const started = Date.now();
    await p.consume(input);
    expect(next.batches.map((b) => countItems('logs', b))).toEqual([5, 5, 2]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45); // the last 2 waited for the timeout
    expect(next.batches.flatMap((b) => logBodies(b as LogsData))).toEqual(logBodies(input));
    const text = await settings.selfTelemetry.metrics();
    expect(text).toMatch(/stitch_processor_batch_batch_size_trigger_send_total\{[^}]*\} 2/);
    expect(text).toMatch(/stitch_processor_batch_timeout_trigger_send_total\{[^}]*\} 1/);
  });

  it('splits metrics by data point across batches', async () => {
    const next = new CollectingConsumer('metrics');
    const { p } = make({ send_batch_size: 4, send_batch_max_size: 4, timeout: '1h' }, 'metrics', next as never);
    await p.start(testHost());
    const consumed = p.consume(sampleMetricPoints(10));
    await next.waitForItems(8);
    expect(next.batches.map((b) => countItems('metrics', b))).toEqual([4, 4]);
    await p.shutdown();
    await consumed;
    expect(next.batches.map((b) => countItems('metrics', b))).toEqual([4, 4, 2]);
  });

  it('sends a small batch when the timeout elapses', async () => {
    const next = new CollectingConsumer('traces');
    const { p } = make({ send_batch_size: 1000, timeout: '40ms' }, 'traces', next as never);
    await p.start(testHost());
    const t0 = Date.now();
    await p.consume(sampleTraces({ items: 3 }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(35);
    expect(next.itemCount).toBe(3);
  });

  it('sends at once when timeout is 0, still honouring send_batch_max_size', async () => {
    const next = new CollectingConsumer('traces');
    const { p } = make({ timeout: '0s', send_batch_max_size: 10000 }, 'traces', next as never);
    await p.start(testHost());
    await p.consume(sampleTraces({ items: 2 }));
    expect(next.batches).toHaveLength(1);
  });

  it('flushes what it holds on shutdown, before shutdown resolves', async () => {
    const next = new CollectingConsumer('traces');
    const { p } = make({ send_batch_size: 1000, timeout: '1h' }, 'traces', next as never);
    await p.start(testHost());
    const consumed = p.consume(sampleTraces({ items: 7 }));
    expect(next.itemCount).toBe(0);
    await p.shutdown(AbortSignal.timeout(5000));
    expect(next.itemCount).toBe(7);
    await expect(consumed).resolves.toBeUndefined();
  });

  it('refuses data after shutdown with STITCH_ERR_SHUTDOWN; shutdown is idempotent and safe without start', async () => {
    const next = new CollectingConsumer('traces');
    const { p } = make({}, 'traces', next as never);
    await p.shutdown();
    await p.shutdown();
    await expect(p.consume(sampleTraces())).rejects.toMatchObject({ code: 'STITCH_ERR_SHUTDOWN' });
  });

  it('passes a downstream refusal to every sender whose items were in the batch', async () => {
    const next = new CollectingConsumer('traces');
    next.refuseWith = errors.STITCH_ERR_EXPORT_RETRYABLE(['otlp', 'backend said 503']);
    const { p } = make({ send_batch_size: 6, timeout: '1h' }, 'traces', next as never);
    await p.start(testHost());
    const a = p.consume(sampleTraces({ items: 3 }));
    const b = p.consume(sampleTraces({ items: 3 }));
    await expect(a).rejects.toMatchObject({ code: 'STITCH_ERR_EXPORT_RETRYABLE', retryable: true });
    await expect(b).rejects.toMatchObject({ code: 'STITCH_ERR_EXPORT_RETRYABLE', retryable: true });
    // Once the backend recovers, a retry goes through.
    next.refuseWith = undefined;
    await Promise.all([p.consume(sampleTraces({ items: 3 })), p.consume(sampleTraces({ items: 3 }))]);
    expect(next.itemCount).toBe(6);
  });

  it('holds a bounded number of items and refuses more, retryably, while the next consumer is slow', async () => {
    const next = new GatedConsumer('traces');
    // Bound: 4 × send_batch_max_size = 40 items.
    const { p } = make({ send_batch_size: 10, send_batch_max_size: 10, timeout: '1h' }, 'traces', next as never);
    await p.start(testHost());
    const first = p.consume(sampleTraces({ items: 10 })); // sent at once, stuck downstream
    const queued = [0, 1, 2, 3].map(() => p.consume(sampleTraces({ items: 10 })));
    // 40 items wait now (the in-flight 10 left the buffer); one more is too many.
    await expect(p.consume(sampleTraces({ items: 1 }))).rejects.toMatchObject({ code: 'STITCH_ERR_QUEUE_FULL', retryable: true });
    // One batch at a time goes downstream.
    expect(next.waiting).toBe(1);
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 5));
      next.release();
    }
    await Promise.all([first, ...queued]);
    expect(next.itemCount).toBe(50);
  });

  it('gives up at the shutdown deadline, refusing what waits with a retryable error', async () => {
    const next = new GatedConsumer('traces');
    const { p, settings } = make({ send_batch_size: 5, send_batch_max_size: 5, timeout: '1h' }, 'traces', next as never);
    await p.start(testHost());
    const stuck = p.consume(sampleTraces({ items: 5 }));
    const waiting = p.consume(sampleTraces({ items: 3 }));
    const t0 = Date.now();
    await p.shutdown(AbortSignal.timeout(100));
    expect(Date.now() - t0).toBeLessThan(2000);
    await expect(waiting).rejects.toMatchObject({ code: 'STITCH_ERR_SHUTDOWN', retryable: true });
    expect(await settings.selfTelemetry.metrics()).toMatch(
      /stitch_component_dropped_items_total\{component_id="batch",signal="traces",reason="shutdown"\} 3/,
    );
    next.release(); // the in-flight batch still completes for its sender
    await expect(stuck).resolves.toBeUndefined();
  });

  it('batches separately per metadata_keys value and passes those keys downstream', async () => {
    const next = new CollectingConsumer('logs');
    const { p, settings } = make(
      { send_batch_size: 4, timeout: '1h', metadata_keys: ['X-Tenant'], metadata_cardinality_limit: 2 },
      'logs',
      next as never,
    );
    await p.start(testHost());
    const ctx = (tenant: string): ConsumeContext => ({ metadata: { 'x-tenant': tenant, other: 'dropped' } });
    const sends = [
      p.consume(sampleLogs({ tag: 'a1', items: 2 }), ctx('a')),
      p.consume(sampleLogs({ tag: 'b1', items: 2 }), ctx('b')),
      p.consume(sampleLogs({ tag: 'a2', items: 2 }), ctx('a')),
      p.consume(sampleLogs({ tag: 'b2', items: 2 }), ctx('b')),
    ];
    await Promise.all(sends);
    expect(next.batches).toHaveLength(2);
    const byTenant = new Map(next.batches.map((b, i) => [next.contexts[i]?.metadata?.['x-tenant'], logBodies(b as LogsData)]));
    expect(byTenant.get('a')).toEqual(['a1-r0-s0-0', 'a1-r0-s0-1', 'a2-r0-s0-0', 'a2-r0-s0-1']);
    expect(byTenant.get('b')).toEqual(['b1-r0-s0-0', 'b1-r0-s0-1', 'b2-r0-s0-0', 'b2-r0-s0-1']);
    expect(next.contexts[0]?.metadata).not.toHaveProperty('other');
    // A third tenant exceeds metadata_cardinality_limit: permanent refusal, counted.
    const err = await p.consume(sampleLogs({ items: 1 }), ctx('c')).catch((e) => e);
    expect(err).toMatchObject({ code: 'STITCH_ERR_BATCH_METADATA_CARDINALITY', retryable: false });
    expect(await settings.selfTelemetry.metrics()).toMatch(/stitch_processor_batch_metadata_cardinality\{[^}]*\} 2/);
  });

  it('merges and splits lazy OTLP metrics batches without materialising them', async () => {
    /** A lazy batch (as the otlp receiver hands it) of `resources` resources with `points` points each. */
    const lazy = (tag: string, resources: number, points: number) => {
      const data = sampleMetricPoints(points, tag);
      const rm = data.resourceMetrics[0];
      data.resourceMetrics = Array.from({ length: resources }, (_, i) => ({
        ...rm,
        resource: { attributes: [{ key: 'service.name', value: { stringValue: `${tag}-${i}` } }] },
      })) as typeof data.resourceMetrics;
      return decodeMetricsProtobuf(Buffer.from(encodeRequest('metrics', data, 'protobuf')));
    };
    const seen: { lazy: boolean; points: number; services: string[] }[] = [];
    const next = {
      async consume(batch: MetricsData) {
        const lazyBatch = otlpMetricsSource(batch) !== undefined;
        const points = countItems('metrics', batch);
        const services = batch.resourceMetrics.map((r) => String(r.resource?.attributes[0]?.value?.stringValue));
        seen.push({ lazy: lazyBatch, points, services });
      },
    };
    const { p } = make({ send_batch_size: 12, send_batch_max_size: 16, timeout: '20ms' }, 'metrics', next as never);
    await p.start(testHost());
    const inputs = [lazy('a', 2, 3), lazy('b', 1, 3), lazy('c', 3, 3), lazy('d', 4, 3)]; // 6 + 3 + 9 + 12 points
    await Promise.all(inputs.map((d) => p.consume(d)));
    for (const d of inputs) expect(otlpMetricsSource(d)).toBeDefined(); // inputs untouched
    // a + b (9) + the first two resources of c (15): c's third would pass 16, so c is cut at a
    // resource boundary; then the rest of c + d (15). Every batch reaches `next` lazy.
    expect(seen.map((s) => [s.lazy, s.points])).toEqual([
      [true, 15],
      [true, 15],
    ]);
    expect(seen.flatMap((s) => s.services)).toEqual(['a-0', 'a-1', 'b-0', 'c-0', 'c-1', 'c-2', 'd-0', 'd-1', 'd-2', 'd-3']);
  });
});
