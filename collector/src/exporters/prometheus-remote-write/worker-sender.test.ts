import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { StitchError } from '../../errors.js';
import { encodeRequest } from '../../model/otlp-codec.js';
import { decodeMetricsProtobuf } from '../../model/otlp-metrics/source.js';
import { gaugeBatch } from '../../testing/index.js';
import { prometheusRemoteWriteConfigSchema } from './config.js';
import { useSenderThread } from './exporter.js';
import type { SenderEvents } from './sender.js';
import { startSenderWorker, threadExecArgv } from './worker-sender.js';

const noEvents: SenderEvents = { dropped() {}, exemplarLabelsDropped() {}, outOfOrder() {} };

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A backend that answers 204 once `release` is called (requests wait until then). */
async function heldBackend(): Promise<{ url: string; requests: () => number; release(): void }> {
  let count = 0;
  let held: http.ServerResponse[] = [];
  let open = false;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      if (open) res.writeHead(204).end();
      else held.push(res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    requests: () => count,
    release() {
      open = true;
      for (const res of held) res.writeHead(204).end();
      held = [];
    },
  };
}

/** A sender thread posting to `url` over one lane. */
function senderTo(url: string, onFailure: (err: Error) => void = () => {}) {
  const config = prometheusRemoteWriteConfigSchema.parse({ endpoint: url, remote_write_queue: { num_consumers: 1 } });
  return startSenderWorker({
    componentId: 'prometheusremotewrite',
    config,
    userAgent: 'test',
    tls: undefined,
    events: noEvents,
    onFailure,
  });
}

describe('sender thread', () => {
  it('is opt-in with STITCH_EXPORTER_THREADS, and never with an auth extension', () => {
    const plain = prometheusRemoteWriteConfigSchema.parse({ endpoint: 'http://127.0.0.1:9/api/v1/write' });
    const withAuth = prometheusRemoteWriteConfigSchema.parse({
      endpoint: 'http://127.0.0.1:9/api/v1/write',
      auth: { authenticator: 'bearertokenauth' },
    });
    expect(useSenderThread(plain, {})).toBe(false);
    expect(useSenderThread(plain, { STITCH_EXPORTER_THREADS: '1' })).toBe(true);
    expect(useSenderThread(plain, { STITCH_EXPORTER_THREADS: 'TRUE' })).toBe(true);
    expect(useSenderThread(plain, { STITCH_EXPORTER_THREADS: '0' })).toBe(false);
    expect(useSenderThread(withAuth, { STITCH_EXPORTER_THREADS: '1' })).toBe(false);
  });

  it("runs without the test runner's source condition, and inherits the flags otherwise", () => {
    expect(threadExecArgv(['--conditions', 'stitch-source', '--conditions', 'node', '--require', 'x.cjs'])).toEqual([
      '--conditions',
      'node',
      '--require',
      'x.cjs',
    ]);
    expect(threadExecArgv(['--conditions=stitch-source'])).toEqual([]);
    expect(threadExecArgv(['--max-old-space-size=384'])).toBeUndefined();
  });

  it('delivers lazy and materialised batches, and refuses what it held as retryable when closed', async () => {
    const backend = await heldBackend();
    const sender = senderTo(backend.url);
    const lazy = decodeMetricsProtobuf(Buffer.from(encodeRequest('metrics', gaugeBatch(Date.now() - 2000), 'protobuf')));
    const first = sender.push(lazy, new AbortController().signal);
    for (let t = 0; t < 200 && backend.requests() === 0; t++) await new Promise((r) => setTimeout(r, 10));
    backend.release();
    await first;
    await sender.push(gaugeBatch(Date.now() - 1000), new AbortController().signal);
    expect(backend.requests()).toBe(2);
    expect(sender.trackedSeries).toBe(1);

    const held = await heldBackend();
    const other = senderTo(held.url);
    const pending = other.push(gaugeBatch(Date.now()), new AbortController().signal);
    for (let t = 0; t < 200 && held.requests() === 0; t++) await new Promise((r) => setTimeout(r, 10));
    await other.close();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StitchError);
    expect((err as StitchError).retryable).toBe(true);
    await expect(other.push(gaugeBatch(Date.now()), new AbortController().signal)).rejects.toMatchObject({
      code: 'STITCH_ERR_SHUTDOWN',
    });
    held.release();
    await sender.close();
  });

  it('refuses what a dying thread held as retryable, says so, and sends the next batch on a new thread', async () => {
    const held = await heldBackend();
    const failures: Error[] = [];
    const sender = senderTo(held.url, (err) => failures.push(err));
    const pending = sender.push(gaugeBatch(Date.now() - 1000), new AbortController().signal);
    for (let t = 0; t < 200 && held.requests() === 0; t++) await new Promise((r) => setTimeout(r, 10));
    const first = sender.thread();
    await first?.terminate();
    const err = await pending.catch((e: unknown) => e);
    expect((err as StitchError).code).toBe('STITCH_ERR_EXPORT_RETRYABLE');
    expect((err as StitchError).message).toMatch(/sender thread stopped/);
    expect(failures).toHaveLength(1);
    held.release();
    await sender.push(gaugeBatch(Date.now()), new AbortController().signal);
    expect(sender.thread()).toBeDefined();
    expect(sender.thread()).not.toBe(first);
    await sender.close();
    expect(failures).toHaveLength(1); // closing is not a failure
  });
});
