/**
 * The series and label-value budgets of the cardinality limiter, per metric name. Memory is
 * bounded: at most `max_metrics` names, each with at most `max_series_per_metric` series, and
 * label values are only recorded for admitted series. Entries not seen for `series_ttl` are
 * swept, which frees their budget. Existing series are always admitted.
 */
import type { CardinalityLimiterConfig } from './config.js';

/** What to do with one data point. */
export type Verdict =
  | { readonly kind: 'admit' }
  /** Over budget: drop the point (action drop, or too many metric names). */
  | { readonly kind: 'drop'; readonly labels: readonly string[] }
  /** Over budget on labels only: remove these labels and mark the point as overflow. */
  | { readonly kind: 'fold_labels'; readonly labels: readonly string[] }
  /** Over the series budget: replace every attribute with the overflow marker. */
  | { readonly kind: 'fold_all' };

interface MetricState {
  readonly series: Map<string, number>;
  readonly labels: Map<string, Map<string, number>>;
}

const ADMIT: Verdict = { kind: 'admit' };
const FOLD_ALL: Verdict = { kind: 'fold_all' };
const TOO_MANY_METRICS: Verdict = { kind: 'drop', labels: [] };

/** Budgets for every metric name seen by one processor instance. */
export class SeriesBudget {
  private readonly metrics = new Map<string, MetricState>();
  private readonly labelLimits: ReadonlyMap<string, number>;
  private readonly hasLabelLimits: boolean;

  constructor(private readonly config: CardinalityLimiterConfig) {
    this.labelLimits = new Map(Object.entries(config.label_limits));
    this.hasLabelLimits = config.max_label_values > 0 || [...this.labelLimits.values()].some((n) => n > 0);
  }

  /** Series tracked over every metric (a gauge). */
  get seriesCount(): number {
    let n = 0;
    for (const m of this.metrics.values()) n += m.series.size;
    return n;
  }

  /** Metric names tracked. */
  get metricCount(): number {
    return this.metrics.size;
  }

  /**
   * Decides for a point of `metric` with series key `key` and label `labels` (name, value pairs);
   * admitted series and their label values are recorded with `now`.
   */
  check(metric: string, key: string, labels: readonly (readonly [string, string])[], now: number): Verdict {
    let state = this.metrics.get(metric);
    if (!state) {
      if (this.metrics.size >= this.config.max_metrics) return TOO_MANY_METRICS;
      state = { series: new Map(), labels: new Map() };
      this.metrics.set(metric, state);
    }
    if (state.series.has(key)) {
      state.series.set(key, now);
      if (this.hasLabelLimits) for (const [name, value] of labels) state.labels.get(name)?.set(value, now);
      return ADMIT;
    }
    let over: string[] | undefined;
    if (this.hasLabelLimits) {
      for (const [name, value] of labels) {
        const limit = this.labelLimits.get(name) ?? this.config.max_label_values;
        if (limit === 0) continue;
        const values = state.labels.get(name);
        if (values && !values.has(value) && values.size >= limit) (over ??= []).push(name);
      }
    }
    const seriesFull = state.series.size >= this.config.max_series_per_metric;
    if (!over && !seriesFull) {
      this.admit(state, key, labels, now);
      return ADMIT;
    }
    if (this.config.action === 'drop') return { kind: 'drop', labels: over ?? [] };
    return seriesFull ? FOLD_ALL : { kind: 'fold_labels', labels: over as string[] };
  }

  /** Records a series the processor folded labels out of, if it fits (its labels are within budget). */
  admitFolded(metric: string, key: string, labels: readonly (readonly [string, string])[], now: number): boolean {
    const state = this.metrics.get(metric);
    if (!state) return false;
    if (state.series.has(key)) {
      state.series.set(key, now);
      return true;
    }
    if (state.series.size >= this.config.max_series_per_metric) return false;
    this.admit(state, key, labels, now);
    return true;
  }

  private admit(state: MetricState, key: string, labels: readonly (readonly [string, string])[], now: number): void {
    state.series.set(key, now);
    if (!this.hasLabelLimits) return;
    for (const [name, value] of labels) {
      let values = state.labels.get(name);
      if (!values) state.labels.set(name, (values = new Map()));
      values.set(value, now);
    }
  }

  /** Forgets series, label values and metrics not seen since `now - series_ttl`. */
  sweep(now: number): void {
    const cutoff = now - this.config.series_ttl;
    for (const [name, state] of this.metrics) {
      for (const [k, seen] of state.series) if (seen < cutoff) state.series.delete(k);
      for (const [label, values] of state.labels) {
        for (const [v, seen] of values) if (seen < cutoff) values.delete(v);
        if (values.size === 0) state.labels.delete(label);
      }
      if (state.series.size === 0) this.metrics.delete(name);
    }
  }
}
