#!/usr/bin/env node
/**
 * The harness's load generator, run as its own process so its CPU never counts against the
 * target. It sends realistic OTLP metrics, OTLP logs or Prometheus remote-write to a target and
 * measures what the target accepted and how long each request took.
 *
 * Shape (all configurable, see `defaults`): `concurrency` senders, each owning its own series (an
 * `instance` / `service.instance.id` per sender) so every sample is new; `series` data points
 * (or log records) per request, `samples` samples per remote-write series, `labels` labels per
 * series of about `labelBytes` bytes each; `rate` caps the total items/s (0: as fast as the
 * target answers — a closed loop, so backpressure slows the sender, as a real client does).
 *
 * Requests are built once per sender as templates; each send patches fresh timestamps and values
 * into the template bytes (offsets found once) and, for remote-write, snappy-compresses it. So
 * the generator spends its CPU on what every client pays (compression, HTTP), not on encoding.
 *
 * Forked by bench/collector-load.mjs with one JSON argument; IPC: {type:'reset'} starts the
 * measurement window, {type:'report'} answers with the window's figures.
 */
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import snappy from 'snappy';
import { prometheusRemoteWriteConfigSchema } from '../../collector/dist/exporters/prometheus-remote-write/config.js';
import { createTranslator, translateOptionsOf } from '../../collector/dist/exporters/prometheus-remote-write/translate.js';
import { decodeRequest, encodeRequest } from '../../collector/dist/model/otlp-codec.js';
import { eachField, varint } from './wire.mjs';

export const defaults = {
  kind: 'rw', // rw | otlp-http | otlp-grpc | otlp-logs
  target: '',
  series: 1000,
  samples: 1,
  labels: 8,
  labelBytes: 16,
  concurrency: 4,
  rate: 0,
  histograms: 0.1,
};

const opts = { ...defaults, ...JSON.parse(process.argv[2] ?? '{}') };
const TWO32 = 4294967296;
const pad = (s, n) => (s.length >= n ? s : s + '-'.repeat(n - s.length));

// ---- remote-write templates ----

function rwTemplate(slot) {
  const extra = Math.max(0, opts.labels - 3);
  const timeseries = [];
  for (let i = 0; i < opts.series; i++) {
    const labels = [
      { name: '__name__', value: `bench_http_requests_${i % 20}_total` },
      { name: 'instance', value: `pod-${slot}` },
      { name: 'job', value: 'shop/bench' },
    ];
    for (let k = 0; k < extra; k++)
      labels.push({ name: `label_${String(k).padStart(2, '0')}`, value: pad(`v${i}-${k}`, opts.labelBytes) });
    labels.sort((a, b) => (a.name < b.name ? -1 : 1));
    const samples = [];
    for (let s = 0; s < opts.samples; s++) samples.push({ value: 1, timestamp: 1_000_000_000_000 + s });
    timeseries.push({ labels, samples, exemplars: [], histograms: [] });
  }
  return timeseries;
}

/** Offsets of each sample's value (8 bytes) and timestamp (6-byte varint) in an encoded WriteRequest. */
function rwOffsets(buf) {
  const values = [];
  const stamps = [];
  eachField(buf, 0, buf.length, (f, s, e) => {
    if (f !== 1) return;
    eachField(buf, s, e, (g, ss, se) => {
      if (g !== 2) return;
      let pos = ss;
      while (pos < se) {
        const tag = buf[pos++];
        if (tag === 0x09) {
          values.push(pos);
          pos += 8;
        } else if (tag === 0x10) {
          stamps.push(pos);
          pos = varint(buf, pos)[1];
        } else throw new Error(`unexpected sample field tag ${tag}`);
      }
    });
  });
  return { values, stamps };
}

async function makeRwSender(slot) {
  const { encodeWriteRequest } = await import('../../collector/dist/model/remote-write/encode.js');
  const template = encodeWriteRequest({ timeseries: rwTemplate(slot), metadata: [] });
  const { values, stamps } = rwOffsets(template);
  const per = opts.samples;
  let ts = Date.now() - 3_600_000 + slot;
  let counter = 0;
  return {
    itemsPerRequest: opts.series * opts.samples,
    samplesPerRequest: opts.series * opts.samples,
    body() {
      ts += 1000 * per;
      counter++;
      for (let i = 0; i < stamps.length; i++) {
        // 6-byte varint: every ms timestamp between 2^35 and 2^42 (years 1971–2109).
        let n = ts + (i % per) * 1000;
        const o = stamps[i];
        for (let b = 0; b < 5; b++) {
          template[o + b] = (n % 128) | 0x80;
          n = Math.floor(n / 128);
        }
        template[o + 5] = n;
      }
      for (let i = 0; i < values.length; i++) template.writeDoubleLE(counter * 1.5 + (i % 97), values[i]);
      return snappy.compressSync(template);
    },
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
    },
  };
}

