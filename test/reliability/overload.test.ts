/**
 * Fault injection: overload at three times the sustainable rate. The backend (an OTLP sink
 * behind a fault proxy) absorbs 2 concurrent requests of 200 ms each: 10 requests/s. The test
 * sends 30 requests/s of ~1 MiB logs, so the exporter's in-memory queue grows until the
 * memory_limiter refuses: 429 + Retry-After over HTTP, RESOURCE_EXHAUSTED over gRPC. The peak
 * RSS (VmHWM) must stay under the container limit that `limit_mib` is sized for; when the load drops to half the sustainable rate the
 * collector accepts again, and everything it acknowledged reaches the backend.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { OTLP_GRPC_PATHS, rawUnaryMethod } from '../../collector/src/receivers/otlp/grpc.js';
import { startFaultProxy } from './fault-proxy.js';
import {
  figures,
  logsJson,
  otlpLogIds,
  post,
  type RunningCollector,
  report,
  selfMetric,
  startCollector,
  toProtobuf,
  until,
} from './harness.js';

const LIMIT_MIB = 160;
const SPIKE_MIB = 60;
/**
 * The memory a pod would be given for this `limit_mib`. The limiter bounds live memory (V8 heap
 * + external); RSS runs a roughly constant 100–160 MiB above it (code, V8 heap slack, request
 * bodies being read: the idle collector is ~170 MiB RSS with ~85 MiB live), see
 * memory-limiter/README.md. Measured here: peak ~280 MiB with the limiter, ~380 MiB and growing
 * after the same 8 s without it (limit_mib 4000).
 */
const CONTAINER_LIMIT_MIB = LIMIT_MIB + 160;
const SUSTAINABLE_PER_S = 10; // 2 consumers × 1 / 200 ms
const PAYLOAD_CHARS = 1024 * 1024;
const OVERLOAD_MS = 8000;

