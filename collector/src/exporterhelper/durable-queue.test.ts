import { fork } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { fileStorageConfigSchema } from '../extensions/file-storage/config.js';
import { createFileStorage, type StorageExtension } from '../extensions/file-storage/extension.js';
import type { LogsData } from '../model/types.js';
import type { SelfTelemetry } from '../telemetry/self-metrics.js';
import { testHost, testSettings } from '../testing/index.js';
import { retryOnFailureSchema, sendingQueueSchema } from './config.js';
import { createExporterHelper, type ExporterHelper, type ExporterHelperInternals } from './exporter-helper.js';
import type { LogIo } from './internal/segment-log.js';
import { FakeBackend, metricValue, until } from './testdata/fake-backend.js';
import { idsOf, logsBatch } from './testdata/fixtures.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'stitch-durable-'));
  cleanup.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

interface Instance {
  helper: ExporterHelper<'logs'>;
  backend: FakeBackend;
  telemetry: SelfTelemetry;
  storage: StorageExtension;
}

/** A durable-queue exporter on `dir`, started, with its own backend and self-telemetry. */
async function instance(
  dir: string,
  queue: Record<string, unknown> = {},
  internals: ExporterHelperInternals = {},
  retry: Record<string, unknown> = {},
  id = 'otlp/durable',
  prepared?: { kinds: string[] },
): Promise<Instance> {
  const storage = createFileStorage(
    testSettings('file_storage/q', 'extension'),
    fileStorageConfigSchema.parse({ directory: dir }),
  );
  await storage.start(testHost());
  const settings = testSettings(id, 'exporter');
  const backend = new FakeBackend();
  const helper = createExporterHelper<'logs', { ids: number[] }>({
    settings,
    signal: 'logs',
    push: (b, abort) => backend.push(b as LogsData, abort), // replaced below when `prepared`
    config: {
      timeout: 1000,
      retry_on_failure: retryOnFailureSchema.parse({
        initial_interval: '5ms',
        max_interval: '20ms',
        max_elapsed_time: 0,
        ...retry,
      }),
      sending_queue: sendingQueueSchema.parse({ storage: 'file_storage/q', num_consumers: 2, ...queue }),
    },
    // With `prepared`: the exporter's own request form is the batch's ids; `kinds` records what
    // each push got.
    ...(prepared && {
      prepare: async (b: LogsData) => ({ ids: idsOf(b) }),
      push: (b: LogsData | { ids: number[] }, abort: AbortSignal) => {
        prepared.kinds.push('ids' in b ? 'prepared' : 'batch');
        return backend.push('ids' in b ? logsBatch(b.ids) : b, abort);
      },
    }),
    internals,
  });
  await helper.start(testHost({ 'file_storage/q': storage }));
  cleanup.push(async () => {
    await helper.shutdown(AbortSignal.timeout(200));
    await storage.shutdown();
  });
  return { helper, backend, telemetry: settings.selfTelemetry, storage };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('durable sending queue', () => {
  it('survives a crash: N items queued while the backend fails arrive exactly once after restart', async () => {
    const dir = await tempDir();
    const a = await instance(dir);
    a.backend.mode = 'fail';
    for (let i = 0; i < 50; i++) await a.helper.consume(logsBatch([2 * i, 2 * i + 1]));
    a.helper.simulateCrash();

    const b = await instance(dir);
    await b.backend.waitForDistinct(100);
    await new Promise((r) => setTimeout(r, 50));
    expect([...b.backend.delivered].sort((x, y) => x - y)).toEqual(range(0, 100));
    expect(await metricValue(b.telemetry, 'stitch_exporter_queue_replayed_items_total', { signal: 'logs' })).toBe(100);
    await until(() => b.backend.inFlight === 0);
    expect(await metricValue(b.telemetry, 'stitch_exporter_queue_size', { unit: 'requests' })).toBe(0);
  });

  it('holds what prepare made of a batch in memory, and pushes a batch read back from disk as the batch', async () => {
    const dir = await tempDir();
    const first = { kinds: [] as string[] };
    const a = await instance(dir, {}, {}, {}, 'otlp/durable', first);
    a.backend.mode = 'fail';
    for (let i = 0; i < 10; i++) await a.helper.consume(logsBatch([i]));
    await until(() => a.backend.attempts >= 10, 5000, 'attempts');
    expect(new Set(first.kinds)).toEqual(new Set(['prepared']));
    a.helper.simulateCrash();

    const second = { kinds: [] as string[] };
    const b = await instance(dir, {}, {}, {}, 'otlp/durable', second);
    await b.backend.waitForDistinct(10);
    await new Promise((r) => setTimeout(r, 50));
    expect([...b.backend.delivered].sort((x, y) => x - y)).toEqual(range(0, 10));
    expect(new Set(second.kinds)).toEqual(new Set(['batch'])); // replayed from disk, decoded
  });

  it('keeps data that was being retried when shut down gracefully (Collector #15677)', async () => {
    const dir = await tempDir();
    const a = await instance(dir);
    a.backend.mode = 'fail';
    for (let i = 0; i < 20; i++) await a.helper.consume(logsBatch([i]));
    await until(() => a.backend.attempts > 5);
    await a.helper.shutdown(AbortSignal.timeout(1000));
    expect(await metricValue(a.telemetry, 'stitch_component_dropped_items_total', { signal: 'logs' })).toBeUndefined();

    const b = await instance(dir);
    await b.backend.waitForDistinct(20);
    expect(new Set(b.backend.delivered).size).toBe(20);
  });

  it('never drops data when retries are exhausted: it stays queued and is retried (Collector #48635)', async () => {
    const dir = await tempDir();
    const a = await instance(dir, {}, {}, { max_elapsed_time: '30ms', max_interval: '10ms' });
    a.backend.mode = 'fail';
    await a.helper.consume(logsBatch([1, 2, 3]));
    await until(() => a.backend.attempts > 8, 5000, 'several retry rounds');
    expect(
      await metricValue(a.telemetry, 'stitch_exporter_send_failed_items_total', { reason: 'retries_exhausted' }),
    ).toBeGreaterThan(0);
    a.backend.mode = 'ok';
    await a.backend.waitForDistinct(3);
    expect(await metricValue(a.telemetry, 'stitch_component_dropped_items_total', { signal: 'logs' })).toBeUndefined();
  });

  it('skips a corrupted segment region, counts it, and replays everything else', async () => {
    const dir = await tempDir();
    const a = await instance(dir, {}, { segmentBytes: 1024 });
    a.backend.mode = 'fail';
    for (let i = 0; i < 60; i++) await a.helper.consume(logsBatch([i]));
    a.helper.simulateCrash();
    const qdir = join(dir, 'exporter_otlp_durable_logs');
    const segs = (await readdir(qdir)).filter((f) => f.startsWith('segment-')).sort();
    expect(segs.length).toBeGreaterThan(3);
    // Flip bytes in the middle of the second segment.
    const victim = join(qdir, segs[1] as string);
    const bytes = await readFile(victim);
    for (let k = 0; k < 8; k++) bytes[Math.floor(bytes.length / 2) + k] ^= 0x5a;
    await writeFile(victim, bytes);

    const b = await instance(dir, {}, { segmentBytes: 1024 });
    await until(() => b.backend.delivered.length >= 55, 5000, 'replay of the intact records');
    await new Promise((r) => setTimeout(r, 50));
    const got = new Set(b.backend.delivered);
    const corrupt = (await metricValue(b.telemetry, 'stitch_exporter_queue_corrupt_records_total', {
      signal: 'logs',
    })) as number;
    // One or two records were hit (8 bytes may straddle a boundary); every other one arrived.
    expect(corrupt).toBeGreaterThanOrEqual(1);
    expect(corrupt).toBeLessThanOrEqual(2);
    expect(got.size + corrupt).toBe(60);
    expect(await metricValue(b.telemetry, 'stitch_component_dropped_items_total', { reason: 'corrupt_record' })).toBe(corrupt);
    // Records after the damaged one, in the same and later segments, all came through.
    expect(got.has(59)).toBe(true);
  });

  it('on a full disk refuses with a retryable error, loses nothing queued, and resumes when space returns', async () => {
    const dir = await tempDir();
    let full = false;
    const io: Partial<LogIo> = {
      async writev(fh, buffers) {
        if (full) {
          await fh.write((buffers[0] as Buffer).subarray(0, 7));
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        return (await fh.writev(buffers)).bytesWritten;
      },
    };
    const a = await instance(dir, {}, { io });
    a.backend.mode = 'fail';
    for (let i = 0; i < 10; i++) await a.helper.consume(logsBatch([i]));
    full = true;
    const err = await a.helper.consume(logsBatch([100])).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STITCH_ERR_QUEUE_FULL', retryable: true });
    expect(String((err as Error).message)).toMatch(/ENOSPC/);
    full = false;
    await a.helper.consume(logsBatch([10]));
    a.helper.simulateCrash();

    const b = await instance(dir);
    await b.backend.waitForDistinct(11);
    expect([...new Set(b.backend.delivered)].sort((x, y) => x - y)).toEqual(range(0, 11));
    expect(await metricValue(b.telemetry, 'stitch_exporter_queue_corrupt_records_total', { signal: 'logs' })).toBeUndefined();
  });

  it('is bounded in bytes (storage_max_bytes) and reports sizes in every unit', async () => {
    const dir = await tempDir();
    const a = await instance(dir, { storage_max_bytes: 400, queue_size: 1000 });
    a.backend.mode = 'hang';
    let accepted = 0;
    let refused: unknown;
    for (let i = 0; i < 20 && !refused; i++) {
      try {
        await a.helper.consume(logsBatch([i, i + 1000]));
        accepted++;
      } catch (e) {
        refused = e;
      }
    }
    expect(refused).toMatchObject({ code: 'STITCH_ERR_QUEUE_FULL', retryable: true });
    const bytes = (await metricValue(a.telemetry, 'stitch_exporter_queue_size', { unit: 'bytes' })) as number;
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(400);
    expect(await metricValue(a.telemetry, 'stitch_exporter_queue_size', { unit: 'requests' })).toBe(accepted);
    expect(await metricValue(a.telemetry, 'stitch_exporter_queue_size', { unit: 'items' })).toBe(2 * accepted);
    expect(await metricValue(a.telemetry, 'stitch_exporter_queue_capacity', { unit: 'bytes' })).toBe(400);
    expect(await metricValue(a.telemetry, 'stitch_exporter_queue_capacity', { unit: 'requests' })).toBe(1000);
  });

  it('fails start with a clear error for an unknown or wrong-kind storage extension', async () => {
    const make = () =>
      createExporterHelper({
        settings: testSettings('otlp/x', 'exporter'),
        signal: 'logs',
        config: {
          timeout: 1000,
          retry_on_failure: retryOnFailureSchema.parse({}),
          sending_queue: sendingQueueSchema.parse({ storage: 'file_storage/missing' }),
        },
        push: async () => {},
      });
    await expect(make().start(testHost())).rejects.toMatchObject({
      code: 'STITCH_ERR_EXTENSION_UNDEFINED',
      path: 'exporters.otlp/x.sending_queue.storage',
    });
    const notStorage = { start: async () => {}, shutdown: async () => {} };
    await expect(make().start(testHost({ 'file_storage/missing': notStorage }))).rejects.toMatchObject({
      code: 'STITCH_ERR_CONFIG_INVALID_VALUE',
    });
  });

  it('survives SIGKILL of a real process mid-stream: every acknowledged item arrives, duplicates only from the window', async () => {
    const dir = await tempDir();
    const here = fileURLToPath(new URL('.', import.meta.url));
    const child = fork(join(here, 'testdata/crash-child.ts'), [], {
      execArgv: [
        '--import',
        join(here, 'testdata/ts-loader.mjs'),
        '--experimental-transform-types',
        '--no-warnings',
        '--conditions=stitch-source',
      ],
      env: { ...process.env, QUEUE_DIR: dir, BATCHES: '3000' },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const acked = new Set<number>();
    const deliveredBefore: number[] = [];
    let exited = false;
    const exit = new Promise<void>((resolve) =>
      child.on('exit', () => {
        exited = true;
        resolve();
      }),
    );
    child.on('message', (m: { t: string; ids?: number[] }) => {
      if (m.t === 'acked') for (const id of m.ids ?? []) acked.add(id);
      if (m.t === 'delivered') deliveredBefore.push(...(m.ids ?? []));
      if (acked.size >= 600 && !child.killed) child.kill('SIGKILL');
    });
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exit;
    clearTimeout(killTimer);
    expect(exited).toBe(true);
    expect(acked.size).toBeGreaterThanOrEqual(600);
    expect(acked.size).toBeLessThan(6000); // killed mid-stream, not after the end

    const b = await instance(dir, {}, {}, {}, 'otlp/crash');
    // Everything the child acknowledged to its sender is either delivered already or replayed now.
    const missing = () => [...acked].filter((id) => !deliveredBefore.includes(id) && !b.backend.delivered.includes(id));
    await until(() => missing().length === 0, 15_000, 'every acknowledged item').catch((err) => {
      throw new Error(
        `${err.message}: ${missing().length} of ${acked.size} missing, e.g. ${missing().slice(0, 10)}; replay delivered ${b.backend.delivered.length}`,
      );
    });
    await until(() => b.backend.inFlight === 0 && (b.helper as unknown as object) !== undefined);
    await new Promise((r) => setTimeout(r, 100));
    const before = new Set(deliveredBefore);
    const duplicates = b.backend.delivered.filter((id) => before.has(id));
    const all = [...deliveredBefore, ...b.backend.delivered];
    const figures = {
      sent: acked.size,
      delivered: new Set(all).size,
      duplicates: all.length - new Set(all).size,
      lost: missing().length,
    };
    console.log(`durable SIGKILL: ${JSON.stringify(figures)}`);
    expect(figures.lost).toBe(0);
    // A duplicate is only ever an item the killed process had pushed but whose ack was not yet
    // on disk: at most the pushes in flight plus the acks of one index write (documented window).
    expect(duplicates.length).toBe(figures.duplicates);
    expect(figures.duplicates).toBeLessThanOrEqual(200);
    // The replay counted what it found.
    expect(await metricValue(b.telemetry, 'stitch_exporter_queue_replayed_items_total', { signal: 'logs' })).toBeGreaterThan(0);
  }, 60_000);
});