// ---- OTLP templates ----

const SENTINEL_HI = 0x7eadbeef;
const str = (key, value) => ({ key, value: { stringValue: value } });
const sentinelNanos = (k) => ({ low: k, high: SENTINEL_HI, unsigned: true });

function resource(slot) {
  return {
    attributes: [
      str('service.name', 'bench'),
      str('service.namespace', 'shop'),
      str('service.instance.id', `pod-${slot}`),
      str('k8s.namespace.name', 'production'),
      str('k8s.pod.name', `bench-7d9f8b6c5-${slot}`),
      str('host.name', 'node-a'),
    ],
  };
}

function pointAttributes(i) {
  const attrs = [
    str('http.request.method', i % 3 === 0 ? 'POST' : 'GET'),
    str('http.route', pad(`/api/v1/items/${i}`, opts.labelBytes)),
    { key: 'http.response.status_code', value: { intValue: 200 + (i % 3) } },
  ];
  for (let k = 3; k < opts.labels - 3; k++) attrs.push(str(`attr.${k}`, pad(`v${i}-${k}`, opts.labelBytes)));
  return attrs;
}

function metricsTemplate(slot) {
  const start = { low: 0, high: 0x17a00000, unsigned: true };
  const nHist = Math.round(opts.series * opts.histograms);
  const nGauge = Math.round(opts.series * 0.1);
  const nSum = opts.series - nHist - nGauge;
  const bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  let k = 0;
  const point = (i) => ({
    attributes: pointAttributes(i),
    startTimeUnixNano: start,
    timeUnixNano: sentinelNanos(k++),
    asDouble: 1e9 + i + 0.25,
  });
  const metrics = [
    {
      name: 'http.server.requests',
      sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: Array.from({ length: nSum }, (_, i) => point(i)) },
    },
    { name: 'http.server.active_requests', gauge: { dataPoints: Array.from({ length: nGauge }, (_, i) => point(nSum + i)) } },
  ];
  if (nHist > 0) {
    metrics.push({
      name: 'http.server.request.duration',
      unit: 's',
      histogram: {
        aggregationTemporality: 2,
        dataPoints: Array.from({ length: nHist }, (_, i) => ({
          attributes: pointAttributes(i),
          startTimeUnixNano: start,
          timeUnixNano: sentinelNanos(k++),
          count: 110,
          sum: 12.5,
          bucketCounts: [1, 2, 5, 10, 20, 30, 20, 10, 5, 5, 2],
          explicitBounds: bounds,
        })),
      },
    });
  }
  return { resourceMetrics: [{ resource: resource(slot), scopeMetrics: [{ scope: { name: 'bench' }, metrics }] }] };
}

function logsTemplate(slot) {
  const records = Array.from({ length: opts.series }, (_, i) => ({
    timeUnixNano: sentinelNanos(i),
    observedTimeUnixNano: sentinelNanos(i),
    severityNumber: 9,
    severityText: 'INFO',
    body: {
      stringValue: `request completed method=GET route=/api/v1/items/:id status=200 duration_ms=${i % 97} user=${i % 50} region=eu-west-1`,
    },
    attributes: [
      str('request_id', `0f8fad5b-d9cb-469f-a165-${String(70000000000 + i).padStart(12, '0')}`),
      str('http.route', '/api/v1/items/:id'),
      { key: 'http.response.status_code', value: { intValue: 200 } },
    ],
    traceId: Buffer.from('4bf92f3577b34da6a3ce929d0e0e4736', 'hex'),
    spanId: Buffer.from('00f067aa0ba902b7', 'hex'),
  }));
  return { resourceLogs: [{ resource: resource(slot), scopeLogs: [{ scope: { name: 'bench' }, logRecords: records }] }] };
}

/** Offsets of sentinel fixed64 nanos (hi word SENTINEL_HI) with their index (the lo word). */
function sentinelOffsets(buf) {
  const out = [];
  for (let o = 0; o + 8 <= buf.length; o++) {
    if (buf.readUInt32LE(o + 4) === SENTINEL_HI) {
      out.push([o, buf.readUInt32LE(o)]);
      o += 7;
    }
  }
  return out;
}

/** Offsets of the sentinel doubles 1e9 + i + 0.25. */
function valueOffsets(buf) {
  const out = [];
  for (let o = 0; o + 8 <= buf.length; o++) {
    const v = buf.readDoubleLE(o);
    if (v >= 1e9 && v < 1e9 + 1e7 && v % 1 === 0.25) {
      out.push(o);
      o += 7;
    }
  }
  return out;
}

