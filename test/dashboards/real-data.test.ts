/**
 * Against real data: a demo service and operator instrumented with @stitch/instrumentation push
 * OTLP through `stitch collect` (otlp receiver → batch → prometheusremotewrite) into Debian's
 * Prometheus, which also scrapes the collector's own metrics. Then every PromQL query of the
 * Service and Operator dashboards, with Grafana's variables set as a user would, returns data;
 * the variables list the demo's namespace, services, routes and controller; the exemplars carry
 * the IDs the datasource links on; and the Collector health dashboard's queries return data for
 * everything this pipeline exercises.
 */
import { buildDashboards, type DashboardQuery, dashboardQueries, METRICS, seriesIndex } from '@stitch/dashboards';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../collector/src/testing/index.js';
import { runStitch, type StitchProcess, writeConfig } from '../helpers/collector-process.js';
import { type PrometheusHandle, startPrometheus } from '../helpers/prometheus.js';
import { DEMO, type DemoWorkload, startDemoWorkload } from './helpers/demo-workload.js';
import { substitute } from './helpers/query-check.js';

let prom: PrometheusHandle;
let stitch: StitchProcess;
let demo: DemoWorkload;

const boards = buildDashboards();
// Prometheus gets a sample every 250 ms from the demo and scrapes every second: one minute spans many.
const RATE_WINDOW = '1m';
const VALUES = {
  service: { namespace: '.*', service: DEMO.service, route: '.*' },
  operator: { namespace: '.*', service: DEMO.operator, controller: DEMO.controller },
  collector: { job: 'stitch', instance: '.*' },
} as const;

function concrete(q: DashboardQuery, values: Record<string, string>): string {
  return substitute(q.expr.replaceAll('$__rate_interval', RATE_WINDOW), values);
}

/** Grafana's variable query as PromQL: `label_values(sel, l)` → `count by (l) (sel)`. */
function variablePromql(query: string): { promql: string; label: string } {
  const qr = /^query_result\((.*)\)$/s.exec(query);
  if (qr) return { promql: qr[1] as string, label: 'job' };
  const lv = /^label_values\((.*),\s*(\w+)\)$/s.exec(query) as RegExpExecArray;
  return { promql: `count by (${lv[2]}) (${lv[1]})`, label: lv[2] as string };
}

beforeAll(async () => {
  const otlpPort = await freePort();
  const metricsPort = await freePort();
  prom = await startPrometheus({ scrape: [{ job: 'stitch', targets: [`127.0.0.1:${metricsPort}`] }] });
  const config = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
processors:
  batch:
    timeout: 200ms
exporters:
  prometheusremotewrite:
    endpoint: ${prom.writeUrl}
    tls:
      insecure: true
  debug:
    verbosity: basic
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [batch]
      exporters: [prometheusremotewrite]
    traces:
      receivers: [otlp]
      exporters: [debug]
`);
  stitch = runStitch(['collect', '--config', config]);
  await stitch.waitFor('Everything is ready', 20_000);
  demo = await startDemoWorkload(`http://127.0.0.1:${otlpPort}`);
  // Several rounds over a few seconds: counters move between samples, so every rate() has two points.
  for (let i = 0; i < 12; i++) {
    await demo.round();
    await new Promise((r) => setTimeout(r, 250));
  }
  await prom.waitFor(
    `sum(rate(controller_runtime_reconcile_total{job="${DEMO.operator}"}[${RATE_WINDOW}])) > 0 and sum(rate(http_server_request_duration_seconds_count{job="${DEMO.service}"}[${RATE_WINDOW}])) > 0`,
    (v) => v.length > 0,
    30_000,
  );
  await prom.waitFor(`stitch_exporter_sent_items_total`, (v) => v.length > 0, 30_000);
}, 120_000);

afterAll(async () => {
  await demo?.stop();
  await stitch?.stop();
  await prom?.stop();
});