/** `VmRSS` and `VmHWM` (peak) of a process, in MiB. */
function rss(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

describe('overload at 3× the sustainable rate', () => {
  const cleanup: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => undefined);
  });

  it('memory_limiter refuses with 429 / RESOURCE_EXHAUSTED, RSS stays under the limit, and it recovers', async () => {
    const t0 = Date.now();
    const sink = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => sink.close(() => r())));
    const proxy = await startFaultProxy({
      upstream: `http://127.0.0.1:${(sink.address() as { port: number }).port}`,
      decode: otlpLogIds,
    });
    proxy.always({ delayMs: 200 });
    cleanup.push(() => proxy.close());

    const collector: RunningCollector = await startCollector(`
receivers:
  otlp:
    protocols:
      http: { endpoint: "{OTLP_HTTP}" }
      grpc: { endpoint: "{OTLP_GRPC}" }
processors:
  memory_limiter:
    check_interval: 100ms
    limit_mib: ${LIMIT_MIB}
    spike_limit_mib: ${SPIKE_MIB}
exporters:
  otlphttp:
    endpoint: ${proxy.url}
    compression: none
    sending_queue: { num_consumers: 2, queue_size: 100000 }
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 0 }
service:
  telemetry: { metrics: { address: "{METRICS}" } }
  pipelines:
    logs: { receivers: [otlp], processors: [memory_limiter], exporters: [otlphttp] }
`);
    cleanup.push(() => collector.process.stop());
    const pid = collector.process.child.pid as number;
    const baseline = rss(pid).now;

    const acked = new Set<number>();
    let next = 0;
    const statuses = new Map<number, number>();
    let retryAfter: string | null = null;
    // One encoded request as a template; each send patches its 8-digit ID in (encoding 1 MiB
    // 30 times a second would make the test, not the collector, the bottleneck).
    const template8 = Buffer.from(toProtobuf('logs', logsJson([10_000_000], 'overload', PAYLOAD_CHARS)).slice());
    const at8 = template8.indexOf('line-1') + 5;
    let offered = 0;
    const sendOne = async () => {
      const id = next++;
      offered++;
      const body = Buffer.from(template8);
      body.write(String(id).padStart(8, '0'), at8, 'latin1');
      const r = await post(`${collector.otlpHttp}/v1/logs`, body, 'application/x-protobuf');
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 200) acked.add(id);
      if (r.status === 429) retryAfter ??= r.retryAfter;
      return r.status;
    };
    /** Fires `perSecond` requests a second (not waiting for answers) for `ms` or until `stop()`. */
    const load = async (perSecond: number, ms: number, stop: () => boolean = () => false) => {
      const inflight: Promise<number>[] = [];
      const start = Date.now();
      const end = start + ms;
      // Fire on a fixed schedule (catching up after a slow tick), whatever the answers take.
      for (let i = 0; Date.now() < end && !stop(); ) {
        while (start + (i * 1000) / perSecond <= Date.now()) {
          inflight.push(sendOne());
          i++;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      return Promise.all(inflight);
    };

    // gRPC senders see the same limiter: a small request every 100 ms while the overload lasts.
    const client = new grpc.Client(collector.otlpGrpc, grpc.credentials.createInsecure());
    cleanup.push(() => client.close());
    const m = rawUnaryMethod(OTLP_GRPC_PATHS.logs);
    const grpcCodes = new Map<number, number>();
    let overloading = true;
    const grpcProbe = (async () => {
      while (overloading) {
        const id = next++;
        const code = await new Promise<number>((resolve) =>
          client.makeUnaryRequest(
            m.path,
            m.requestSerialize,
            m.responseDeserialize,
            Buffer.from(toProtobuf('logs', logsJson([id], 'overload', 1000))),
            new grpc.Metadata(),
            (err) => resolve(err?.code ?? grpc.status.OK),
          ),
        );
        grpcCodes.set(code, (grpcCodes.get(code) ?? 0) + 1);
        if (code === grpc.status.OK) acked.add(id);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // Phase 1: 3× the sustainable rate until the limiter has refused for a while.
    let firstRefusalAt = 0;
    // Without a limiter the queue would grow by ~20 MiB/s, ~160 MiB in all: past the container limit.
    const overload = await load(3 * SUSTAINABLE_PER_S, OVERLOAD_MS, () => {
      if (firstRefusalAt === 0 && (statuses.get(429) ?? 0) > 0) firstRefusalAt = Date.now();
      return false;
    });
    overloading = false;
    await grpcProbe;
    const underLoad = rss(pid);
    const offeredPerS = offered / (OVERLOAD_MS / 1000);
    expect(offeredPerS).toBeGreaterThanOrEqual(2.5 * SUSTAINABLE_PER_S);
    expect(overload.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(retryAfter).not.toBeNull();
    expect(grpcCodes.get(grpc.status.RESOURCE_EXHAUSTED) ?? 0).toBeGreaterThan(0);
    expect([...grpcCodes.keys()].every((c) => c === grpc.status.OK || c === grpc.status.RESOURCE_EXHAUSTED)).toBe(true);
    const refusedItems = await selfMetric(collector.metricsUrl, 'stitch_processor_refused_items_total', {
      reason: 'memory_limit',
    });
    expect(refusedItems).toBeGreaterThan(0);

    // Phase 2: the load drops to half the sustainable rate; the collector accepts again.
    const recoveryStart = Date.now();
    let recoveredAt = 0;
    await load(SUSTAINABLE_PER_S / 2, 20_000, () => {
      if (recoveredAt === 0 && [...acked].some((id) => id >= next - 3)) recoveredAt = Date.now();
      return recoveredAt > 0 && Date.now() - recoveredAt > 1000;
    });
    expect(recoveredAt).toBeGreaterThan(0);
    expect(collector.process.child.exitCode).toBeNull();

    proxy.always(undefined);
    await proxy.waitForDelivered([...acked].map(String), 30_000);
    await until('queue drained', async () => (await selfMetric(collector.metricsUrl, 'stitch_exporter_queue_size')) === 0);
    const peak = rss(pid).peak;
    const f = figures(acked, proxy.delivered, t0);
    report(
      `overload 3× sustainable (${3 * SUSTAINABLE_PER_S} req/s of 1 MiB), memory_limiter ${LIMIT_MIB} MiB, container ${CONTAINER_LIMIT_MIB} MiB`,
      {
        ...f,
        notes: `offered ${offeredPerS.toFixed(0)} req/s; HTTP 429s: ${statuses.get(429) ?? 0}, gRPC RESOURCE_EXHAUSTED: ${grpcCodes.get(grpc.status.RESOURCE_EXHAUSTED) ?? 0}, first refusal after ${firstRefusalAt - t0} ms; RSS baseline ${baseline.toFixed(0)} MiB, under load ${underLoad.now.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB; accepting again ${recoveredAt - recoveryStart} ms after the load dropped`,
      },
    );
    expect(f.lost).toBe(0);
    expect(peak).toBeLessThan(CONTAINER_LIMIT_MIB);
    expect([...statuses.keys()].every((s) => s === 200 || s === 429)).toBe(true);
  });
});
