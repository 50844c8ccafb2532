#!/usr/bin/env node
/**
 * The JS stages of the remote-write relay fast path, per series, in this process: scanning a
 * request (collector/src/model/remote-write/scan.ts), planning it against the per-label-set cache
 * (exporters/prometheus-remote-write/relay.ts, all hits after the first batch) and re-encoding it
 * (encodeScannedSeries). 1000 series × 8 labels × 1 sample, as bench/collector-load.mjs sends.
 * Run after `npm run build`:
 *
 *   node bench/relay-stages.mjs [--series 1000] [--iterations 3000]
 *
 * Prints `relay_<stage>_ns_per_series: N ns`.
 */
import { parseArgs } from 'node:util';
import { prometheusRemoteWriteConfigSchema } from '../collector/dist/exporters/prometheus-remote-write/config.js';
import { createRelay } from '../collector/dist/exporters/prometheus-remote-write/relay.js';
import { createTranslator, translateOptionsOf } from '../collector/dist/exporters/prometheus-remote-write/translate.js';
import { encodeScannedSeries, encodeWriteRequest } from '../collector/dist/model/remote-write/encode.js';
import { scannedLabels, scanWriteRequest } from '../collector/dist/model/remote-write/scan.js';
import { createRemoteWriteToOtlp } from '../collector/dist/receivers/prometheus-remote-write/translate.js';

const { values } = parseArgs({
  options: { series: { type: 'string', default: '1000' }, iterations: { type: 'string', default: '3000' } },
});
const N = Number(values.series);
const iterations = Number(values.iterations);
const pad = (s, n) => s + '-'.repeat(Math.max(0, n - s.length));
const timeseries = Array.from({ length: N }, (_, i) => ({
  labels: [
    { name: '__name__', value: `bench_http_requests_${i % 20}_total` },
    { name: 'instance', value: 'pod-1' },
    { name: 'job', value: 'shop/bench' },
    ...Array.from({ length: 5 }, (_, k) => ({ name: `label_0${k}`, value: pad(`v${i}-${k}`, 16) })),
  ],
  samples: [{ value: i, timestamp: 1.7e12 }],
  exemplars: [],
  histograms: [],
}));
const bytes = encodeWriteRequest({ timeseries, metadata: [] });
const receiver = createRemoteWriteToOtlp();
const translator = createTranslator(
  translateOptionsOf(prometheusRemoteWriteConfigSchema.parse({ endpoint: 'http://127.0.0.1:9/api/v1/write' })),
);
let next = 0;
const relay = createRelay({ translator, lanes: 4, laneOf: () => next++ & 3, maxEntries: 100_000 });
const source = (scan) => ({
  kind: 'prometheus-remote-write',
  points: scan.samples,
  scan,
  materialise() {
    throw new Error('not materialised in this benchmark');
  },
  seriesShape: (i) =>
    receiver.translate({
      timeseries: [{ labels: scannedLabels(scan, i), samples: [{ value: 0, timestamp: 0 }], exemplars: [], histograms: [] }],
      metadata: [],
    }).data,
});

function time(name, fn) {
  for (let i = 0; i < 200; i++) fn();
  const t = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const ns = ((performance.now() - t) * 1e6) / iterations / N;
  console.log(`relay_${name}_ns_per_series: ${ns.toFixed(0)} ns`);
}

time('scan', () => scanWriteRequest(bytes));
const scan = scanWriteRequest(bytes);
time('plan', () => relay.plan(source(scan)));
const plan = relay.plan(source(scan));
const lanes = plan.lanes.map((l) => ({
  count: l.series.length,
  labels: l.entries.map((e) => e.labels),
  sampleIdx: Int32Array.from(l.series),
  sampleFrom: Int32Array.from({ length: l.series.length + 1 }, (_, j) => j),
}));
time('encode', () => {
  for (const l of lanes) encodeScannedSeries({ scan, ...l }, 3_000_000);
});
