/**
 * Typed PromQL building: selectors take metric and label names from the catalogue, so a query
 * that filters or groups on a label the pipeline does not emit fails to compile. The functions
 * only assemble strings; tests parse every result with the Prometheus project's own grammar.
 */
import type { HistogramName, LabelOf, MetricName } from './catalogue.js';

/** A label matcher: operator and value (Grafana variables such as `$service` allowed). */
export type Matcher = readonly ['=' | '!=' | '=~' | '!~', string];

/** `label="value"`. */
export const eq = (value: string): Matcher => ['=', value];
/** `label!="value"`. */
export const ne = (value: string): Matcher => ['!=', value];
/** `label=~"regex"`. */
export const re = (value: string): Matcher => ['=~', value];

/** Matchers on the labels of `M`. */
export type Matchers<M extends MetricName> = Partial<Record<LabelOf<M>, Matcher>>;

function render(name: string, matchers: Readonly<Record<string, Matcher | undefined>>): string {
  const parts: string[] = [];
  for (const [label, m] of Object.entries(matchers)) {
    if (m !== undefined) parts.push(`${label}${m[0]}${JSON.stringify(m[1])}`);
  }
  return parts.length === 0 ? name : `${name}{${parts.join(', ')}}`;
}

/** An instant-vector selector of a counter or gauge. */
export function series<M extends MetricName>(metric: M, matchers: Matchers<M> = {}): string {
  return render(metric, matchers);
}

/** A histogram's `_bucket`, `_sum` or `_count` series. */
export function histogramSeries<M extends HistogramName>(
  metric: M,
  part: 'bucket' | 'sum' | 'count',
  matchers: Matchers<M> = {},
): string {
  return render(`${metric}_${part}`, matchers);
}

/** The range Grafana picks for rates: at least four scrape intervals (Grafana's `$__rate_interval`). */
export const RATE_INTERVAL = '$__rate_interval';

/** `rate(selector[$__rate_interval])`. */
export function rate(selector: string, window: string = RATE_INTERVAL): string {
  return `rate(${selector}[${window}])`;
}

/** `op by (labels) (expr)`; without labels, `op(expr)`. */
export function aggregate<M extends MetricName>(
  op: 'sum' | 'max' | 'min' | 'avg' | 'count',
  by: readonly (LabelOf<M> | 'le')[],
  expr: string,
): string {
  return by.length === 0 ? `${op}(${expr})` : `${op} by (${by.join(', ')}) (${expr})`;
}

/** `sum by (by) (rate(selector[$__rate_interval]))`. */
export function sumRate<M extends MetricName>(metric: M, by: readonly LabelOf<M>[], matchers: Matchers<M> = {}): string {
  return aggregate<M>('sum', by, rate(series(metric, matchers)));
}

/** `sum by (by) (rate(<histogram>_count[…]))`: events per second of a histogram. */
export function histogramRate<M extends HistogramName>(metric: M, by: readonly LabelOf<M>[], matchers: Matchers<M> = {}): string {
  return aggregate<M>('sum', by, rate(histogramSeries(metric, 'count', matchers)));
}

/** `histogram_quantile(q, sum by (le, by) (rate(<histogram>_bucket[…])))`. */
export function quantile<M extends HistogramName>(
  q: number,
  metric: M,
  by: readonly LabelOf<M>[],
  matchers: Matchers<M> = {},
): string {
  return `histogram_quantile(${q}, ${aggregate<M>('sum', ['le', ...by], rate(histogramSeries(metric, 'bucket', matchers)))})`;
}

/**
 * `part / total`, where a missing `part` series (no errors yet) counts as 0 instead of making
 * the ratio disappear: `(part or 0 * total) / total`.
 */
export function ratio(part: string, total: string): string {
  return `(${part} or 0 * ${total}) / ${total}`;
}
