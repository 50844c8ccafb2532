/**
 * Fault injection: SIGKILL of the collector in the middle of three streams at once (OTLP metrics
 * → prometheusremotewrite with a WAL → Prometheus; OTLP logs → loki with a durable queue → strict
 * Loki; a tailed file → filelog with checkpoints → the same loki exporter), while the backends
 * answer slowly so sends are in flight. The collector is restarted on the same ports and
 * directories and the streams go on. Nothing acknowledged (or written to the file) may be lost;
 * duplicates are counted and must stay inside the documented at-least-once windows
 * (exporterhelper/README.md, filelog/README.md).
 */
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type PrometheusHandle, startPrometheus } from '../helpers/prometheus.js';
import { type StrictLoki, startStrictLoki } from '../helpers/strict-loki.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import {
  createSender,
  figures,
  logsJson,
  lokiIds,
  metricsJson,
  PROBE_METRIC,
  type RunningCollector,
  range,
  remoteWriteIds,
  report,
  startCollector,
  toProtobuf,
  until,
} from './harness.js';

const PER_REQUEST = 10;
const REQUESTS = 120;
const FILE_LINES = 3000;
const FILE_BASE = 1_000_000; // file lines get IDs of their own so both log streams share one Loki
const NUM_CONSUMERS = 4;

