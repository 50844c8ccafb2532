/**
 * Prometheus as a client: Prometheus A scrapes itself and Stitch's own /metrics and remote-writes
 * everything to Stitch's `prometheusremotewrite` receiver; the `stitch collect` pipeline sends it
 * on with the `prometheusremotewrite` exporter to Prometheus B. The series arrive in B with the
 * same names and labels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../collector/src/testing/index.js';
import { runStitch, type StitchProcess, writeConfig } from '../helpers/collector-process.js';
import { type PrometheusHandle, startPrometheus } from '../helpers/prometheus.js';

let promA: PrometheusHandle;
let promB: PrometheusHandle;
let stitch: StitchProcess;

beforeAll(async () => {
  promB = await startPrometheus();
  const rwPort = await freePort();
  const metricsPort = await freePort();
  const config = writeConfig(`
receivers:
  prometheusremotewrite:
    endpoint: 127.0.0.1:${rwPort}
exporters:
  prometheusremotewrite:
    endpoint: ${promB.writeUrl}
    tls:
      insecure: true
service:
  telemetry:
    logs:
      level: info
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    metrics:
      receivers: [prometheusremotewrite]
      exporters: [prometheusremotewrite]
`);
  stitch = runStitch(['collect', '--config', config]);
  await stitch.waitFor('Everything is ready', 20_000);
  promA = await startPrometheus({
    scrapeSelf: 'self',
    scrape: [{ job: 'stitch', targets: [`127.0.0.1:${metricsPort}`] }],
    remoteWrite: [`http://127.0.0.1:${rwPort}/api/v1/write`],
  });
}, 90_000);

afterAll(async () => {
  await promA?.stop();
  await stitch?.stop();
  await promB?.stop();
});

describe('Prometheus → stitch receiver → stitch exporter → Prometheus', () => {
  it('relays gauges with their job and instance', async () => {
    const v = await promB.waitFor('up{job="stitch"}', (r) => r.length === 1 && r[0]!.value[1] === '1', 30_000);
    expect(v[0]!.metric.instance).toMatch(/^127\.0\.0\.1:\d+$/);
    await promB.waitFor('prometheus_build_info{job="self"}', (r) => r.length === 1, 30_000);
  });

  it('relays counters under their own _total names, with values matching the source', async () => {
    const q = 'stitch_receiver_accepted_items_total{job="stitch",component_id="prometheusremotewrite"}';
    const b = await promB.waitFor(q, (r) => r.length === 1 && Number(r[0]!.value[1]) > 0, 30_000);
    const a = await promA.query(q);
    // B lags A by at most a few flushes; both count the same series upwards.
    expect(Number(b[0]!.value[1])).toBeLessThanOrEqual(Number(a[0]!.value[1]));
    expect(await promB.query('{__name__=~"stitch_receiver_accepted_items_total_total"}')).toEqual([]);
  });

  it('relays without the exporter dropping or the backend rejecting anything (no warnings logged)', async () => {
    await promB.waitFor('up{job="self"}', (r) => r.length === 1, 30_000);
    const warnings = (stitch.stdout() + stitch.stderr()).split('\n').filter((line) => /"level":(40|50|60)/.test(line));
    expect(warnings).toEqual([]);
  });

  it('relays classic histogram series bucket by bucket', async () => {
    await promB.waitFor(
      'prometheus_http_request_duration_seconds_bucket{job="self",le="+Inf"}',
      (r) => r.length > 0 && r.every((s) => Number(s.value[1]) >= 0),
      30_000,
    );
  });
});
