/**
 * `@stitch/instrumentation` is ESM (built by tsc); CommonJS apps load it with require(), which
 * Node ≥ 22.15 supports for ES modules without top-level await. Both run the built package in a
 * child process, as an app would.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

// Serves one request through the node:http wrapper and prints what the client saw.
const body = (load: string) => `
${load}
const http = require('node:http');
const { InMemoryMetricExporter, AggregationTemporality } = require('@opentelemetry/sdk-metrics');
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const t = s.setupTelemetry({ serviceName: 'fmt', traces: false, logs: false, metricExporter });
const server = http.createServer(s.instrumentListener((req, res) => res.end(String(s.currentRequestId()))));
server.listen(0, '127.0.0.1', async () => {
  const r = await fetch('http://127.0.0.1:' + server.address().port + '/', { headers: { 'x-request-id': 'fmt-1' } });
  const out = { header: r.headers.get('x-request-id'), body: await r.text(), exports: Object.keys(s).length };
  server.close();
  await t.shutdown();
  out.exported = metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor.name)));
  console.log(JSON.stringify(out));
});
`;

describe('module formats', () => {
  it('require() works from CommonJS', async () => {
    const { stdout, stderr } = await run(process.execPath, ['-e', body("const s = require('@stitch/instrumentation');")], {
      cwd: root,
      timeout: 20_000,
    });
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({ header: 'fmt-1', body: 'fmt-1' });
    expect(out.exports).toBeGreaterThan(30);
    expect(out.exported).toContain('http.server.request.duration'); // shutdown flushed the final collection
    expect(stderr).not.toMatch(/ExperimentalWarning|Error/);
  });

  it('import works from ESM', async () => {
    const script = body(
      "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); const s = await import('@stitch/instrumentation');",
    );
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root, timeout: 20_000 });
    expect(JSON.parse(stdout)).toMatchObject({ header: 'fmt-1', body: 'fmt-1' });
  });
});
