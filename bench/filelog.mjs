#!/usr/bin/env node
/**
 * The `filelog` receiver reading kubelet-shaped container logs into a discarding consumer:
 * lines/s read and parsed, and peak RSS. Run after `npm run build`:
 *
 *   node bench/filelog.mjs [--lines 200000] [--files 500]
 *
 * Scenarios (each on a fresh temporary /var/log/pods tree, read from the beginning):
 *   container            containerd lines with plain-text logs, `container` operator only
 *   container_pino       pino JSON lines, `container` + `pino_parser`
 *   container_json       pino JSON lines, `container` + the Collector-only json_parser recipe
 *   many_files_pino      the same lines spread over --files files
 *
 * Prints `filelog_<scenario>_lines_per_sec: N lines/s`, `..._mib_per_sec: N MiB/s` and
 * `filelog_<scenario>_peak_rss_mib: N MiB`.
 */
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { filelogConfigSchema } from '../collector/dist/receivers/filelog/config.js';
import { createFilelogReceiver } from '../collector/dist/receivers/filelog/receiver.js';
import { SelfTelemetry } from '../collector/dist/telemetry/self-metrics.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '200000' },
    files: { type: 'string', default: '500' },
    only: { type: 'string' },
  },
});
const totalLines = Number(values.lines);
const manyFiles = Number(values.files);

const PINO_RECIPE = [
  { type: 'container' },
  {
    type: 'json_parser',
    on_error: 'send_quiet',
    timestamp: { parse_from: 'attributes.time', layout_type: 'epoch', layout: 'ms' },
    severity: {
      parse_from: 'attributes.level',
      overwrite_text: true,
      mapping: { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 },
    },
    trace: { trace_id: { parse_from: 'attributes.trace_id' }, span_id: { parse_from: 'attributes.span_id' } },
  },
  { type: 'move', on_error: 'send_quiet', from: 'attributes.msg', to: 'body' },
  { type: 'remove', field: 'attributes.time' },
  { type: 'remove', field: 'attributes.level' },
];

function criLine(log, i) {
  const ns = String(i % 1e9).padStart(9, '0');
  return `2024-05-01T10:00:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}.${ns}Z stdout F ${log}\n`;
}

function plainLog(i) {
  return `GET /api/v1/items/${i % 1000} 200 ${i % 97}ms user=${i % 50} cache=hit region=eu-west-1`;
}

function pinoLog(i) {
  return JSON.stringify({
    level: 30,
    time: 1714557600000 + i,
    pid: 1,
    hostname: 'checkout-7d9f',
    request_id: `req-${i}`,
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    span_id: '00f067aa0ba902b7',
    route: '/api/v1/items/:id',
    status: 200,
    msg: 'request completed',
  });
}

async function scenario(name, { files, log, operators }) {
  if (values.only && values.only !== name) return;
  const root = await mkdtemp(join(tmpdir(), 'stitch-bench-filelog-'));
  const pods = join(root, 'var', 'log', 'pods');
  let bytes = 0;
  const perFile = Math.ceil(totalLines / files);
  for (let f = 0; f < files; f++) {
    const dir = join(pods, `shop_pod-${f}_${(0x10000 + f).toString(16)}`, 'app');
    await mkdir(dir, { recursive: true });
    // Written in slices so the generator never holds a whole file (RSS is the receiver's).
    await writeFile(join(dir, '0.log'), '');
    for (let start = 0; start < perFile; start += 2000) {
      let text = '';
      for (let i = start; i < Math.min(perFile, start + 2000); i++) text += criLine(log(f * perFile + i), i);
      bytes += Buffer.byteLength(text);
      await appendFile(join(dir, '0.log'), text);
    }
  }
  const expected = perFile * files;
  let received = 0;
  let done;
  const finished = new Promise((r) => {
    done = r;
  });
  const consumer = {
    capabilities: { mutatesData: false },
    async consume(batch) {
      for (const rl of batch.resourceLogs) for (const sl of rl.scopeLogs) received += sl.logRecords.length;
      if (received >= expected) done();
    },
  };
  const telemetry = new SelfTelemetry({ processMetrics: false });
  const config = filelogConfigSchema.parse({
    include: [join(pods, '*', '*', '*.log')],
    start_at: 'beginning',
    poll_interval: '10ms',
    operators,
  });
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = process.memoryUsage().rss;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
  }, 20);
  const receiver = createFilelogReceiver(
    { id: 'filelog', kind: 'receiver', logger: pino({ level: 'silent' }), telemetry: telemetry.forComponent('filelog') },
    config,
    consumer,
  );
  const t0 = performance.now();
  await receiver.start({ getExtension: () => undefined });
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  await receiver.shutdown();
  await rm(root, { recursive: true, force: true });
  console.log(`filelog_${name}_lines_per_sec: ${Math.round(expected / seconds)} lines/s`);
  console.log(`filelog_${name}_mib_per_sec: ${(bytes / 1024 / 1024 / seconds).toFixed(1)} MiB/s`);
  console.log(`filelog_${name}_peak_rss_mib: ${Math.round(peakRss / 1024 / 1024)} MiB`);
  console.log(`filelog_${name}_rss_before_mib: ${Math.round(rssBefore / 1024 / 1024)} MiB`);
  console.log(`filelog_${name}_peak_heap_mib: ${Math.round(peakHeap / 1024 / 1024)} MiB`);
}

await scenario('container', { files: 1, log: plainLog, operators: [{ type: 'container' }] });
await scenario('container_pino', { files: 1, log: pinoLog, operators: [{ type: 'container' }, { type: 'pino_parser' }] });
await scenario('container_json', { files: 1, log: pinoLog, operators: PINO_RECIPE });
await scenario('many_files_pino', {
  files: manyFiles,
  log: pinoLog,
  operators: [{ type: 'container' }, { type: 'pino_parser' }],
});
