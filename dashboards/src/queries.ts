/**
 * Lists every query a generated dashboard runs — panel targets and variable queries — with the
 * datasource it runs on, so tests (and reviewers) can check them all in one place.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

/** One query of a dashboard. */
export interface DashboardQuery {
  /** Panel title, or `$name` for a variable. */
  where: string;
  /** `promql` and `logql` come from panels; `variable` is Grafana's `label_values(…)` / `query_result(…)`. */
  kind: 'promql' | 'logql' | 'variable';
  datasourceUid: string;
  expr: string;
  /** Panel queries: whether exemplars are requested. */
  exemplar?: boolean;
}

interface TargetLike {
  expr?: string;
  exemplar?: boolean;
  datasource?: { type?: string; uid?: string };
}

interface PanelLike {
  title?: string;
  type?: string;
  datasource?: { type?: string; uid?: string };
  targets?: TargetLike[];
  panels?: PanelLike[];
}

/** Every query of `d`, panels (nested rows included) first, then variables. */
export function dashboardQueries(d: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const visit = (p: PanelLike) => {
    for (const t of p.targets ?? []) {
      const ds = t.datasource ?? p.datasource;
      if (t.expr === undefined || ds === undefined) continue;
      out.push({
        where: p.title ?? '',
        kind: ds.type === 'loki' ? 'logql' : 'promql',
        datasourceUid: ds.uid ?? '',
        expr: t.expr,
        ...(t.exemplar !== undefined ? { exemplar: t.exemplar } : {}),
      });
    }
    for (const inner of p.panels ?? []) visit(inner);
  };
  for (const p of (d.panels ?? []) as PanelLike[]) visit(p);
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const query = typeof v.query === 'string' ? v.query : ((v.query as { query?: string } | undefined)?.query ?? '');
    out.push({ where: `$${v.name}`, kind: 'variable', datasourceUid: v.datasource?.uid ?? '', expr: query });
  }
  return out;
}
