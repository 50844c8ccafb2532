/**
 * Feeds Stitch's own histograms (./histogram.ts) into the OpenTelemetry SDK through its
 * MetricProducer extension point (`PeriodicExportingMetricReader({ metricProducers })`), so they
 * are exported by the same reader, exporter and resource as every SDK instrument. Exemplars ride
 * on the produced data points in a side table (./exemplars.ts) that the exporter's serializer reads.
 */
import { ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type Histogram,
  type HistogramMetricData,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { setExemplars } from './exemplars.js';
import { ExemplarHistogram, type HistogramDescriptor } from './histogram.js';

/** The instrumentation scope of everything Stitch records. */
export const INSTRUMENTATION_SCOPE = { name: '@stitch/instrumentation', version: '0.1.0' } as const;

/**
 * Owns the exemplar histograms of one telemetry setup. `temporality` must match the reader's
 * choice for histograms (setupTelemetry sets it); with DELTA each collection resets the series,
 * so give each producer one reader.
 */
export class StitchMetricProducer implements MetricProducer {
  private readonly histograms = new Map<string, ExemplarHistogram>();

  constructor(public temporality: AggregationTemporality = AggregationTemporality.CUMULATIVE) {}

  /** The histogram named `descriptor.name`, created on first call (later calls return the same one). */
  histogram(descriptor: HistogramDescriptor): ExemplarHistogram {
    let h = this.histograms.get(descriptor.name);
    if (h === undefined) {
      h = new ExemplarHistogram(descriptor);
      this.histograms.set(descriptor.name, h);
    }
    return h;
  }

  /** Called by the reader at each collection: snapshots every series that has data. */
  async collect(): Promise<CollectionResult> {
    const nowMs = Date.now();
    const endTime = millisToHrTime(nowMs);
    const metrics: HistogramMetricData[] = [];
    for (const h of this.histograms.values()) {
      const dataPoints: DataPoint<Histogram>[] = [];
      for (const s of h.allSeries()) {
        if (s.count === 0) continue;
        const point: DataPoint<Histogram> = {
          startTime: millisToHrTime(s.startTimeMs),
          endTime,
          attributes: s.attributes,
          value: {
            buckets: { boundaries: h.descriptor.boundaries as number[], counts: Array.from(s.counts) },
            count: s.count,
            sum: s.sum,
            min: s.min,
            max: s.max,
          },
        };
        const ex = s.takeExemplars();
        if (ex !== undefined) setExemplars(point, ex);
        dataPoints.push(point);
        if (this.temporality === AggregationTemporality.DELTA) s.reset(nowMs);
      }
      if (dataPoints.length === 0) continue;
      const { name, description, unit } = h.descriptor;
      metrics.push({
        descriptor: { name, description, unit, valueType: ValueType.DOUBLE },
        aggregationTemporality: this.temporality,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints,
      });
    }
    return {
      resourceMetrics: {
        resource: emptyResource(),
        scopeMetrics: metrics.length ? [{ scope: INSTRUMENTATION_SCOPE, metrics }] : [],
      },
      errors: [],
    };
  }
}