describe('SIGKILL mid-stream, then restart', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it('loses nothing from metrics, logs and a tailed file; duplicates stay in the at-least-once window', async () => {
    const t0 = Date.now();
    let prometheus: PrometheusHandle;
    let loki: StrictLoki;
    [prometheus, loki] = await Promise.all([startPrometheus(), startStrictLoki()]);
    cleanup.push(
      () => prometheus.stop(),
      () => loki.close(),
    );
    // Slow backends (40 ms per request) keep sends in flight when the kill comes.
    const promProxy: FaultProxy = await startFaultProxy({ upstream: prometheus.url, decode: remoteWriteIds });
    const lokiProxy: FaultProxy = await startFaultProxy({
      upstream: loki.url.replace(/\/loki\/api\/v1\/push$/, ''),
      decode: lokiIds,
    });
    promProxy.always({ delayMs: 40 });
    lokiProxy.always({ delayMs: 40 });
    cleanup.push(
      () => promProxy.close(),
      () => lokiProxy.close(),
    );

    const dir = mkdtempSync(join(tmpdir(), 'stitch-sigkill-'));
    const logDir = join(dir, 'pods');
    mkdirSync(logDir);
    const logFile = join(logDir, 'app.log');
    writeFileSync(logFile, '');
    const yaml = `
receivers:
  otlp:
    protocols:
      http: { endpoint: "{OTLP_HTTP}" }
  filelog:
    include: [${logDir}/*.log]
    start_at: beginning
    poll_interval: 50ms
    storage: file_storage
    retry_on_failure: { enabled: true, initial_interval: 50ms, max_elapsed_time: 0 }
extensions:
  file_storage:
    directory: ${dir}
exporters:
  prometheusremotewrite:
    endpoint: ${promProxy.url}/api/v1/write
    remote_write_queue: { num_consumers: ${NUM_CONSUMERS} }
    wal: { directory: ${join(dir, 'wal')} }
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 0 }
  loki:
    endpoint: ${lokiProxy.url}/loki/api/v1/push
    sending_queue: { storage: file_storage, num_consumers: ${NUM_CONSUMERS} }
    retry_on_failure: { initial_interval: 50ms, max_interval: 200ms, max_elapsed_time: 0 }
service:
  extensions: [file_storage]
  telemetry: { metrics: { address: "{METRICS}" } }
  pipelines:
    metrics: { receivers: [otlp], exporters: [prometheusremotewrite] }
    logs/otlp: { receivers: [otlp], exporters: [loki] }
    logs/file: { receivers: [filelog], exporters: [loki] }
`;
    let collector: RunningCollector = await startCollector(yaml);
    cleanup.push(() => collector.process.stop());

    const metrics = createSender(`${collector.otlpHttp}/v1/metrics`, (ids) => toProtobuf('metrics', metricsJson(ids, 'sigkill')));
    const logs = createSender(`${collector.otlpHttp}/v1/logs`, (ids) => toProtobuf('logs', logsJson(ids, 'sigkill')));

    // Three streams; each keeps going through the kill (the senders retry refused connections).
    const stream = async (send: (ids: number[]) => Promise<number>) => {
      for (let r = 0; r < REQUESTS; r++) {
        expect(await send(range(r * PER_REQUEST, PER_REQUEST))).toBe(200);
        await new Promise((res) => setTimeout(res, 5));
      }
    };
    const writer = (async () => {
      for (let i = 0; i < FILE_LINES; i += 25) {
        appendFileSync(
          logFile,
          range(FILE_BASE + i, 25)
            .map((id) => `line-${id}\n`)
            .join(''),
        );
        await new Promise((res) => setTimeout(res, 30));
      }
      return Date.now() - t0;
    })();
    const streams = Promise.all([stream((ids) => metrics.send(ids, 60_000)), stream((ids) => logs.send(ids, 60_000)), writer]);

    // Kill once every stream is well under way and the backends hold requests in flight.
    const lokiCounts = () => {
      let otlp = 0;
      let file = 0;
      for (const id of lokiProxy.delivered.keys()) Number(id) >= FILE_BASE ? file++ : otlp++;
      return { otlp, file };
    };
    await until(
      'streams under way',
      () => promProxy.delivered.size > 300 && lokiCounts().otlp > 300 && lokiCounts().file > 600,
      30_000,
    );
    const fileLinesAtKill = lokiCounts().file;
    const inFlight = promProxy.attempts.length + lokiProxy.attempts.length;
    expect(await collector.process.stop('SIGKILL')).toBe('SIGKILL');
    const killedAt = Date.now() - t0;
    collector = await startCollector(yaml, { ports: collector.ports, configFile: collector.configFile });
    const restartMs = Date.now() - t0 - killedAt;

    const [, , writerDoneAt] = await streams;
    expect(writerDoneAt).toBeGreaterThan(killedAt); // the file was still being written at the kill
    promProxy.always(undefined);
    lokiProxy.always(undefined);
    const fileIds = range(FILE_BASE, FILE_LINES).map(String);
    await Promise.all([
      promProxy.waitForDelivered([...metrics.acked].map(String), 30_000),
      lokiProxy.waitForDelivered([...[...logs.acked].map(String), ...fileIds], 30_000),
    ]);
    await new Promise((r) => setTimeout(r, 300)); // let replays of in-flight sends land before counting

    const fm = figures(metrics.acked, promProxy.delivered, t0);
    const fl = figures(logs.acked, lokiProxy.delivered, t0);
    const ff = figures(fileIds, lokiProxy.delivered, t0);
    const note = `killed at ${killedAt} ms with ${inFlight} requests made so far (${fileLinesAtKill} file lines delivered); restarted in ${restartMs} ms`;
    report('SIGKILL mid-stream + restart (metrics, WAL → Prometheus)', { ...fm, notes: note });
    report('SIGKILL mid-stream + restart (OTLP logs, durable queue → Loki)', { ...fl, notes: note });
    report('SIGKILL mid-stream + restart (tailed file, checkpoints → Loki)', { ...ff, notes: note });

    for (const f of [fm, fl, ff]) expect(f.lost).toBe(0);
    expect(fm.sent).toBe(REQUESTS * PER_REQUEST);
    expect(fl.sent).toBe(REQUESTS * PER_REQUEST);
    // The at-least-once window: sends in flight at the kill (≤ num_consumers requests), acks
    // not yet in acks.json, and the one request whose 200 the sender never saw.
    const window = (NUM_CONSUMERS + 2) * PER_REQUEST;
    expect(fm.duplicates).toBeLessThanOrEqual(window);
    expect(fl.duplicates).toBeLessThanOrEqual(window);
    // Tailed file: only the last batch handed to the pipeline before the kill can repeat
    // (plus the durable queue's window for what the loki exporter had in flight).
    expect(ff.duplicates).toBeLessThanOrEqual(window + 1000);
    await prometheus.waitFor(`count(${PROBE_METRIC}{job="sigkill"})`, (v) => Number(v[0]?.value[1]) === fm.sent, 20_000);
  });
});
