/**
 * The Prometheus text exposition format (0.0.4) and OpenMetrics 1.0 text, written from series
 * that the prometheusremotewrite exporter's translator produced (names, labels, buckets): one
 * `# HELP` / `# TYPE` block per family, its lines contiguous, histogram lines in bucket order,
 * label values escaped, exemplars (OpenMetrics only) on `_bucket` and `_total` lines. Written by
 * hand: prom-client renders only its own registry's metrics, not series handed to it.
 */
import { type Exemplar, type Label, METRIC_NAME_LABEL, MetricType } from '../../model/remote-write/types.js';
import { formatFloat } from '../prometheus-remote-write/naming.js';

/** The content type of the Prometheus text format. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** The content type of OpenMetrics text. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** A metric family's metadata. */
export interface Family {
  name: string;
  type: MetricType;
  help: string;
}

/** The latest sample of one series, as the exporter holds it. */
export interface HeldSeries {
  family: string;
  /** The series name (`foo_bucket`, `foo_total`, …). */
  name: string;
  /** Labels without `__name__`, sorted. */
  labels: Label[];
  value: number;
  timestampMs: number;
  exemplar: Exemplar | undefined;
  /** Sort keys inside the family (see orderOf). */
  group: string;
  rank: number;
  le: number;
}

const SUFFIX_RANK: Record<string, number> = { _bucket: 0, _count: 1, _sum: 2, _created: 3 };

/** The family a series belongs to, given the families declared so far. */
export function familyOf(name: string, families: ReadonlyMap<string, Family>): string {
  if (families.has(name)) return name;
  for (const suffix of ['_bucket', '_count', '_sum', '_created']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (families.has(base)) return base;
      if (families.has(`${base}_total`)) return `${base}_total`; // a counter's _created
    }
  }
  return name;
}

/** The sort position of a series inside its family: buckets by `le` (+Inf last), then _count, _sum, _created. */
export function orderOf(name: string, family: string, labels: readonly Label[]): { group: string; rank: number; le: number } {
  let group = '';
  let le = 0;
  for (const l of labels) {
    if (l.name === 'le') le = l.value === '+Inf' ? Number.POSITIVE_INFINITY : Number(l.value);
    else group += `${l.name}\u0000${l.value}\u0000`;
  }
  return { group, rank: SUFFIX_RANK[name.slice(family.length)] ?? 0, le };
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function labelText(labels: readonly Label[]): string {
  let out = '';
  for (const l of labels) {
    if (l.name === METRIC_NAME_LABEL) continue;
    out += `${out === '' ? '' : ','}${l.name}="${escapeLabelValue(l.value)}"`;
  }
  return out === '' ? '' : `{${out}}`;
}

const TEXT_TYPES: Partial<Record<MetricType, string>> = {
  [MetricType.COUNTER]: 'counter',
  [MetricType.GAUGE]: 'gauge',
  [MetricType.HISTOGRAM]: 'histogram',
  [MetricType.SUMMARY]: 'summary',
};

function typeName(family: Family | undefined, name: string, openMetrics: boolean): { type: string; declared: string } {
  let type = family ? TEXT_TYPES[family.type] : undefined;
  if (type === undefined && name.endsWith('target_info')) type = 'gauge';
  if (type === undefined) return { type: openMetrics ? 'unknown' : 'untyped', declared: name };
  if (openMetrics && type === 'counter') {
    // OpenMetrics names the counter family without `_total` and requires it on the sample; a
    // counter without the suffix (add_metric_suffixes: false) can only be `unknown` there.
    return name.endsWith('_total') ? { type, declared: name.slice(0, -'_total'.length) } : { type: 'unknown', declared: name };
  }
  return { type, declared: name };
}

function compareSeries(a: HeldSeries, b: HeldSeries): number {
  if (a.group !== b.group) return a.group < b.group ? -1 : 1;
  if (a.rank !== b.rank) return a.rank - b.rank;
  return a.le === b.le ? 0 : a.le < b.le ? -1 : 1;
}

/** Renders every held series, family by family (sorted by name). */
export function renderExposition(
  series: Iterable<HeldSeries>,
  families: ReadonlyMap<string, Family>,
  options: { openMetrics: boolean; sendTimestamps: boolean },
): string {
  const byFamily = new Map<string, HeldSeries[]>();
  for (const s of series) {
    let list = byFamily.get(s.family);
    if (list === undefined) byFamily.set(s.family, (list = []));
    list.push(s);
  }
  const names = [...byFamily.keys()].sort();
  const lines: string[] = [];
  for (const name of names) {
    const list = (byFamily.get(name) as HeldSeries[]).sort(compareSeries);
    const family = families.get(name);
    const { type, declared } = typeName(family, name, options.openMetrics);
    if (family?.help) lines.push(`# HELP ${declared} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${declared} ${type}`);
    for (const s of list) {
      let line = `${s.name}${labelText(s.labels)} ${formatFloat(s.value)}`;
      if (options.sendTimestamps) line += ` ${options.openMetrics ? String(s.timestampMs / 1000) : String(s.timestampMs)}`;
      if (options.openMetrics && s.exemplar !== undefined && (s.name.endsWith('_bucket') || s.name.endsWith('_total'))) {
        const e = s.exemplar;
        line += ` # ${labelText(e.labels) || '{}'} ${formatFloat(e.value)} ${String(e.timestamp / 1000)}`;
      }
      lines.push(line);
    }
  }
  if (options.openMetrics) lines.push('# EOF');
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