async function makeOtlpSender(slot, signal) {
  const data = signal === 'metrics' ? metricsTemplate(slot) : logsTemplate(slot);
  const template = Buffer.from(encodeRequest(signal, data, 'protobuf'));
  const stamps = sentinelOffsets(template);
  const values = signal === 'metrics' ? valueOffsets(template) : [];
  let samplesPerRequest = opts.series;
  if (signal === 'metrics') {
    const t = createTranslator(
      translateOptionsOf(prometheusRemoteWriteConfigSchema.parse({ endpoint: 'http://127.0.0.1:9/api/v1/write' })),
    ).translate(decodeRequest('metrics', template, 'protobuf'));
    samplesPerRequest = t.series.reduce((n, s) => n + s.samples.length, 0);
  }
  let ms = Date.now() - 3_600_000 + slot;
  let counter = 0;
  return {
    itemsPerRequest: opts.series,
    samplesPerRequest,
    body() {
      ms += 1000;
      counter++;
      // ms * 1e6 + k as two 32-bit words, exactly (ms * 1e6 exceeds 2^53).
      const base = BigInt(ms) * 1_000_000n;
      const hi = Number(base >> 32n);
      const lo = Number(base & 0xffffffffn);
      for (const [o, k] of stamps) {
        const l = lo + k;
        template.writeUInt32LE(l % TWO32, o);
        template.writeUInt32LE(hi + Math.floor(l / TWO32), o + 4);
      }
      for (let i = 0; i < values.length; i++) template.writeDoubleLE(counter * 1.5 + i, values[i]);
      return template;
    },
    headers: { 'content-type': 'application/x-protobuf' },
  };
}

// ---- sending ----

const stats = { requests: 0, accepted: 0, acceptedSamples: 0, refused: 0, failed: 0, errors: 0, latencies: [] };
let windowStart = performance.now();

function record(status, ms, sender) {
  stats.requests++;
  stats.latencies.push(ms);
  if (status >= 200 && status < 300) {
    stats.accepted += sender.itemsPerRequest;
    stats.acceptedSamples += sender.samplesPerRequest;
  } else if (status === 429 || status === 503) stats.refused++;
  else if (status === 0) stats.errors++;
  else stats.failed++;
}

const url = new URL(opts.target || 'http://127.0.0.1:1');
const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });

function postHttp(body, headers) {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

const GRPC_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const GRPC_CODE_TO_HTTP = { 0: 200, 8: 429, 14: 503 };
let grpcClient;
function postGrpc(body) {
  grpcClient ??= new grpc.Client(url.host, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  return new Promise((resolve) => {
    grpcClient.makeUnaryRequest(
      GRPC_PATH,
      (b) => b,
      (b) => b,
      body,
      (err) => resolve(err ? (GRPC_CODE_TO_HTTP[err.code] ?? 500) : 200),
    );
  });
}

async function run(slot) {
  const sender =
    opts.kind === 'rw' ? await makeRwSender(slot) : await makeOtlpSender(slot, opts.kind === 'otlp-logs' ? 'logs' : 'metrics');
  const send = opts.kind === 'otlp-grpc' ? (b) => postGrpc(b) : (b) => postHttp(b, sender.headers);
  const interval = opts.rate > 0 ? (1000 * sender.itemsPerRequest * opts.concurrency) / opts.rate : 0;
  let next = performance.now();
  for (;;) {
    if (interval > 0) {
      next += interval;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -1000) next = performance.now(); // fell behind: don't burst to catch up
    }
    const body = sender.body();
    const t0 = performance.now();
    const status = await send(body);
    record(status, performance.now() - t0, sender);
    if (status === 0) await new Promise((r) => setTimeout(r, 100));
    else if (status === 429 || status === 503) await new Promise((r) => setTimeout(r, 50));
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

process.on('message', (m) => {
  if (m?.type === 'reset') {
    Object.assign(stats, { requests: 0, accepted: 0, acceptedSamples: 0, refused: 0, failed: 0, errors: 0, latencies: [] });
    windowStart = performance.now();
  } else if (m?.type === 'report') {
    const sorted = Float64Array.from(stats.latencies).sort();
    const { latencies: _, ...counts } = stats;
    process.send?.({
      type: 'report',
      ...counts,
      seconds: (performance.now() - windowStart) / 1000,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
    });
  }
});
process.on('disconnect', () => process.exit(0));

for (let s = 0; s < opts.concurrency; s++) {
  run(s).catch((err) => {
    console.error(`loadgen sender ${s}: ${err.stack ?? err}`);
    process.exit(1);
  });
}
process.send?.({ type: 'ready' });
