/**
 * Stitch's panel and variable vocabulary on top of the Grafana Foundation SDK builders: every
 * panel gets a datasource by UID, a unit, refIds and a visible legend; every query variable is
 * typed against the catalogue. Keeps the four dashboard files down to what they show.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as logs from '@grafana/grafana-foundation-sdk/logs';
import * as loki from '@grafana/grafana-foundation-sdk/loki';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as text from '@grafana/grafana-foundation-sdk/text';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { LOKI, PROMETHEUS } from './datasources.js';

/** The Grafana units the dashboards use (Grafana's unit IDs). */
export type Unit = 'reqps' | 'percentunit' | 's' | 'short' | 'bytes' | 'cps' | 'none';

/** One PromQL query of a panel. */
export interface PromQuery {
  expr: string;
  /** Legend template (`{{http_route}}`). */
  legend?: string;
  /** Ask Prometheus for exemplars (histogram bucket queries). */
  exemplar?: boolean;
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function promTarget(q: PromQuery, i: number): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(PROMETHEUS)
    .refId(REF_IDS[i] as string)
    .expr(q.expr)
    .legendFormat(q.legend ?? '__auto')
    .exemplar(q.exemplar ?? false)
    .range();
}

function legend(): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder()
    .displayMode(common.LegendDisplayMode.List)
    .placement(common.LegendPlacement.Bottom)
    .showLegend(true)
    .calcs([]);
}

/** What a time-series panel shows. */
export interface TimeseriesSpec {
  title: string;
  description: string;
  unit: Unit;
  queries: PromQuery[];
  /** Grid width out of 24 (default 12). */
  span?: number;
  min?: number;
  max?: number;
}

/** A Prometheus time-series panel. */
export function timeseriesPanel(spec: TimeseriesSpec): timeseries.PanelBuilder {
  const b = new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(PROMETHEUS)
    .unit(spec.unit)
    .span(spec.span ?? 12)
    .height(8)
    .legend(legend())
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending))
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never);
  if (spec.min !== undefined) b.min(spec.min);
  if (spec.max !== undefined) b.max(spec.max);
  spec.queries.forEach((q, i) => {
    b.withTarget(promTarget(q, i));
  });
  return b;
}

/** What a stat panel shows: one instant query reduced to its last value. */
export interface StatSpec {
  title: string;
  description: string;
  unit: Unit;
  query: PromQuery;
  span?: number;
  /** Value above which the stat turns red (in the panel's unit). */
  redAbove?: number;
}

/** A single-number Prometheus panel with a sparkline. */
export function statPanel(spec: StatSpec): stat.PanelBuilder {
  const b = new stat.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(PROMETHEUS)
    .unit(spec.unit)
    .span(spec.span ?? 6)
    .height(4)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .withTarget(promTarget(spec.query, 0));
  if (spec.redAbove !== undefined) {
    b.thresholds(
      new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
        { value: null, color: 'green' },
        { value: spec.redAbove, color: 'red' },
      ]),
    );
  }
  return b;
}

/** One LogQL query of a logs panel. */
export interface LokiQuery {
  expr: string;
  legend?: string;
}

/** A Loki logs panel: newest first, log details on (where the derived-field links show). */
export function logsPanel(spec: { title: string; description: string; queries: LokiQuery[]; span?: number }): logs.PanelBuilder {
  const b = new logs.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(LOKI)
    .span(spec.span ?? 24)
    .height(12)
    .showTime(true)
    .wrapLogMessage(true)
    .enableLogDetails(true)
    .sortOrder(common.LogsSortOrder.Descending)
    .dedupStrategy(common.LogsDedupStrategy.None);
  spec.queries.forEach((q, i) => {
    b.withTarget(
      new loki.DataqueryBuilder()
        .datasource(LOKI)
        .refId(REF_IDS[i] as string)
        .expr(q.expr)
        .queryType('range'),
    );
  });
  return b;
}

/** A Loki metric-query time series (counts over time). */
export function lokiTimeseriesPanel(spec: {
  title: string;
  description: string;
  queries: LokiQuery[];
  span?: number;
}): timeseries.PanelBuilder {
  const b = new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(LOKI)
    .unit('short')
    .span(spec.span ?? 12)
    .height(8)
    .legend(legend())
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(60);
  spec.queries.forEach((q, i) => {
    const t = new loki.DataqueryBuilder()
      .datasource(LOKI)
      .refId(REF_IDS[i] as string)
      .expr(q.expr)
      .queryType('range');
    if (q.legend !== undefined) t.legendFormat(q.legend);
    b.withTarget(t);
  });
  return b;
}

/** A Markdown text panel (variables in it are interpolated by Grafana). */
export function textPanel(spec: { title: string; markdown: string; span?: number; height?: number }): text.PanelBuilder {
  return new text.PanelBuilder()
    .title(spec.title)
    .span(spec.span ?? 24)
    .height(spec.height ?? 4)
    .mode(text.TextMode.Markdown)
    .content(spec.markdown);
}

/** A collapsed-or-open section title. */
export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}

/** A Prometheus query variable; `query` is Grafana's `label_values(…)` or `query_result(…)`. */
export function promVariable(spec: {
  name: string;
  label: string;
  query: string;
  /** Capture group that extracts the value (for `query_result`). */
  regex?: string;
  /** Offer "All" (as `allValue`, a regex) and multi-select. */
  all?: string;
}): dashboard.QueryVariableBuilder {
  const b = new dashboard.QueryVariableBuilder(spec.name)
    .label(spec.label)
    .datasource(PROMETHEUS)
    .query(spec.query)
    .definition(spec.query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
  if (spec.regex !== undefined) b.regex(spec.regex);
  if (spec.all !== undefined) b.includeAll(true).allValue(spec.all).multi(true);
  return b;
}

/** A free-text variable (an ID pasted or set by a link's `var-<name>=`). */
export function textVariable(name: string, label: string, defaultValue = ''): dashboard.TextBoxVariableBuilder {
  return new dashboard.TextBoxVariableBuilder(name).label(label).defaultValue(defaultValue);
}

/** A dashboard link (top of the dashboard) to a URL that may use variables. */
export function urlLink(spec: {
  title: string;
  url: string;
  tooltip: string;
  keepTime?: boolean;
}): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder(spec.title)
    .type(dashboard.DashboardLinkType.Link)
    .url(spec.url)
    .tooltip(spec.tooltip)
    .icon('external link')
    .targetBlank(true)
    .keepTime(spec.keepTime ?? false)
    .includeVars(false)
    .asDropdown(false)
    .tags([]);
}

/** Links to the other Stitch dashboards (by tag), keeping time and variables. */
export function stitchDashboardsLink(): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder('Stitch')
    .type(dashboard.DashboardLinkType.Dashboards)
    .tags(['stitch'])
    .asDropdown(true)
    .keepTime(true)
    .includeVars(false)
    .targetBlank(false)
    .icon('external link')
    .tooltip('The other Stitch dashboards');
}

/** The common dashboard settings: tags, time, refresh, shared crosshair. */
export function stitchDashboard(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['stitch'])
    .editable()
    .timezone('browser')
    .time({ from: 'now-1h', to: 'now' })
    .refresh('1m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(stitchDashboardsLink());
}
