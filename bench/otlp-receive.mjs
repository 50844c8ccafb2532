#!/usr/bin/env node
/**
 * OTLP/HTTP protobuf metrics into the `otlp` receiver feeding a discarding consumer: the receive
 * half of the remote-write relay figure. Run after `npm run build`:
 *
 *   node bench/otlp-receive.mjs [--seconds 10] [--points 1000] [--concurrency 8]
 *
 * Prints `otlp_http_receive_datapoints_per_sec: N points/s` and `otlp_http_receive_rss_mib: N MiB`.
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import Long from 'long';
import { pino } from 'pino';
import { encodeRequest } from '../collector/dist/model/otlp-codec.js';
import { otlpReceiverConfigSchema } from '../collector/dist/receivers/otlp/config.js';
import { createOtlpReceiver } from '../collector/dist/receivers/otlp/receiver.js';
import { SelfTelemetry } from '../collector/dist/telemetry/self-metrics.js';
import { freePort } from '../collector/dist/testing/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    points: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
  },
});
const seconds = Number(values.seconds);
const pointsPerRequest = Number(values.points);
const concurrency = Number(values.concurrency);

/** A request shaped like an app's export: 50 series per metric, a few attributes each. */
function batch() {
  const now = Long.fromNumber(Date.now() * 1e6, true);
  const metrics = [];
  for (let m = 0; m < pointsPerRequest / 50; m++) {
    metrics.push({
      name: `http_server_requests_${m}`,
      sum: {
        aggregationTemporality: 2,
        isMonotonic: true,
        dataPoints: Array.from({ length: 50 }, (_, i) => ({
          attributes: [
            { key: 'http.route', value: { stringValue: `/api/v1/items/${i}` } },
            { key: 'http.response.status_code', value: { intValue: 200 } },
            { key: 'http.request.method', value: { stringValue: 'GET' } },
          ],
          startTimeUnixNano: now,
          timeUnixNano: now,
          asDouble: i * 1.5,
        })),
      },
    });
  }
  return {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench' } }] },
        scopeMetrics: [{ scope: { name: 'bench' }, metrics }],
      },
    ],
  };
}

const discard = { capabilities: { mutatesData: false }, consume: async () => {} };
const port = await freePort();
const telemetry = new SelfTelemetry({ processMetrics: false });
const settings = { id: 'otlp', kind: 'receiver', logger: pino({ level: 'silent' }), telemetry: telemetry.forComponent('otlp') };
const receiver = createOtlpReceiver(
  settings,
  otlpReceiverConfigSchema.parse({ protocols: { http: { endpoint: `127.0.0.1:${port}` } } }),
  { metrics: discard },
);
await receiver.start({ getExtension: () => undefined });

const body = Buffer.from(encodeRequest('metrics', batch(), 'protobuf'));
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const post = () =>
  new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/metrics',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });

// Warm up (JIT, connection pool), then measure.
for (let i = 0; i < 50; i++) await post();
let requests = 0;
let peakRss = 0;
const deadline = Date.now() + seconds * 1000;
const started = process.hrtime.bigint();
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 200);
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (Date.now() < deadline) {
      await post();
      requests++;
    }
  }),
);
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());
agent.destroy();
await receiver.shutdown();

console.log(`otlp_http_receive_datapoints_per_sec: ${Math.round((requests * pointsPerRequest) / elapsed)} points/s`);
console.log(`otlp_http_receive_requests_per_sec: ${Math.round(requests / elapsed)} req/s`);
console.log(`otlp_http_receive_request_body_bytes: ${body.length} bytes`);
console.log(`otlp_http_receive_rss_mib: ${(peakRss / 1024 / 1024).toFixed(1)} MiB`);
