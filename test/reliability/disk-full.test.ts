/**
 * Fault injection: the durable queue's disk fills up. The queue directory is a 4 MiB tmpfs
 * (mounted by the test; CI runs as root) that a filler file leaves ~200 KiB free of, and Loki is
 * down so nothing drains. Expected: the receiver answers 429 + Retry-After (retryable) once the
 * disk is full, counts it as `queue_full`; a SIGKILL while full and a restart after space returns
 * replay every acknowledged record with no corrupt one; new data is accepted again; everything
 * acknowledged reaches Loki.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type StrictLoki, startStrictLoki } from '../helpers/strict-loki.js';
import { startFaultProxy } from './fault-proxy.js';
import {
  figures,
  logsJson,
  lokiIds,
  post,
  type RunningCollector,
  range,
  report,
  selfMetric,
  startCollector,
  toProtobuf,
} from './harness.js';

const TMPFS_BYTES = 4 * 1024 * 1024;
const FREE_BYTES = 200 * 1024;

describe('queue directory disk full', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => undefined);
  });

  it('refuses with 429 while full, corrupts nothing queued, and resumes when space returns', async () => {
    const t0 = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'stitch-diskfull-'));
    // A real filesystem that runs out of space: tmpfs with a size limit (needs root, as in CI).
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', dir]);
    cleanup.push(() => {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    });
    const filler = join(dir, 'filler');
    writeFileSync(filler, Buffer.alloc(TMPFS_BYTES - FREE_BYTES));

    const loki: StrictLoki = await startStrictLoki();
    cleanup.push(() => loki.close());
    const proxy = await startFaultProxy({
      upstream: loki.url.replace(/\/loki\/api\/v1\/push$/, ''),
      decode: lokiIds,
      startDown: true,
    });
    cleanup.push(() => proxy.close());
    const yaml = `
receivers:
  otlp:
    protocols:
      http: { endpoint: "{OTLP_HTTP}" }
extensions:
  file_storage:
    directory: ${dir}
exporters:
  loki:
    endpoint: ${proxy.url}/loki/api/v1/push
    sending_queue: { storage: file_storage }
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 0 }
service:
  extensions: [file_storage]
  telemetry: { metrics: { address: "{METRICS}" } }
  pipelines:
    logs: { receivers: [otlp], exporters: [loki] }
`;
    let collector: RunningCollector = await startCollector(yaml);
    cleanup.push(() => collector.process.stop());
    const url = () => `${collector.otlpHttp}/v1/logs`;
    const acked = new Set<number>();
    let next = 0;
    /** One request of 10 lines of ~1 KiB; returns the answer. */
    const sendOnce = async () => {
      const ids = range(next, 10);
      next += 10;
      const r = await post(url(), toProtobuf('logs', logsJson(ids, 'disk-full', 1000)), 'application/x-protobuf');
      if (r.status === 200) for (const id of ids) acked.add(id);
      return r;
    };

    // Fill the remaining space: accepted until the disk is full, then 429 with Retry-After.
    const answers: number[] = [];
    let refusal: Awaited<ReturnType<typeof sendOnce>> | undefined;
    for (let i = 0; i < 200 && answers.filter((s) => s === 429).length < 5; i++) {
      const r = await sendOnce();
      answers.push(r.status);
      if (r.status !== 200) refusal ??= r;
    }
    expect(acked.size).toBeGreaterThan(0);
    expect(refusal?.status, refusal?.text).toBe(429);
    expect(Number(refusal?.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refusal?.text).toMatch(/space|full/i);
    expect(new Set(answers)).toEqual(new Set([200, 429])); // never a 5xx, never a crash
    expect(
      await selfMetric(collector.metricsUrl, 'stitch_receiver_refused_requests_total', { reason: 'queue_full' }),
    ).toBeGreaterThanOrEqual(5);
    const ackedWhileFull = acked.size;

    // Killed while the disk is full; space comes back; restart: everything queued replays intact.
    expect(await collector.process.stop('SIGKILL')).toBe('SIGKILL');
    rmSync(filler);
    collector = await startCollector(yaml, { ports: collector.ports, configFile: collector.configFile });
    for (let i = 0; i < 5; i++) expect((await sendOnce()).status).toBe(200);

    await proxy.up();
    await proxy.waitForDelivered([...acked].map(String), 20_000);
    const f = figures(acked, proxy.delivered, t0);
    const corrupt = await selfMetric(collector.metricsUrl, 'stitch_exporter_queue_corrupt_records_total');
    report('queue disk full (4 MiB tmpfs), SIGKILL, space back, restart (logs → Loki)', {
      ...f,
      notes: `${ackedWhileFull} lines accepted until full, then ${answers.filter((s) => s === 429).length} × 429; ${corrupt} corrupt records`,
    });
    expect(f.lost).toBe(0);
    expect(corrupt).toBe(0);
    expect(await selfMetric(collector.metricsUrl, 'stitch_component_dropped_items_total')).toBe(0);
  });
});