describe('Service and Operator dashboards on real data', () => {
  const cases = (['service', 'operator'] as const).flatMap((board) =>
    dashboardQueries(boards[board])
      .filter((q) => q.kind === 'promql')
      .map((q) => ({ board, where: q.where, expr: concrete(q, VALUES[board]) })),
  );

  it('has the queries of both dashboards', () => {
    expect(cases.length).toBeGreaterThan(25);
  });

  it.each(cases)('$board / $where: $expr returns data', async ({ expr }) => {
    const result = await prom.query(expr);
    expect(result.length, `${expr}\n${prom.logs()}`).toBeGreaterThan(0);
  });

  it('the variables list the demo’s namespace, services, routes and controller', async () => {
    const expected: Record<string, string[]> = {
      namespace: [DEMO.namespace],
      service: [DEMO.service, DEMO.operator],
      route: [...DEMO.routes],
      controller: [DEMO.controller],
    };
    for (const board of ['service', 'operator'] as const) {
      for (const q of dashboardQueries(boards[board]).filter((x) => x.kind === 'variable')) {
        const name = q.where.slice(1);
        const { promql, label } = variablePromql(substitute(q.expr, VALUES[board]));
        const values = (await prom.query(promql)).map((s) => s.metric[label]);
        const want = expected[name]?.filter((v) => (name === 'service' ? v === VALUES[board].service : true)) ?? [];
        expect(values, `${board} $${name}: ${promql}`).toEqual(expect.arrayContaining(want));
      }
    }
  });

  it('latency exemplars carry request_id and rid, the labels the datasource links to the drill-down', async () => {
    const http = await prom.queryExemplars(`http_server_request_duration_seconds_bucket{job="${DEMO.service}"}`);
    const httpLabels = http.flatMap((s) => s.exemplars.map((e) => e.labels));
    expect(httpLabels.length).toBeGreaterThan(0);
    expect(
      httpLabels.every((l) => demo.requestIds.includes(l.request_id as string) && /^[0-9a-f]{32}$/.test(l.trace_id as string)),
    ).toBe(true);
    const reconcile = await prom.queryExemplars(`controller_runtime_reconcile_time_seconds_bucket{job="${DEMO.operator}"}`);
    const ridLabels = reconcile.flatMap((s) => s.exemplars.map((e) => e.labels));
    expect(ridLabels.length).toBeGreaterThan(0);
    expect(ridLabels.every((l) => /^[0-9a-f-]{36}$/.test(l.rid as string))).toBe(true);
  });

  it('Prometheus holds exactly the catalogued labels for every instrumentation metric', async () => {
    const index = seriesIndex();
    for (const [family, spec] of Object.entries(METRICS)) {
      if (spec.source !== 'instrumentation') continue;
      for (const [name, { labels }] of index) {
        if (!name.startsWith(family) || index.get(name)?.family !== family) continue;
        const series = (await prom.query(`{__name__="${name}", job=~"demo-.*"}`)).map((s) => s.metric);
        expect(series.length, name).toBeGreaterThan(0);
        const seen = new Set(series.flatMap((m) => Object.keys(m)).filter((l) => l !== '__name__'));
        expect([...seen].sort(), name).toEqual([...labels].sort());
      }
    }
  });
});

describe('Collector health dashboard on real data', () => {
  // What this pipeline does not exercise: nothing is refused, dropped or fails, and it has no k8sattributes.
  const IDLE = /refused|dropped|send_failed|k8sattributes/;
  const cases = dashboardQueries(boards.collector)
    // A query that falls back to `or vector(0)` must return data even then.
    .filter((q) => q.kind === 'promql' && (!IDLE.test(q.expr) || q.expr.includes('or vector(0)')))
    .map((q) => ({ where: q.where, expr: concrete(q, VALUES.collector) }));

  it.each(cases)('$where: $expr returns data', async ({ expr }) => {
    await prom.waitFor(expr, (v) => v.length > 0, 15_000);
  });
});
