/**
 * Merging and splitting lazy metrics batches (./lazy-metrics.ts) without materialising them, for
 * the batch processor: batches of one source kind merge into one lazy batch of that kind (the
 * request bytes concatenated, the scans shifted: otlp-metrics/concat.ts, remote-write/concat.ts),
 * so the prometheusremotewrite exporter's fast paths still apply after `batch`. Anything else
 * (ordinary batches, mixed kinds, a batch somebody already read) answers undefined and the caller
 * takes the object path. See README.md "Lazy metrics".
 */

import { createLazyMetrics } from './lazy-metrics.js';
import { concatMetricsScans, splitMetricsScan } from './otlp-metrics/concat.js';
import { lazyOtlpMetrics, type OtlpMetricsSource, otlpMetricsSource } from './otlp-metrics/source.js';
import { concatRemoteWriteSources } from './remote-write/concat.js';
import { type RemoteWriteSource, remoteWriteSource } from './remote-write/source.js';
import type { MetricsData } from './types.js';

/**
 * One lazy batch holding every part's data in order, when every part is an unread lazy batch of
 * the same kind (OTLP protobuf or remote-write); else undefined. A single part is returned as is.
 */
export function mergeLazyMetrics(parts: readonly MetricsData[]): MetricsData | undefined {
  if (parts.length === 0) return undefined;
  if (parts.length === 1)
    return otlpMetricsSource(parts[0] as MetricsData) || remoteWriteSource(parts[0] as MetricsData) ? parts[0] : undefined;
  const first = parts[0] as MetricsData;
  if (otlpMetricsSource(first)) {
    const scans = [];
    for (const p of parts) {
      const s = otlpMetricsSource(p);
      if (!s) return undefined;
      scans.push(s.scan);
    }
    return lazyOtlpMetrics(concatMetricsScans(scans));
  }
  if (remoteWriteSource(first)) {
    const sources: RemoteWriteSource[] = [];
    for (const p of parts) {
      const s = remoteWriteSource(p);
      if (!s) return undefined;
      sources.push(s);
    }
    return createLazyMetrics(concatRemoteWriteSources(sources));
  }
  return undefined;
}

/**
 * Splits an unread lazy OTLP batch after as many whole resources as hold at most `maxPoints`
 * points: [head, rest] lazy batches, or undefined (not such a batch, or no resource boundary
 * fits: the caller splits the OTLP objects instead).
 */
export function splitLazyMetrics(data: MetricsData, maxPoints: number): [MetricsData, MetricsData] | undefined {
  const source: OtlpMetricsSource | undefined = otlpMetricsSource(data);
  if (!source) return undefined;
  const pieces = splitMetricsScan(source.scan, maxPoints);
  if (!pieces) return undefined;
  return [lazyOtlpMetrics(pieces[0]), lazyOtlpMetrics(pieces[1])];
}
