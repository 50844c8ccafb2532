import { afterEach, describe, expect, it } from 'vitest';
import { errors, StitchError } from '../errors.js';
import { encodeRequest } from '../model/otlp-codec.js';
import type { LogsData } from '../model/types.js';
import { testHost, testSettings } from '../testing/index.js';
import { retryOnFailureSchema, sendingQueueSchema } from './config.js';
import { createExporterHelper, type ExporterHelper } from './exporter-helper.js';
import { FakeBackend, metricValue, until } from './testdata/fake-backend.js';
import { idsOf, logsBatch } from './testdata/fixtures.js';

const helpers: ExporterHelper<'logs'>[] = [];
afterEach(async () => {
  for (const h of helpers.splice(0)) await h.shutdown(AbortSignal.timeout(100));
});

function setup(
  queue: Record<string, unknown> = {},
  retry: Record<string, unknown> = {},
  timeout = 2000,
  backend = new FakeBackend(),
) {
  const settings = testSettings('otlp/test', 'exporter');
  const helper = createExporterHelper({
    settings,
    signal: 'logs',
    config: {
      timeout,
      retry_on_failure: retryOnFailureSchema.parse({
        initial_interval: '5ms',
        max_interval: '20ms',
        randomization_factor: 0,
        ...retry,
      }),
      sending_queue: sendingQueueSchema.parse(queue),
    },
    push: backend.push,
  });
  helpers.push(helper);
  return { helper, backend, telemetry: settings.selfTelemetry };
}

let nextId = 0;
const batch = (n = 1) => logsBatch(Array.from({ length: n }, () => nextId++));

