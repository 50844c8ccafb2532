/**
 * Fault injection: the durable queue's segment file is damaged while the collector is stopped
 * (a flipped payload byte, a corrupted length field, a torn last record). On restart the damaged
 * records are skipped and counted, and every other record replays to Loki.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type StrictLoki, startStrictLoki } from '../helpers/strict-loki.js';
import { startFaultProxy } from './fault-proxy.js';
import {
  createSender,
  figures,
  logsJson,
  lokiIds,
  type RunningCollector,
  range,
  report,
  selfMetric,
  startCollector,
  toProtobuf,
} from './harness.js';

const REQUESTS = 30;
const PER_REQUEST = 10;
/** The durable record header (exporterhelper/README.md "Format"): magic, length, CRC, seq, items, time. */
const HEADER_BYTES = 32;

/** Offsets of each record in a segment file, by walking the length fields. */
function recordOffsets(buf: Buffer): number[] {
  const offsets: number[] = [];
  for (let pos = 0; pos + HEADER_BYTES <= buf.length; pos += HEADER_BYTES + buf.readUInt32LE(pos + 4)) {
    expect(buf.toString('latin1', pos, pos + 4)).toBe('STQ1');
    offsets.push(pos);
  }
  return offsets;
}

describe('corrupted durable queue segment', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('skips and counts the damaged records and replays the rest', async () => {
    const t0 = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'stitch-corrupt-'));
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
    sending_queue: { storage: file_storage, num_consumers: 1 }
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 0 }
service:
  extensions: [file_storage]
  telemetry: { metrics: { address: "{METRICS}" } }
  pipelines:
    logs: { receivers: [otlp], exporters: [loki] }
`;
    let collector: RunningCollector = await startCollector(yaml);
    cleanup.push(() => collector.process.stop());
    const sender = createSender(`${collector.otlpHttp}/v1/logs`, (ids) => toProtobuf('logs', logsJson(ids, 'corrupt')));
    for (let r = 0; r < REQUESTS; r++) expect(await sender.send(range(r * PER_REQUEST, PER_REQUEST))).toBe(200);
    expect(await collector.process.stop('SIGTERM')).toBe(0);

    // Damage three records of the one segment: a payload byte (CRC mismatch), a length field
    // (impossible length), and the last record cut in half (a torn write).
    const queueDir = join(dir, 'exporter_loki_logs');
    const segments = readdirSync(queueDir).filter((f) => f.startsWith('segment-'));
    expect(segments).toHaveLength(1);
    const file = join(queueDir, segments[0] as string);
    const buf = readFileSync(file);
    const offsets = recordOffsets(buf);
    expect(offsets).toHaveLength(REQUESTS);
    const damaged = [5, 17, REQUESTS - 1];
    const [flip, badLength, torn] = damaged.map((i) => offsets[i] as number) as [number, number, number];
    buf[flip + HEADER_BYTES + 20] = (buf[flip + HEADER_BYTES + 20] as number) ^ 0x5a;
    buf.writeUInt32LE(0x7fff_fff0, badLength + 4);
    writeFileSync(file, buf.subarray(0, torn + HEADER_BYTES + 10));

    collector = await startCollector(yaml, { ports: collector.ports, configFile: collector.configFile });
    await proxy.up();
    const lostOnPurpose = new Set(damaged.flatMap((i) => range(i * PER_REQUEST, PER_REQUEST)).map(String));
    const intact = [...sender.acked].map(String).filter((id) => !lostOnPurpose.has(id));
    await proxy.waitForDelivered(intact, 20_000);
    const f = figures(sender.acked, proxy.delivered, t0, lostOnPurpose);
    const corruptRecords = await selfMetric(collector.metricsUrl, 'stitch_exporter_queue_corrupt_records_total');
    const corruptItems = await selfMetric(collector.metricsUrl, 'stitch_component_dropped_items_total', {
      reason: 'corrupt_record',
    });
    report('corrupted queue segment: flipped byte, bad length, torn tail (logs → Loki)', {
      ...f,
      rejected: REQUESTS * PER_REQUEST - f.delivered,
      notes: `${corruptRecords} corrupt records / ${corruptItems} items counted`,
    });
    expect(f.lost).toBe(0);
    expect(f.delivered).toBe((REQUESTS - damaged.length) * PER_REQUEST);
    expect(f.duplicates).toBe(0);
    expect(corruptRecords).toBe(damaged.length);
    // Items of a record whose header is damaged are unknown: counted one per record (a lower bound).
    expect(corruptItems).toBeGreaterThanOrEqual(damaged.length);
    expect(corruptItems).toBeLessThanOrEqual(damaged.length * PER_REQUEST);
    expect(collector.process.stderr() + collector.process.stdout()).toMatch(/corrupt/i);
  });
});
