#!/usr/bin/env node
/**
 * OTLP logs → `loki` exporter (mapping, sorting, byte-bounded protobuf + block snappy, HTTP push
 * through the exporterhelper's queue) → a discarding Loki on loopback. Batches are decoded from
 * OTLP protobuf once up front (that is the receiver's cost, benchmarked in otlp-receive.mjs) and
 * shaped like a node's pod logs: 20 pods of 5 services, 1000 records a batch, ~150-byte lines
 * with request_id / trace context / route attributes. Run after `npm run build`:
 *
 *   node bench/loki-push.mjs [--seconds 5] [--encoding protobuf|json]
 *
 * Prints `name: value unit` lines.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { lokiConfigSchema } from '../collector/dist/exporters/loki/config.js';
import { createLokiExporter } from '../collector/dist/exporters/loki/exporter.js';
import { decodeRequest, encodeRequest } from '../collector/dist/model/otlp-codec.js';
import { testHost, testSettings } from '../collector/dist/testing/index.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, encoding: { type: 'string', default: 'protobuf' } },
});
const seconds = Number(values.seconds);
const RECORDS = 1000;
const PODS = 20;

const str = (key, value) => ({ key, value: { stringValue: value } });
const hex = (n, bytes) => n.toString(16).padStart(bytes * 2, '0');

function batchJson(seed) {
  const baseNs = BigInt(Date.now()) * 1_000_000n;
  return {
    resourceLogs: Array.from({ length: PODS }, (_, p) => ({
      resource: {
        attributes: [
          str('service.name', `svc-${p % 5}`),
          str('service.namespace', 'shop'),
          str('k8s.namespace.name', 'production'),
          str('k8s.pod.name', `svc-${p % 5}-7d9f8b6c5-${hex(p, 3)}`),
          str('k8s.container.name', 'app'),
          str('k8s.deployment.name', `svc-${p % 5}`),
          str('k8s.node.name', 'node-1'),
          str('host.arch', 'amd64'),
        ],
      },
      scopeLogs: [
        {
          scope: { name: '@stitch/instrumentation', version: '0.1.0' },
          logRecords: Array.from({ length: RECORDS / PODS }, (_, i) => {
            const n = seed * RECORDS + p * (RECORDS / PODS) + i;
            return {
              timeUnixNano: (baseNs + BigInt(n)).toString(),
              observedTimeUnixNano: (baseNs + BigInt(n) + 1000n).toString(),
              severityNumber: 9,
              severityText: 'INFO',
              body: {
                stringValue: `request completed method=GET route=/api/v1/items/:id status=200 duration_ms=${n % 97} bytes=${n % 4096}`,
              },
              attributes: [
                str('request_id', `${hex(n, 4)}-1b2c-4d5e-8f90-${hex(n, 6)}`),
                str('http.route', '/api/v1/items/:id'),
                { key: 'http.response.status_code', value: { intValue: '200' } },
              ],
              traceId: hex(n, 16),
              spanId: hex(n, 8),
              flags: 1,
            };
          }),
        },
      ],
    })),
  };
}

// Decode through the one codec so batches have exactly a receiver's shape.
const batches = Array.from({ length: 6 }, (_, s) =>
  decodeRequest(
    'logs',
    encodeRequest('logs', decodeRequest('logs', Buffer.from(JSON.stringify(batchJson(s))), 'json'), 'protobuf'),
    'protobuf',
  ),
);

let receivedBytes = 0;
let requests = 0;
const server = http.createServer((req, res) => {
  req.on('data', (c) => {
    receivedBytes += c.length;
  });
  req.on('end', () => {
    requests++;
    res.writeHead(204).end();
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/loki/api/v1/push`;

const baselineRss = process.memoryUsage().rss;
const settings = testSettings('loki', 'exporter');
const config = lokiConfigSchema.parse({
  endpoint: url,
  encoding: values.encoding,
  sending_queue: { num_consumers: 4, queue_size: 16, block_on_overflow: true },
});
const exporter = createLokiExporter(settings, config);
await exporter.start(testHost());
const consumer = exporter.consumers.logs;

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

// Warm up, then run for `seconds`: consume blocks when the queue is full (backpressure).
for (let i = 0; i < 4; i++) await consumer.consume(batches[i % batches.length]);
const start = performance.now();
const end = start + seconds * 1000;
let sent = 0;
let i = 0;
while (performance.now() < end) {
  await consumer.consume(batches[i % batches.length]);
  i++;
  sent += RECORDS;
  if (i % batches.length === 0) await new Promise((r) => setImmediate(r));
}
await exporter.shutdown();
const elapsed = (performance.now() - start) / 1000;
clearInterval(sampler);
server.close();

console.log(`loki_lines_per_sec: ${Math.round(sent / elapsed)} lines/s`);
console.log(`loki_push_bytes_per_line: ${(receivedBytes / (sent + 4 * RECORDS)).toFixed(1)} bytes`);
console.log(`loki_push_requests: ${requests} requests`);
console.log(`rss_mib: ${Math.round(peakRss / 1024 / 1024)} MiB`);
console.log(`rss_fixture_mib: ${Math.round(baselineRss / 1024 / 1024)} MiB`);
