/**
 * Every query of every generated dashboard, and of the provisioned correlations, parses with the
 * real PromQL / LogQL grammar after Grafana's substitution, and uses only metric names and labels
 * that the pipeline emits (the catalogue, itself checked against the producers in
 * emitted-names.test.ts).
 */
import {
  buildDashboards,
  DATASOURCE_UIDS,
  dashboardQueries,
  LOKI_METADATA_KEYS,
  LOKI_STREAM_LABELS,
  lokiCorrelations,
  seriesIndex,
} from '@stitch/dashboards';
import { describe, expect, it } from 'vitest';
import { parseLogql, parsePromql, parseVariableQuery, type QueryUse, substitute } from './helpers/query-check.js';

const boards = buildDashboards({ tempo: true });
const index = seriesIndex();
const all = Object.entries(boards).flatMap(([name, d]) => dashboardQueries(d).map((q) => ({ board: name, ...q })));

function labelProblems(use: QueryUse): string[] {
  const problems: string[] = [];
  for (const m of use.metrics) if (!index.has(m)) problems.push(`metric ${m} is not emitted`);
  for (const { metric, label } of use.matchers) {
    if (!index.get(metric)?.labels.has(label)) problems.push(`${metric} has no label ${label}`);
  }
  for (const { label, metrics } of use.groupings) {
    if (!metrics.some((m) => index.get(m)?.labels.has(label)))
      problems.push(`grouping on ${label}: none of ${metrics.join(', ')} has it`);
  }
  return problems;
}

describe('dashboard queries', () => {
  it('covers every dashboard with PromQL, LogQL and variable queries', () => {
    expect(new Set(all.map((q) => q.board))).toEqual(new Set(['service', 'operator', 'drilldown', 'collector']));
    expect(all.filter((q) => q.kind === 'promql').length).toBeGreaterThan(40);
    expect(all.filter((q) => q.kind === 'logql').length).toBe(6);
    expect(all.filter((q) => q.kind === 'variable').length).toBe(9);
  });

  it.each(all.filter((q) => q.kind === 'promql'))('$board / $where: PromQL parses and uses emitted names ($expr)', (q) => {
    expect(q.datasourceUid).toBe(DATASOURCE_UIDS.prometheus);
    const use = parsePromql(substitute(q.expr));
    expect(use.errors).toEqual([]);
    expect(use.metrics.length).toBeGreaterThan(0);
    expect(labelProblems(use)).toEqual([]);
    // Rates always use Grafana's rate interval, so they span enough samples at any zoom.
    for (const m of q.expr.matchAll(/rate\([^[]*\[([^\]]+)\]\)/g)) expect(m[1]).toBe('$__rate_interval');
  });

  it.each(all.filter((q) => q.kind === 'variable'))('$board / $where: variable query parses ($expr)', (q) => {
    expect(q.datasourceUid).toBe(DATASOURCE_UIDS.prometheus);
    const use = parseVariableQuery(substitute(q.expr));
    expect(use.errors).toEqual([]);
    expect(labelProblems(use)).toEqual([]);
  });

  it.each(all.filter((q) => q.kind === 'logql'))(
    '$board / $where: LogQL parses and uses Loki labels and metadata ($expr)',
    (q) => {
      expect(q.datasourceUid).toBe(DATASOURCE_UIDS.loki);
      const use = parseLogql(substitute(q.expr, { request_id: '9d5e3c1a-7b2f-4e8d-a6c4-1f0b2e3d4c5a' }));
      expect(use.errors).toEqual([]);
      expect(use.streamLabels.every((l) => (LOKI_STREAM_LABELS as readonly string[]).includes(l))).toBe(true);
      const known = new Set<string>([...LOKI_STREAM_LABELS, ...LOKI_METADATA_KEYS]);
      expect(use.pipelineLabels.filter((l) => !known.has(l))).toEqual([]);
      // IDs are never stream labels (DESIGN.md): they are filtered after the selector.
      expect(use.streamLabels).not.toContain('request_id');
    },
  );

  it('exemplars are requested on the latency panels of the Service, Operator and Drill-down dashboards', () => {
    const withExemplars = all.filter((q) => q.exemplar === true);
    expect(withExemplars.map((q) => `${q.board}: ${q.where}`)).toEqual([
      'service: Latency p50 / p95 / p99 (exemplars → drill-down)',
      'service: p95 latency by route (exemplars)',
      'operator: Reconcile time p50 / p95 / p99 (exemplars → drill-down)',
      'drilldown: HTTP p95 latency by service and route',
      'drilldown: Reconcile p95 time by controller',
    ]);
    for (const q of withExemplars) expect(q.expr).toMatch(/_bucket\{/);
  });

  it('a broken query is caught: the checker is not a rubber stamp', () => {
    expect(parsePromql('sum(rate(foo[5m]) by').errors).not.toEqual([]);
    expect(parseLogql('{service_name=~".+"} | request_id = ').errors).not.toEqual([]);
    expect(labelProblems(parsePromql('sum by (pod) (rate(http_server_request_duration_seconds_count{route="/"}[5m]))'))).toEqual([
      'http_server_request_duration_seconds_count has no label route',
      'grouping on pod: none of http_server_request_duration_seconds_count has it',
    ]);
    expect(labelProblems(parsePromql('http_requests_total'))).toEqual(['metric http_requests_total is not emitted']);
  });
});

describe('provisioned correlations', () => {
  it.each(lokiCorrelations())('$label: target PromQL parses and uses emitted names', (c) => {
    const config = c.config as { field: string; target: { expr: string } };
    // The provisioning file escapes `$` as `$$`; Grafana unescapes, then fills `${field}` from the log line.
    const expr = config.target.expr.replaceAll('$$', '$');
    const use = parsePromql(substitute(expr, { service_name: 'checkout', controller: 'widgets' }));
    expect(use.errors).toEqual([]);
    expect(labelProblems(use)).toEqual([]);
    expect(
      (LOKI_STREAM_LABELS as readonly string[]).includes(config.field) ||
        (LOKI_METADATA_KEYS as readonly string[]).includes(config.field),
    ).toBe(true);
  });
});