describe('sending queue (in memory)', () => {
  it('delivers everything consumed, through num_consumers workers', async () => {
    const { helper, backend, telemetry } = setup({ num_consumers: 3 });
    backend.delayMs = 20;
    await helper.start(testHost());
    for (let i = 0; i < 12; i++) await helper.consume(batch());
    await until(() => backend.delivered.length === 12, 5000, 'delivery');
    expect(backend.maxInFlight).toBe(3);
    expect(await metricValue(telemetry, 'stitch_exporter_sent_items_total', { signal: 'logs' })).toBe(12);
  });

  it('refuses with a retryable STITCH_ERR_QUEUE_FULL when full (sizer requests; in-flight requests count)', async () => {
    const { helper, backend, telemetry } = setup({ num_consumers: 1, queue_size: 2 });
    backend.mode = 'hang';
    await helper.start(testHost());
    await helper.consume(batch());
    await helper.consume(batch());
    const err = await helper.consume(batch()).catch((e: unknown) => e);
    expect(errors.STITCH_ERR_QUEUE_FULL.is(err)).toBe(true);
    expect((err as StitchError).retryable).toBe(true);
    expect(await metricValue(telemetry, 'stitch_exporter_send_failed_items_total', { reason: 'queue_full' })).toBe(1);
    expect(await metricValue(telemetry, 'stitch_exporter_queue_size', { unit: 'requests' })).toBe(2);
    expect(await metricValue(telemetry, 'stitch_exporter_queue_capacity', { unit: 'requests' })).toBe(2);
  });

  it('measures capacity in items with sizer items', async () => {
    const { helper, backend, telemetry } = setup({ num_consumers: 1, queue_size: 5, sizer: 'items' });
    backend.mode = 'hang';
    await helper.start(testHost());
    await helper.consume(batch(2));
    await helper.consume(batch(3));
    await expect(helper.consume(batch(1))).rejects.toMatchObject({ code: 'STITCH_ERR_QUEUE_FULL', retryable: true });
    expect(await metricValue(telemetry, 'stitch_exporter_queue_size', { unit: 'items' })).toBe(5);
    expect(await metricValue(telemetry, 'stitch_exporter_queue_capacity', { unit: 'items' })).toBe(5);
  });

  it('measures capacity in encoded bytes with sizer bytes', async () => {
    const one = encodeRequest('logs', logsBatch([1_000_000]), 'protobuf').byteLength;
    const { helper, backend, telemetry } = setup({ num_consumers: 1, queue_size: Math.floor(one * 2.5), sizer: 'bytes' });
    backend.mode = 'hang';
    await helper.start(testHost());
    await helper.consume(logsBatch([1_000_001]));
    await helper.consume(logsBatch([1_000_002]));
    await expect(helper.consume(logsBatch([1_000_003]))).rejects.toMatchObject({ code: 'STITCH_ERR_QUEUE_FULL' });
    expect(await metricValue(telemetry, 'stitch_exporter_queue_size', { unit: 'bytes' })).toBe(one * 2);
  });

  it('refuses a request larger than the whole queue permanently (it can never fit)', async () => {
    const { helper } = setup({ queue_size: 3, sizer: 'items', block_on_overflow: true });
    await helper.start(testHost());
    await expect(helper.consume(batch(4))).rejects.toMatchObject({ code: 'STITCH_ERR_QUEUE_FULL', retryable: false });
  });

  it('waits for room with block_on_overflow instead of refusing', async () => {
    const { helper, backend } = setup({ num_consumers: 1, queue_size: 1, block_on_overflow: true });
    backend.delayMs = 100;
    await helper.start(testHost());
    await helper.consume(batch());
    const t0 = Date.now();
    await helper.consume(batch()); // waits until the first one was delivered
    expect(Date.now() - t0).toBeGreaterThanOrEqual(80);
    await until(() => backend.delivered.length === 2, 5000, 'delivery');
  });

  it('drops permanent errors at once and counts them', async () => {
    const { helper, backend, telemetry } = setup();
    backend.mode = 'permanent';
    await helper.start(testHost());
    await helper.consume(batch(3));
    await until(() => backend.attempts === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(backend.attempts).toBe(1);
    expect(await metricValue(telemetry, 'stitch_component_dropped_items_total', { reason: 'permanent_error' })).toBe(3);
  });

  it('drops after max_elapsed_time and counts retries_exhausted', async () => {
    const { helper, backend, telemetry } = setup({}, { max_elapsed_time: '60ms' });
    backend.mode = 'fail';
    await helper.start(testHost());
    await helper.consume(batch(2));
    let dropped: number | undefined;
    for (let i = 0; i < 200 && dropped === undefined; i++) {
      await new Promise((r) => setTimeout(r, 10));
      dropped = await metricValue(telemetry, 'stitch_component_dropped_items_total', { reason: 'retries_exhausted' });
    }
    expect(dropped).toBe(2);
    expect(backend.attempts).toBeGreaterThan(2);
  });

  it('times out a push that ignores its AbortSignal and retries it', async () => {
    const { helper, backend, telemetry } = setup({}, { max_elapsed_time: '80ms' }, 30);
    backend.mode = 'ignore-abort';
    await helper.start(testHost());
    await helper.consume(batch());
    await until(() => backend.attempts >= 2, 2000, 'a second attempt after the timeout');
    expect(
      await metricValue(telemetry, 'stitch_exporter_send_failed_items_total', { reason: 'downstream_error' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('drains the queue on shutdown within the deadline', async () => {
    const { helper, backend } = setup({ num_consumers: 1 });
    backend.delayMs = 20;
    await helper.start(testHost());
    for (let i = 0; i < 5; i++) await helper.consume(batch());
    await helper.shutdown(AbortSignal.timeout(5000));
    expect(backend.delivered).toHaveLength(5);
    await expect(helper.consume(batch())).rejects.toMatchObject({ code: 'STITCH_ERR_SHUTDOWN' });
  });

  it('stops retrying at shutdown, then counts what could not drain as lost', async () => {
    const { helper, backend, telemetry } = setup({ num_consumers: 1 }, { initial_interval: '10s', max_interval: '10s' });
    backend.mode = 'fail';
    await helper.start(testHost());
    for (let i = 0; i < 3; i++) await helper.consume(batch(2));
    await until(() => backend.attempts === 1);
    backend.mode = 'hang';
    const t0 = Date.now();
    await helper.shutdown(AbortSignal.timeout(300));
    // The 10 s backoff did not hold shutdown; the hanging drain was cut at the deadline.
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await metricValue(telemetry, 'stitch_component_dropped_items_total', { reason: 'shutdown' })).toBe(6);
  });

  it('is idempotent and safe without start', async () => {
    const { helper } = setup();
    await helper.shutdown();
    await helper.shutdown();
    await expect(helper.consume(batch())).rejects.toMatchObject({ code: 'STITCH_ERR_SHUTDOWN' });
  });

  it('with wait_for_result, consume resolves after delivery and rejects on a permanent error', async () => {
    const { helper, backend } = setup({ wait_for_result: true });
    backend.delayMs = 30;
    await helper.start(testHost());
    await helper.consume(logsBatch([42]));
    expect(backend.delivered).toContain(42);
    backend.mode = 'permanent';
    await expect(helper.consume(batch())).rejects.toMatchObject({ code: 'STITCH_ERR_EXPORT_PERMANENT' });
  });

  it('reports the oldest item age', async () => {
    const { helper, backend, telemetry } = setup({ num_consumers: 1 });
    backend.mode = 'hang';
    await helper.start(testHost());
    await helper.consume(batch());
    await new Promise((r) => setTimeout(r, 120));
    const age = await metricValue(telemetry, 'stitch_exporter_queue_oldest_item_age_seconds', { signal: 'logs' });
    expect(age).toBeGreaterThanOrEqual(0.1);
  });
});

/** One queue consumer and fast retries: what the coalescing and prepare tests share. */
function oneConsumer(queue: Record<string, unknown>) {
  return {
    timeout: 2000,
    retry_on_failure: retryOnFailureSchema.parse({ initial_interval: '5ms', max_interval: '20ms', randomization_factor: 0 }),
    sending_queue: sendingQueueSchema.parse({ num_consumers: 1, ...queue }),
  };
}

describe('coalescing queued batches', () => {
  function coalescing(merge: (batches: LogsData[]) => LogsData | undefined, queue: Record<string, unknown> = {}) {
    const backend = new FakeBackend();
    const pushes: number[] = [];
    const settings = testSettings('otlp/test', 'exporter');
    const helper = createExporterHelper({
      settings,
      signal: 'logs',
      config: oneConsumer(queue),
      push: (b, abort) => {
        pushes.push(b.resourceLogs.length);
        return backend.push(b, abort);
      },
      coalesce: { merge, maxBatches: 4, maxItems: 1000 },
    });
    helpers.push(helper);
    return { helper, backend, pushes, telemetry: settings.selfTelemetry };
  }
  const concat = (bs: LogsData[]): LogsData => ({ resourceLogs: bs.flatMap((b) => b.resourceLogs) });

  it('pushes the batches waiting behind the one taken as one merged batch, in order, counting every item', async () => {
    const { helper, backend, pushes, telemetry } = coalescing(concat);
    backend.delayMs = 40;
    await helper.start(testHost());
    for (let i = 0; i < 10; i++) await helper.consume(logsBatch([1000 + i]));
    await until(() => backend.delivered.length === 10, 5000, 'delivery');
    expect(backend.delivered).toEqual(Array.from({ length: 10 }, (_, i) => 1000 + i));
    // The first goes alone (nothing waits behind it yet), then at most four at a time.
    expect(pushes[0]).toBe(1);
    expect(pushes.length).toBeLessThanOrEqual(5);
    expect(Math.max(...pushes)).toBe(4);
    expect(await metricValue(telemetry, 'stitch_exporter_sent_items_total', { signal: 'logs' })).toBe(10);
    const queued = () => metricValue(telemetry, 'stitch_exporter_queue_size', { signal: 'logs', unit: 'requests' });
    for (let t = 0; t < 200 && (await queued()) !== 0; t++) await new Promise((r) => setTimeout(r, 10));
    expect(await queued()).toBe(0); // every merged entry was settled
  });

  it('settles every waiting caller with the merged outcome (wait_for_result)', async () => {
    const { helper, backend, pushes } = coalescing(concat, { wait_for_result: true });
    backend.delayMs = 40;
    await helper.start(testHost());
    const ok = [helper.consume(logsBatch([1])), helper.consume(logsBatch([2])), helper.consume(logsBatch([3]))];
    await Promise.all(ok);
    expect(pushes.length).toBeLessThan(3);
    backend.mode = 'permanent';
    const failing = [helper.consume(logsBatch([4])), helper.consume(logsBatch([5])), helper.consume(logsBatch([6]))];
    for (const f of failing) await expect(f).rejects.toMatchObject({ code: 'STITCH_ERR_EXPORT_PERMANENT' });
  });

  it('pushes one by one when the batches cannot be merged', async () => {
    const { helper, backend, pushes } = coalescing(() => undefined);
    backend.delayMs = 20;
    await helper.start(testHost());
    for (let i = 0; i < 6; i++) await helper.consume(logsBatch([i]));
    await until(() => backend.delivered.length === 6, 5000, 'delivery');
    expect(pushes).toEqual([1, 1, 1, 1, 1, 1]);
    expect(backend.delivered).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('preparing batches before they queue', () => {
  /** The exporter's own request form in these tests: the batch's ids, frozen when queued. */
  interface Prepared {
    readonly ids: number[];
  }

  function preparing(queue: Record<string, unknown> = {}, prepare?: (b: LogsData) => Promise<Prepared>) {
    const backend = new FakeBackend();
    const pushed: (LogsData | Prepared)[] = [];
    const prepared: LogsData[] = [];
    const settings = testSettings('otlp/test', 'exporter');
    const helper = createExporterHelper<'logs', Prepared>({
      settings,
      signal: 'logs',
      config: oneConsumer(queue),
      prepare:
        prepare ??
        (async (b) => {
          prepared.push(b);
          return { ids: idsOf(b) };
        }),
      push: (b, abort) => {
        pushed.push(b);
        return backend.push('ids' in b ? logsBatch(b.ids) : b, abort);
      },
    });
    helpers.push(helper);
    return { helper, backend, pushed, prepared, telemetry: settings.selfTelemetry };
  }

  it('queues what prepare made of the batch and pushes that, retries included', async () => {
    const { helper, backend, pushed, prepared } = preparing();
    backend.mode = 'fail';
    await helper.start(testHost());
    const b = logsBatch([41]);
    await helper.consume(b);
    expect(prepared).toEqual([b]); // prepared once, as the queue took it
    await until(() => backend.attempts >= 2, 5000, 'a retry');
    backend.mode = 'ok';
    await until(() => backend.delivered.length === 1, 5000, 'delivery');
    expect(backend.delivered).toEqual([41]);
    expect(pushed.every((p) => 'ids' in p)).toBe(true);
    expect(new Set(pushed).size).toBe(1); // every attempt got the same prepared object
  });

  it('refuses a full queue before preparing anything', async () => {
    const { helper, backend, prepared } = preparing({ queue_size: 1 });
    backend.mode = 'hang';
    await helper.start(testHost());
    await helper.consume(logsBatch([1]));
    await expect(helper.consume(logsBatch([2]))).rejects.toMatchObject({ code: 'STITCH_ERR_QUEUE_FULL', retryable: true });
    expect(prepared).toHaveLength(1);
  });

  it('a failing prepare refuses the consume with its error and gives the room back', async () => {
    let fail = true;
    const { helper, backend, telemetry } = preparing({ queue_size: 1 }, async (b) => {
      if (fail) throw errors.STITCH_ERR_EXPORT_PERMANENT(['otlp/test', 'cannot encode']);
      return { ids: idsOf(b) };
    });
    await helper.start(testHost());
    await expect(helper.consume(logsBatch([1]))).rejects.toMatchObject({ code: 'STITCH_ERR_EXPORT_PERMANENT' });
    expect(await metricValue(telemetry, 'stitch_exporter_queue_size', { unit: 'requests' })).toBe(0);
    fail = false;
    await helper.consume(logsBatch([2]));
    await until(() => backend.delivered.length === 1, 5000, 'delivery');
    expect(backend.delivered).toEqual([2]);
  });

  it('shutdown drains a batch that was still being prepared', async () => {
    let release: (() => void) | undefined;
    const { helper, backend } = preparing({}, async (b) => {
      await new Promise<void>((r) => {
        release = r;
      });
      return { ids: idsOf(b) };
    });
    await helper.start(testHost());
    const consumed = helper.consume(logsBatch([9]));
    await until(() => release !== undefined, 2000, 'prepare to start');
    const stopped = helper.shutdown(AbortSignal.timeout(2000));
    await new Promise((r) => setTimeout(r, 20)); // the drain is under way and must wait
    release?.();
    await consumed;
    await stopped;
    expect(backend.delivered).toEqual([9]);
  });

  it('pushes the batch itself without a queue', async () => {
    const { helper, backend, pushed, prepared } = preparing({ enabled: false });
    await helper.start(testHost());
    const b = logsBatch([5]);
    await helper.consume(b);
    expect(prepared).toHaveLength(0);
    expect(pushed).toEqual([b]);
    expect(backend.delivered).toEqual([5]);
  });
});

describe('sending_queue.enabled: false', () => {
  it('sends synchronously: the caller waits and sees the error', async () => {
    const { helper, backend } = setup({ enabled: false }, { max_elapsed_time: '50ms' });
    backend.delayMs = 30;
    await helper.start(testHost());
    const t0 = Date.now();
    await helper.consume(logsBatch([7]));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    expect(backend.delivered).toEqual([7]);
    backend.mode = 'permanent';
    await expect(helper.consume(batch())).rejects.toMatchObject({ code: 'STITCH_ERR_EXPORT_PERMANENT' });
    backend.mode = 'fail';
    const err = await helper.consume(batch()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StitchError);
    expect((err as StitchError).retryable).toBe(true);
  });
});
