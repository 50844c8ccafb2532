/**
 * The `stitch` CLI as a user runs it: validate reports every problem with its line, collect runs
 * a pipeline and drains it on SIGTERM, and a real OpenTelemetry Collector contrib config runs
 * unchanged.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../collector/src/testing/index.js';
import { runStitch, writeConfig } from '../helpers/collector-process.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../../collector/config/default.yaml', import.meta.url));
const CONTRIB_CONFIG = fileURLToPath(new URL('../../collector/src/config/testdata/otelcol-contrib.yaml', import.meta.url));

const logsBody = (...bodies: string[]) =>
  JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'cli-test' } }] },
        scopeLogs: [{ logRecords: bodies.map((b) => ({ body: { stringValue: b }, severityNumber: 9 })) }],
      },
    ],
  });

async function postLogs(port: number, ...bodies: string[]): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: logsBody(...bodies),
  });
}

describe('stitch CLI', () => {
  it('validate: exits 1 and prints every problem with its path and line:column', async () => {
    const file = writeConfig(`receivers:
  otlp:
    protocols:
      http:
        endpont: 127.0.0.1:4318
processors:
  batch:
    send_batch_size: lots
exporters:
  debug:
    verbosity: loud
  lokki: {}
service:
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [batch, batch]
      exporters: [debug, prometheusremotewrite]
`);
    const p = runStitch(['validate', '--config', file]);
    expect(await p.exited).toBe(1);
    const lines = p.stderr().trim().split('\n');
    expect(lines).toEqual([
      `${file}:5:9: receivers.otlp.protocols.http.endpont: unknown key "endpont" (did you mean "endpoint"?) [STITCH_ERR_CONFIG_UNKNOWN_KEY]`,
      `${file}:8:22: processors.batch.send_batch_size: expected a number, got string "lots" [STITCH_ERR_CONFIG_INVALID_VALUE]`,
      `${file}:11:16: exporters.debug.verbosity: expected one of "basic", "normal", "detailed", got string "loud" [STITCH_ERR_CONFIG_INVALID_VALUE]`,
      expect.stringMatching(
        /^.*:12:3: exporters\.lokki: unsupported exporter type "lokki"; supported: debug, .*otlp.*\[STITCH_ERR_CONFIG_UNSUPPORTED_COMPONENT\]$/,
      ),
      `${file}:17:27: service.pipelines.metrics.processors[1]: references processor "batch" multiple times [STITCH_ERR_PIPELINE_DUPLICATE]`,
      `${file}:18:26: service.pipelines.metrics.exporters[1]: references exporter "prometheusremotewrite" which is not configured [STITCH_ERR_PIPELINE_UNDEFINED_COMPONENT]`,
      '6 problems found',
    ]);
  });

  it('validate: exits 0 on the shipped default config; usage errors exit 2', async () => {
    const ok = runStitch(['validate', '--config', DEFAULT_CONFIG]);
    expect(await ok.exited).toBe(0);
    expect(ok.stdout()).toContain('configuration is valid');
    const usage = runStitch(['validate']);
    expect(await usage.exited).toBe(2);
    expect(usage.stderr()).toContain('--config FILE is required');
    const unknown = runStitch(['frobnicate']);
    expect(await unknown.exited).toBe(2);
  });

  it('components: lists every kind with signals and stability', async () => {
    const p = runStitch(['components']);
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toMatch(/^receiver\s+otlp\s+traces \(\w+\), metrics \(\w+\), logs \(\w+\)/m);
    expect(p.stdout()).toMatch(/^processor\s+batch\s/m);
    expect(p.stdout()).toMatch(/^exporter\s+debug\s/m);
    expect(p.stdout()).toMatch(/^extension\s+health_check\s/m);
  });

  it('collect: runs the default config, serves health and self-metrics, exits 0 on SIGTERM', async () => {
    const [grpc, http, health, metrics, view, correlation, prom] = await Promise.all(Array.from({ length: 7 }, freePort));
    const p = runStitch(['collect', '--config', DEFAULT_CONFIG], {
      STITCH_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
      STITCH_OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
      STITCH_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
      STITCH_SELF_METRICS_PORT: String(metrics),
      STITCH_LOCAL_VIEW_ENDPOINT: `127.0.0.1:${view}`,
      STITCH_CORRELATION_ENDPOINT: `127.0.0.1:${correlation}`,
      STITCH_PROMETHEUS_ENDPOINT: `127.0.0.1:${prom}`,
    });
    try {
      await p.waitFor('Everything is ready');
      expect((await fetch(`http://127.0.0.1:${health}/`)).status).toBe(200);
      expect((await postLogs(http, 'one', 'two')).status).toBe(200);
      await p.waitFor('"log records": 2');
      const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
      expect(text).toMatch(/stitch_receiver_accepted_items_total\{component_id="otlp",signal="logs",transport="http"\} 2/);
      expect(text).toMatch(/stitch_exporter_sent_items_total\{component_id="debug",signal="logs"\} 2/);
    } finally {
      expect(await p.stop('SIGTERM')).toBe(0);
    }
    expect(p.stderr()).toContain('shutdown complete');
  });

  it('collect: SIGTERM drains data still held by the batch processor', async () => {
    const http = await freePort();
    const file = writeConfig(`receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${http}
processors:
  batch:
    send_batch_size: 100000
    timeout: 1h
exporters:
  debug:
    verbosity: normal
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug]
`);
    const p = runStitch(['collect', '--config', file]);
    await p.waitFor('Everything is ready');
    // The batch processor holds these (size and timeout far away); the sender waits for acceptance.
    const sent = Promise.all([postLogs(http, 'drained-1'), postLogs(http, 'drained-2', 'drained-3')]);
    await new Promise((r) => setTimeout(r, 300));
    expect(p.stdout()).not.toContain('drained-1');
    expect(await p.stop('SIGTERM')).toBe(0);
    for (const r of await sent) expect(r.status).toBe(200);
    for (const body of ['drained-1', 'drained-2', 'drained-3']) expect(p.stdout()).toContain(body);
  });

  it('collect: a taken port exits 1 naming the listener and the cause code', async () => {
    const { createServer } = await import('node:net');
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as { port: number }).port;
    try {
      const file = writeConfig(`receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${port}
exporters:
  debug: {}
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    logs: { receivers: [otlp], exporters: [debug] }
`);
      const p = runStitch(['collect', '--config', file]);
      expect(await p.exited).toBe(1);
      expect(p.stderr()).toContain('[STITCH_ERR_COMPONENT_START]: failed to start receiver/otlp');
      expect(p.stderr()).toMatch(
        new RegExp(`caused by StitchError \\[STITCH_ERR_LISTEN\\]: otlp cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
      );
    } finally {
      holder.close();
    }
  });

  it('collect: an OpenTelemetry Collector contrib config runs unchanged', async () => {
    const p = runStitch(['collect', '--config', CONTRIB_CONFIG]);
    try {
      await p.waitFor('Everything is ready');
      expect((await postLogs(4318, 'from-contrib-config')).status).toBe(200);
      await p.waitFor('from-contrib-config');
      expect((await fetch('http://127.0.0.1:13133/')).status).toBe(200);
      expect(await (await fetch('http://127.0.0.1:8888/metrics')).text()).toContain('stitch_receiver_accepted_items_total');
    } finally {
      expect(await p.stop('SIGTERM')).toBe(0);
    }
  });
});
