#!/usr/bin/env node
/**
 * Relay throughput of the Prometheus remote-write path, in this process: a receiver wired
 * directly to the `prometheusremotewrite` exporter, which sends into a discarding remote-write
 * receiver in a child process. The load comes from another child process, so this process's CPU
 * and RSS are the relay's alone.
 *
 *   remote-write → remote-write   (prometheusremotewrite receiver → exporter)
 *   OTLP → remote-write           (otlp receiver, HTTP protobuf → exporter)
 *
 * Each load worker owns its series and sends them with increasing timestamps, one request at a
 * time, so every sample is new (the exporter never sends a sample twice). The exporter's queue is
 * off: backpressure reaches the load generator and the figure is delivered samples, not queued.
 *
 * Run after `npm run build`:
 *   node bench/remote-write-relay.mjs [--seconds 10] [--series 1000] [--workers 4]
 * Prints `name: value unit` lines. When `vmagent` (Debian `victoria-metrics`) is on PATH it is run
 * on the same remote-write load and the ratio is printed too.
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { pino } from 'pino';

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    seconds: { type: 'string', default: '10' },
    series: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '4' },
    target: { type: 'string', default: '' },
    format: { type: 'string', default: 'rw' },
  },
});
const seconds = Number(values.seconds);
const seriesPerRequest = Number(values.series);
const workers = Number(values.workers);

/** Child: accepts remote-write, counts bytes, answers 204. */
async function sink() {
  const server = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(204);
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
}

