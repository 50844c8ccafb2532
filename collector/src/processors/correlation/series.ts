/**
 * Names a metric data point the way the prometheusremotewrite exporter will (with its default
 * options: no namespace, unit and type suffixes on), so the correlation index can hand out PromQL
 * that finds the series in Prometheus: `job` from service.namespace/service.name, the point's
 * attributes as sanitised labels, `_bucket` for classic histograms (their exemplars sit on the
 * bucket series).
 */
import { type SeriesRef, seriesRef } from '@stitch/correlation';
import { createNamer, type NameKind } from '../../exporters/prometheus-remote-write/naming.js';
import type { KeyValue, Metric } from '../../model/types.js';
import { anyValueToString, getStringAttribute } from '../../model/values.js';

const namer = createNamer({ namespace: '', addMetricSuffixes: true });

/** The Prometheus kind of a metric, and the selector suffix its exemplars live under. */
export function metricKind(m: Metric): { kind: NameKind; suffix: string } | undefined {
  if (m.histogram) return { kind: 'histogram', suffix: '_bucket' };
  if (m.exponentialHistogram) return { kind: 'histogram', suffix: '' };
  if (m.sum) return { kind: m.sum.isMonotonic ? 'counter' : 'gauge', suffix: '' };
  if (m.gauge) return { kind: 'gauge', suffix: '' };
  return undefined;
}

/** The `job` label the exporter derives from a resource, or undefined. */
export function jobOf(resourceAttributes: readonly KeyValue[] | undefined): string | undefined {
  const name = getStringAttribute(resourceAttributes, 'service.name');
  if (name === undefined || name === '') return undefined;
  const ns = getStringAttribute(resourceAttributes, 'service.namespace');
  return ns ? `${ns}/${name}` : name;
}

/**
 * Interns SeriesRefs so every ID pointing at one series shares one object (the index holds
 * references, not copies). Bounded: cleared when full (series in use are few).
 */
export class SeriesNamer {
  private readonly cache = new Map<string, SeriesRef>();

  constructor(private readonly maxSeries = 10_000) {}

  /** The series of one data point of `m` under `job`. */
  seriesOf(m: Metric, job: string | undefined, attributes: readonly KeyValue[]): SeriesRef | undefined {
    const k = metricKind(m);
    if (k === undefined) return undefined;
    let cacheKey = `${m.name}\u0000${m.unit ?? ''}\u0000${k.kind}\u0000${job ?? ''}`;
    for (const kv of attributes) cacheKey += `\u0000${kv.key}\u0001${anyValueToString(kv.value)}`;
    let ref = this.cache.get(cacheKey);
    if (ref === undefined) {
      const labels: Record<string, string> = {};
      for (const kv of attributes) labels[namer.labelName(kv.key)] = anyValueToString(kv.value);
      if (job !== undefined) labels.job = job;
      ref = seriesRef(namer.metricName(m.name, m.unit ?? '', k.kind), labels, k.suffix);
      if (this.cache.size >= this.maxSeries) this.cache.clear();
      this.cache.set(cacheKey, ref);
    }
    return ref;
  }
}
