/**
 * prom-client bridge: an app that already has a prom-client registry gets those metrics pushed
 * over OTLP too, unchanged: `setupTelemetry({ metricProducers: [promClientProducer(register)] })`.
 *
 * At each collection it reads `registry.getMetricsAsJSON()` (prom-client's public API; no
 * dependency on prom-client itself, any object with that method works) and maps counters to
 * monotonic cumulative sums, gauges to gauges, histograms to explicit-bucket histograms
 * (cumulative `le` buckets become per-bucket counts) and summaries to a gauge per quantile plus
 * `_sum` / `_count` sums (the SDK's data model has no summary type). Names and labels are kept as
 * they are, so the same PromQL works on both paths.
 */
import { type Attributes, ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type Histogram,
  type MetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { errors } from '../errors.js';

/** One value of prom-client's JSON format. */
export interface PromJsonValue {
  value: number;
  /** prom-client types label values as optional (`Partial`); an absent one is left out. */
  labels: Partial<Record<string, string | number>>;
  metricName?: string;
}

/** One metric of prom-client's `getMetricsAsJSON()`. */
export interface PromJsonMetric {
  name: string;
  help: string;
  /** 'counter' | 'gauge' | 'histogram' | 'summary' at run time; prom-client's typings declare an enum. */
  type: unknown;
  values: PromJsonValue[];
}

/** What the bridge needs of a prom-client Registry. */
export interface PromRegistryLike {
  getMetricsAsJSON(): Promise<PromJsonMetric[]> | PromJsonMetric[];
}

/** Options of {@link promClientProducer}. */
export interface PromClientProducerOptions {
  /** Instrumentation scope name of the bridged metrics. Default `prom-client`. */
  scopeName?: string;
}

function attrs(labels: Partial<Record<string, string | number>>, omit?: string): Attributes {
  const out: Attributes = {};
  for (const k in labels) {
    const v = labels[k];
    if (k !== omit && v !== undefined) out[k] = v;
  }
  return out;
}

function key(labels: Partial<Record<string, string | number>>, omit: string): string {
  return JSON.stringify(
    Object.keys(labels)
      .filter((k) => k !== omit)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

/** A MetricProducer over a prom-client registry; see the module comment. */
export function promClientProducer(registry: PromRegistryLike, options: PromClientProducerOptions = {}): MetricProducer {
  const startTime = millisToHrTime(Date.now());
  const scope = { name: options.scopeName ?? 'prom-client' };
  return {
    async collect(): Promise<CollectionResult> {
      let json: PromJsonMetric[];
      try {
        json = await registry.getMetricsAsJSON();
      } catch (err) {
        return {
          resourceMetrics: { resource: emptyResource(), scopeMetrics: [] },
          errors: [errors.STITCH_ERR_PROM_COLLECT([(err as Error)?.message ?? String(err)], err)],
        };
      }
      const endTime = millisToHrTime(Date.now());
      const point = <T>(labels: Partial<Record<string, string | number>>, value: T, omit?: string): DataPoint<T> => ({
        startTime,
        endTime,
        attributes: attrs(labels, omit),
        value,
      });
      const descriptor = (name: string, help: string) => ({ name, description: help, unit: '', valueType: ValueType.DOUBLE });
      const cumulative = AggregationTemporality.CUMULATIVE;
      const metrics: MetricData[] = [];
      for (const m of json) {
        switch (m.type) {
          case 'counter':
            metrics.push({
              descriptor: descriptor(m.name, m.help),
              aggregationTemporality: cumulative,
              dataPointType: DataPointType.SUM,
              isMonotonic: true,
              dataPoints: m.values.map((v) => point(v.labels, v.value)),
            });
            break;
          case 'gauge':
            metrics.push({
              descriptor: descriptor(m.name, m.help),
              aggregationTemporality: cumulative,
              dataPointType: DataPointType.GAUGE,
              dataPoints: m.values.map((v) => point(v.labels, v.value)),
            });
            break;
          case 'histogram': {
            const series = new Map<
              string,
              { labels: Partial<Record<string, string | number>>; le: [number, number][]; sum: number; count: number }
            >();
            for (const v of m.values) {
              const k = key(v.labels, 'le');
              let s = series.get(k);
              if (s === undefined) {
                s = { labels: v.labels, le: [], sum: 0, count: 0 };
                series.set(k, s);
              }
              if (v.metricName === `${m.name}_bucket`)
                s.le.push([v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le), v.value]);
              else if (v.metricName === `${m.name}_sum`) s.sum = v.value;
              else if (v.metricName === `${m.name}_count`) s.count = v.value;
            }
            const dataPoints: DataPoint<Histogram>[] = [];
            for (const s of series.values()) {
              s.le.sort((a, b) => a[0] - b[0]);
              const boundaries = s.le.filter(([le]) => Number.isFinite(le)).map(([le]) => le);
              const counts = s.le.map(([, c], i) => c - (i === 0 ? 0 : s.le[i - 1]![1]));
              if (counts.length === boundaries.length) counts.push(s.count - (s.le.at(-1)?.[1] ?? 0));
              dataPoints.push(point(s.labels, { buckets: { boundaries, counts }, sum: s.sum, count: s.count }, 'le'));
            }
            metrics.push({
              descriptor: descriptor(m.name, m.help),
              aggregationTemporality: cumulative,
              dataPointType: DataPointType.HISTOGRAM,
              dataPoints,
            });
            break;
          }
          case 'summary': {
            const quantiles = m.values.filter((v) => v.metricName === undefined || v.metricName === m.name);
            metrics.push({
              descriptor: descriptor(m.name, m.help),
              aggregationTemporality: cumulative,
              dataPointType: DataPointType.GAUGE,
              dataPoints: quantiles.map((v) => point(v.labels, v.value)),
            });
            for (const suffix of ['_sum', '_count']) {
              metrics.push({
                descriptor: descriptor(m.name + suffix, m.help),
                aggregationTemporality: cumulative,
                dataPointType: DataPointType.SUM,
                isMonotonic: true,
                dataPoints: m.values.filter((v) => v.metricName === m.name + suffix).map((v) => point(v.labels, v.value)),
              });
            }
            break;
          }
          default:
            break;
        }
      }
      return { resourceMetrics: { resource: emptyResource(), scopeMetrics: [{ scope, metrics }] }, errors: [] };
    },
  };
}