/** Child: sends requests to `--target` until killed; reports the samples it got accepted. */
async function generate() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  const url = new URL(values.target);
  const rw = values.format === 'rw';
  const { encodeWriteRequest } = await import('../collector/dist/model/remote-write/encode.js');
  const { compressBodySync } = await import('../collector/dist/model/remote-write/snappy.js');
  const { encodeRequest } = await import('../collector/dist/model/otlp-codec.js');
  const { millisToNanos } = await import('../collector/dist/model/time.js');
  let accepted = 0;
  const body = (worker, ts) => {
    if (rw) {
      const timeseries = Array.from({ length: seriesPerRequest }, (_, i) => ({
        labels: [
          { name: '__name__', value: `bench_requests_total` },
          { name: 'instance', value: `pod-${worker}` },
          { name: 'job', value: 'bench' },
          { name: 'method', value: 'GET' },
          { name: 'route', value: `/api/v1/items/${i}` },
        ],
        samples: [{ value: ts / 1000, timestamp: ts }],
        exemplars: [],
        histograms: [],
      }));
      return compressBodySync(encodeWriteRequest({ timeseries, metadata: [] }));
    }
    const now = millisToNanos(ts);
    const data = {
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'bench' } },
              { key: 'service.instance.id', value: { stringValue: `pod-${worker}` } },
            ],
          },
          scopeMetrics: [
            {
              scope: { name: 'bench' },
              metrics: [
                {
                  name: 'bench.requests',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: Array.from({ length: seriesPerRequest }, (_, i) => ({
                      attributes: [
                        { key: 'method', value: { stringValue: 'GET' } },
                        { key: 'route', value: { stringValue: `/api/v1/items/${i}` } },
                      ],
                      startTimeUnixNano: now,
                      timeUnixNano: now,
                      asDouble: ts / 1000,
                    })),
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    return encodeRequest('metrics', data, 'protobuf');
  };
  const headers = rw
    ? {
        'Content-Encoding': 'snappy',
        'Content-Type': 'application/x-protobuf',
        'X-Prometheus-Remote-Write-Version': '0.1.0',
      }
    : { 'Content-Type': 'application/x-protobuf' };
  const post = (buf) =>
    new Promise((resolve) => {
      const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'Content-Length': buf.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.on('error', () => resolve(0));
      req.end(buf);
    });
  const start = Date.now() - 3_600_000;
  const run = async (w) => {
    let ts = start + w; // distinct per worker; each worker's series are its own (instance label)
    for (;;) {
      ts += 1000;
      const status = await post(body(w, ts));
      if (status >= 200 && status < 300) accepted += seriesPerRequest;
      process.send?.({ accepted });
    }
  };
  for (let w = 0; w < workers; w++) void run(w);
}

async function relay(kind, sinkUrl) {
  const { SelfTelemetry } = await import('../collector/dist/telemetry/self-metrics.js');
  const { prometheusRemoteWriteConfigSchema } = await import('../collector/dist/exporters/prometheus-remote-write/config.js');
  const { createPrometheusRemoteWriteExporter } = await import('../collector/dist/exporters/prometheus-remote-write/exporter.js');
  const telemetry = new SelfTelemetry({ processMetrics: false });
  const settings = (id, k) => ({ id, kind: k, logger: pino({ level: 'warn' }), telemetry: telemetry.forComponent(id) });
  const host = { getExtension: () => undefined };
  const exporter = createPrometheusRemoteWriteExporter(
    settings('prometheusremotewrite', 'exporter'),
    prometheusRemoteWriteConfigSchema.parse({
      endpoint: sinkUrl,
      remote_write_queue: { enabled: false },
      target_info: { enabled: false },
    }),
    ['metrics'],
  );
  await exporter.start(host);
  let receiver;
  if (kind === 'rw') {
    const { prometheusRemoteWriteReceiverConfigSchema } = await import(
      '../collector/dist/receivers/prometheus-remote-write/config.js'
    );
    const { createPrometheusRemoteWriteReceiver } = await import(
      '../collector/dist/receivers/prometheus-remote-write/receiver.js'
    );
    receiver = createPrometheusRemoteWriteReceiver(
      settings('prometheusremotewrite', 'receiver'),
      prometheusRemoteWriteReceiverConfigSchema.parse({ endpoint: '127.0.0.1:0' }),
      exporter.consumers,
    );
    await receiver.start(host);
    return { url: `http://127.0.0.1:${receiver.port}/api/v1/write`, receiver, exporter, telemetry };
  }
  const { otlpReceiverConfigSchema } = await import('../collector/dist/receivers/otlp/config.js');
  const { createOtlpReceiver } = await import('../collector/dist/receivers/otlp/receiver.js');
  receiver = createOtlpReceiver(
    settings('otlp', 'receiver'),
    otlpReceiverConfigSchema.parse({ protocols: { http: { endpoint: '127.0.0.1:0' } } }),
    exporter.consumers,
  );
  await receiver.start(host);
  return { url: `http://127.0.0.1:${receiver.ports.http}/v1/metrics`, receiver, exporter, telemetry };
}

async function sentItems(telemetry) {
  const m = await telemetry.registry.getSingleMetric('stitch_exporter_sent_items_total')?.get();
  return (m?.values ?? []).reduce((n, v) => n + v.value, 0);
}

function startChild(args) {
  const child = fork(new URL(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return child;
}

async function measure(kind, sinkUrl) {
  const r = await relay(kind, sinkUrl);
  const gen = startChild([
    '--role',
    'gen',
    '--target',
    r.url,
    '--format',
    kind,
    '--series',
    String(seriesPerRequest),
    '--workers',
    String(workers),
  ]);
  await new Promise((res) => setTimeout(res, 2000)); // warm-up
  const sent0 = await sentItems(r.telemetry);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let rss = 0;
  const tick = setInterval(() => {
    rss = Math.max(rss, process.memoryUsage().rss);
  }, 200);
  await new Promise((res) => setTimeout(res, seconds * 1000));
  clearInterval(tick);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sent = (await sentItems(r.telemetry)) - sent0;
  gen.kill('SIGKILL');
  await r.receiver.shutdown();
  await r.exporter.shutdown(AbortSignal.timeout(5000));
  const label = kind === 'rw' ? 'remote_write_relay' : 'otlp_to_remote_write';
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`${label}_samples_per_sec: ${Math.round(sent / elapsed)} samples/s`);
  console.log(`${label}_cpu_seconds: ${cpuSeconds.toFixed(2)} s`);
  console.log(`${label}_samples_per_cpu_second: ${Math.round(sent / cpuSeconds)} samples/cpu-s`);
  console.log(`${label}_rss_peak_mib: ${(rss / 1048576).toFixed(1)} MiB`);
  return sent / elapsed;
}

/** vmagent on the same remote-write → remote-write load, when installed. */
async function measureVmagent(sinkUrl) {
  try {
    execFileSync('vmagent', ['--version'], { stdio: 'ignore' });
  } catch {
    console.log('vmagent_comparison: skipped (vmagent not installed; Debian package victoria-metrics)');
    return undefined;
  }
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { freePort } = await import('../collector/dist/testing/index.js');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vmagent-'));
  const vm = spawn(
    'vmagent',
    [`-httpListenAddr=127.0.0.1:${port}`, `-remoteWrite.url=${sinkUrl}`, `-remoteWrite.tmpDataPath=${dir}`],
    {
      stdio: 'ignore',
    },
  );
  await new Promise((res) => setTimeout(res, 2000));
  let accepted = 0;
  const gen = startChild([
    '--role',
    'gen',
    '--target',
    `http://127.0.0.1:${port}/api/v1/write`,
    '--format',
    'rw',
    '--series',
    String(seriesPerRequest),
    '--workers',
    String(workers),
  ]);
  gen.on('message', (m) => {
    accepted = m.accepted;
  });
  await new Promise((res) => setTimeout(res, 2000));
  const a0 = accepted;
  await new Promise((res) => setTimeout(res, seconds * 1000));
  const rate = (accepted - a0) / seconds;
  gen.kill('SIGKILL');
  vm.kill('SIGKILL');
  console.log(`vmagent_remote_write_relay_samples_per_sec: ${Math.round(rate)} samples/s`);
  return rate;
}

if (values.role === 'sink') await sink();
else if (values.role === 'gen') await generate();
else {
  const sinkChild = startChild(['--role', 'sink']);
  const port = await new Promise((res) => sinkChild.once('message', (m) => res(m.port)));
  const sinkUrl = `http://127.0.0.1:${port}/api/v1/write`;
  const ours = await measure('rw', sinkUrl);
  await measure('otlp', sinkUrl);
  const theirs = await measureVmagent(sinkUrl);
  if (theirs) console.log(`remote_write_relay_vs_vmagent: ${(ours / theirs).toFixed(2)} x`);
  sinkChild.kill('SIGKILL');
  process.exit(0);
}
