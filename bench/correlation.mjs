#!/usr/bin/env node
/**
 * The correlation processor's cost per log record and per span, and the index under a flood of
 * unique IDs. Batches of 1000 records shaped like the instrumentation's (request_id, trace
 * context, a few attributes) and like filelog's pino lines (a JSON string body, IDs inside), with
 * the correlation extension's index fed. Run after `npm run build`:
 *
 *   node --expose-gc bench/correlation.mjs [--seconds 3]
 *
 * Prints `name: value unit` lines.
 */
import { parseArgs } from 'node:util';
import { correlationExtensionConfigSchema } from '../collector/dist/extensions/correlation/config.js';
import { createCorrelationExtension } from '../collector/dist/extensions/correlation/extension.js';
import { correlationProcessorConfigSchema } from '../collector/dist/processors/correlation/config.js';
import { createCorrelationProcessor } from '../collector/dist/processors/correlation/processor.js';
import { testHost, testSettings } from '../collector/dist/testing/index.js';
import { CorrelationIndex } from '../correlation/dist/index.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' } } });
const seconds = Number(values.seconds);
const BATCH = 1000;
const sink = { capabilities: { mutatesData: false }, consume: async () => {} };
const str = (s) => ({ stringValue: s });
const hex = (n, len) => n.toString(16).padStart(len, '0');
const bytes = (h) => new Uint8Array(Buffer.from(h, 'hex'));
const resource = {
  attributes: [
    { key: 'service.name', value: str('checkout') },
    { key: 'k8s.pod.name', value: str('checkout-1') },
  ],
};

let seq = 0;
function otlpLogs() {
  const records = [];
  for (let i = 0; i < BATCH; i++) {
    const n = seq++;
    records.push({
      timeUnixNano: 1,
      severityNumber: 9,
      body: str('handled request'),
      traceId: bytes(hex(n + 1, 32)),
      spanId: bytes(hex(n + 1, 16)),
      attributes: [
        { key: 'request_id', value: str(`req-${hex(n >> 1, 12)}`) },
        { key: 'http.route', value: str('/cart/:id') },
        { key: 'cart', value: str(String(n)) },
      ],
    });
  }
  return { resourceLogs: [{ resource, scopeLogs: [{ logRecords: records }] }] };
}
function pinoLogs() {
  const records = [];
  for (let i = 0; i < BATCH; i++) {
    const n = seq++;
    const line = JSON.stringify({
      level: 30,
      time: 1,
      msg: 'reconciled',
      reconcileID: `rid-${hex(n >> 1, 12)}`,
      trace_id: hex(n + 1, 32),
      span_id: hex(n + 1, 16),
    });
    records.push({
      timeUnixNano: 1,
      body: str(line),
      attributes: [{ key: 'log.file.path', value: str('/var/log/pods/x/0.log') }],
    });
  }
  return { resourceLogs: [{ resource, scopeLogs: [{ logRecords: records }] }] };
}
function spans() {
  const list = [];
  for (let i = 0; i < BATCH; i++) {
    const n = seq++;
    list.push({
      traceId: bytes(hex(n + 1, 32)),
      spanId: bytes(hex(n + 1, 16)),
      name: 'GET /cart/:id',
      kind: 2,
      startTimeUnixNano: 1,
      endTimeUnixNano: 2,
      attributes: [
        { key: 'request_id', value: str(`req-${hex(n, 12)}`) },
        { key: 'http.route', value: str('/cart/:id') },
      ],
    });
  }
  return { resourceSpans: [{ resource, scopeSpans: [{ spans: list }] }] };
}

async function measure(name, signal, make) {
  const ext = createCorrelationExtension(testSettings('correlation', 'extension'), correlationExtensionConfigSchema.parse({}));
  const p = createCorrelationProcessor(
    testSettings(`correlation/${name}`, 'processor'),
    correlationProcessorConfigSchema.parse({}),
    signal,
    sink,
  );
  await p.start(testHost({ correlation: ext }));
  const batches = Array.from({ length: 50 }, make); // built up front: only the processor is timed
  for (let i = 0; i < 5; i++) await p.consume(make()); // warm-up
  let items = 0;
  let busy = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const b = batches.length > 0 ? batches.pop() : make();
    const t = performance.now();
    await p.consume(b);
    busy += performance.now() - t;
    items += BATCH;
  }
  await p.shutdown();
  console.log(`correlation_${name}_per_item: ${((busy * 1e6) / items).toFixed(0)} ns`);
  console.log(`correlation_${name}_throughput: ${Math.round(items / (busy / 1000))} items/s`);
}

await measure('otlp_logs', 'logs', otlpLogs);
await measure('pino_json_logs', 'logs', pinoLogs);
await measure('spans', 'traces', spans);

const index = new CorrelationIndex({ maxEntries: 20_000, ttlMs: 3_600_000 });
globalThis.gc?.();
const before = process.memoryUsage().heapUsed;
const t = performance.now();
const N = 500_000;
for (let i = 0; i < N; i++)
  index.record({ requestId: `flood-${i}-0f8fad5b-d9cb-469f`, traceId: hex(i + 1, 32), logs: 1, service: 'checkout' });
const ms = performance.now() - t;
globalThis.gc?.();
console.log(`correlation_index_record: ${((ms * 1e6) / N).toFixed(0)} ns`);
console.log(`correlation_index_entries_after_flood: ${index.stats().entries} entries`);
if (globalThis.gc) {
  console.log(`correlation_index_heap_20k_entries: ${((process.memoryUsage().heapUsed - before) / 1024 / 1024).toFixed(1)} MiB`);
} else {
  // Without a forced collection the heap delta is noise (it was seen negative): say so instead.
  console.error('correlation_index_heap_20k_entries: skipped (run with node --expose-gc)');
}
