/**
 * Parses dashboard queries with the real grammars — the Prometheus project's Lezer PromQL grammar
 * (@prometheus-io/lezer-promql, what the Prometheus UI uses) and Grafana's Lezer LogQL grammar
 * (@grafana/lezer-logql, what Grafana's Loki editor uses) — after substituting Grafana's macros
 * and variables, and lists the metric names and labels each query selects and groups on.
 */
import { parser as logqlParser } from '@grafana/lezer-logql';
import type { SyntaxNode, Tree } from '@lezer/common';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';

/** Grafana's interval macros → a concrete duration. */
const MACROS = /\$__(rate_interval|interval_ms|interval|range_s|range_ms|range|auto)\b/g;

/**
 * Replaces Grafana macros with `5m` and template variables (`$name`, `${name}`, `${name:fmt}`)
 * with `values[name]` (default `x`), as Grafana would before sending the query.
 */
export function substitute(expr: string, values: Record<string, string> = {}): string {
  return expr
    .replace(MACROS, (_m, macro: string) => (macro.endsWith('_ms') ? '300000' : macro.endsWith('_s') ? '300' : '5m'))
    .replace(
      /\$\{(\w+)(?::\w+)?\}|\$(\w+)/g,
      (_m, a: string | undefined, b: string | undefined) => values[(a ?? b) as string] ?? 'x',
    );
}

/** What a parsed query uses. */
export interface QueryUse {
  /** Parse errors: the text around each error node. */
  errors: string[];
  /** Metric names of the vector selectors (PromQL). */
  metrics: string[];
  /** `metric → labels matched in its selector` (PromQL). */
  matchers: { metric: string; label: string }[];
  /** Grouping labels (by/without/on/group_left) with the metrics in scope of the grouping (PromQL). */
  groupings: { label: string; metrics: string[] }[];
  /** Stream-selector labels (LogQL). */
  streamLabels: string[];
  /** Labels filtered or grouped on after the selector: structured metadata or stream labels (LogQL). */
  pipelineLabels: string[];
}

function errorsOf(tree: Tree, text: string): string[] {
  const out: string[] = [];
  tree.iterate({
    enter(n) {
      if (n.type.isError) out.push(`${JSON.stringify(text.slice(Math.max(0, n.from - 15), n.to + 15))} at ${n.from}`);
    },
  });
  return out;
}

function children(node: SyntaxNode, name: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name === name) out.push(c);
  return out;
}

function descendants(node: SyntaxNode, name: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const cursor = node.cursor();
  const end = node.to;
  const start = node.from;
  do {
    if (cursor.from >= start && cursor.to <= end && cursor.name === name) out.push(cursor.node);
  } while (cursor.next() && cursor.from < end);
  return out;
}

/** Parses PromQL (already substituted) and lists what it uses. */
export function parsePromql(expr: string): QueryUse {
  const tree = promqlParser.parse(expr);
  const use: QueryUse = {
    errors: errorsOf(tree, expr),
    metrics: [],
    matchers: [],
    groupings: [],
    streamLabels: [],
    pipelineLabels: [],
  };
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  const metricOf = (selector: SyntaxNode) => {
    const id = children(selector, 'Identifier')[0];
    return id ? text(id) : '';
  };
  for (const sel of descendants(tree.topNode, 'VectorSelector')) {
    const metric = metricOf(sel);
    use.metrics.push(metric);
    for (const lm of children(sel, 'LabelMatchers')) {
      for (const m of descendants(lm, 'LabelName')) use.matchers.push({ metric, label: text(m) });
    }
  }
  for (const g of descendants(tree.topNode, 'GroupingLabels')) {
    // Scope: the aggregation (its argument) or the binary expression (both sides) it modifies.
    let scope: SyntaxNode | null = g.parent;
    while (scope && scope.name !== 'AggregateExpr' && scope.name !== 'BinaryExpr') scope = scope.parent;
    const metrics = scope ? descendants(scope, 'VectorSelector').map(metricOf) : [];
    for (const l of children(g, 'LabelName')) use.groupings.push({ label: text(l), metrics });
  }
  return use;
}

/** Parses LogQL (already substituted) and lists the labels it uses. */
export function parseLogql(expr: string): QueryUse {
  const tree = logqlParser.parse(expr);
  const use: QueryUse = {
    errors: errorsOf(tree, expr),
    metrics: [],
    matchers: [],
    groupings: [],
    streamLabels: [],
    pipelineLabels: [],
  };
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  for (const sel of descendants(tree.topNode, 'Selector')) {
    for (const m of descendants(sel, 'Matcher')) {
      const id = children(m, 'Identifier')[0];
      if (id) use.streamLabels.push(text(id));
    }
  }
  for (const f of descendants(tree.topNode, 'LabelFilter')) {
    for (const m of descendants(f, 'Matcher')) {
      const id = children(m, 'Identifier')[0];
      if (id) use.pipelineLabels.push(text(id));
    }
  }
  for (const g of descendants(tree.topNode, 'Grouping')) {
    for (const id of descendants(g, 'Identifier')) use.pipelineLabels.push(text(id));
  }
  return use;
}

/**
 * A Grafana Prometheus variable query as PromQL: `query_result(expr)` → expr;
 * `label_values(selector, label)` → the selector plus a synthetic grouping on `label`.
 */
export function parseVariableQuery(query: string): QueryUse {
  const qr = /^query_result\((.*)\)$/s.exec(query);
  if (qr) return parsePromql(qr[1] as string);
  const lv = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/s.exec(query);
  if (lv) {
    const use = parsePromql(lv[1] as string);
    use.groupings.push({ label: lv[2] as string, metrics: use.metrics });
    return use;
  }
  return {
    errors: [`not a label_values/query_result query: ${query}`],
    metrics: [],
    matchers: [],
    groupings: [],
    streamLabels: [],
    pipelineLabels: [],
  };
}
