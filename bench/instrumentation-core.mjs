#!/usr/bin/env node
/**
 * The HTTP instrumentation core without a server: start → run (inside the request's context) →
 * end, as the adapters drive it, on plain objects. It isolates Stitch's own per-request CPU
 * (GC included) from socket and framework work, which on a shared machine swings more than the
 * whole middleware costs. Spans go to a discarding OTLP endpoint in this process, so encoding
 * and export are counted. Run after `npm run build`:
 *
 *   node bench/instrumentation-core.mjs [--requests 300000] [--rounds 3]
 *
 * Prints per mode `instrumentation_core_<mode>_ns_per_req` (best of the rounds):
 * metrics (metrics-only), full (lean server spans), full_sdk (server spans as SDK spans, the
 * path taken with custom span processors), and full_traceparent (full, every request carrying
 * a sampled W3C traceparent).
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { createHttpCore, setupTelemetry } from '@stitch/instrumentation';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '300000' },
    rounds: { type: 'string', default: '3' },
  },
});
const N = Number(values.requests);

const sink = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
await new Promise((r) => sink.listen(0, '127.0.0.1', r));
const endpoint = `http://127.0.0.1:${sink.address().port}`;

const response = { getHeader: () => undefined };
const handler = () => undefined;
const plain = { host: 'localhost:3000', accept: '*/*' };
const traced = { ...plain, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };

function telemetryFor(mode) {
  if (mode === 'full_sdk') {
    const exporter = new OTLPTraceExporter({ url: `${endpoint}/v1/traces` });
    return setupTelemetry({
      serviceName: 'bench',
      endpoint,
      logs: false,
      spanProcessors: [new BatchSpanProcessor({ exporter })],
    });
  }
  return setupTelemetry({ serviceName: 'bench', endpoint, logs: false, traces: mode !== 'metrics' });
}

async function measure(mode) {
  const telemetry = telemetryFor(mode);
  const core = createHttpCore({ telemetry, mode: mode === 'metrics' ? 'metrics' : 'full' });
  const headers = mode === 'full_traceparent' ? traced : plain;
  const once = () => {
    const state = core.start('GET', '/hello/stitch', headers, false);
    if (core.needsContext) core.run(state, handler);
    core.end(state, '/hello/:name', 200, response);
  };
  for (let i = 0; i < 20_000; i++) once(); // JIT warm-up
  await telemetry.flush();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    once();
    // Let exports and timers run now and then, as a server's event loop would.
    if ((i & 4095) === 4095) await new Promise((r) => setImmediate(r));
  }
  await telemetry.flush();
  const cpu = process.cpuUsage(cpu0);
  await telemetry.shutdown();
  return ((cpu.user + cpu.system) * 1000) / N;
}

const modes = (process.env.MODES ?? 'metrics,full,full_traceparent,full_sdk').split(',');
const best = new Map();
for (let round = 0; round < Number(values.rounds); round++) {
  for (const mode of modes) {
    const ns = await measure(mode);
    best.set(mode, Math.min(best.get(mode) ?? Number.POSITIVE_INFINITY, ns));
  }
}
sink.close();
for (const mode of modes) console.log(`instrumentation_core_${mode}_ns_per_req: ${best.get(mode).toFixed(0)} ns`);
