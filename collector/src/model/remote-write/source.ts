/**
 * The lazy-batch source a remote-write receiver hands the pipeline (../lazy-metrics.ts): the
 * scanned request bytes, plus how to see one series in OTLP form. The prometheusremotewrite
 * exporter relays from it without materialising (exporters/prometheus-remote-write/relay.ts).
 */
import { type MetricsSource, metricsSource } from '../lazy-metrics.js';
import type { MetricsData } from '../types.js';
import type { ScannedWriteRequest } from './scan.js';

/** `MetricsSource.kind` of remote-write batches. */
export const REMOTE_WRITE_SOURCE_KIND = 'prometheus-remote-write';

/** A remote-write request carried unmaterialised. */
export interface RemoteWriteSource extends MetricsSource {
  readonly kind: typeof REMOTE_WRITE_SOURCE_KIND;
  readonly scan: ScannedWriteRequest;
  /**
   * Series `i` alone, in the OTLP form `materialise` would give it, with one placeholder sample
   * (value 0 at time 0): what its labels become, for consumers that cache that per series.
   */
  seriesShape(i: number): MetricsData;
  /**
   * The same source over `bytes`, which must hold exactly `scan.bytes`' content (a view into a
   * merged request): merging (./concat.ts) rebases its parts so that they stop holding their own
   * copies of the bytes.
   */
  withBytes(bytes: Buffer): RemoteWriteSource;
}

/** The remote-write source of a batch nobody has materialised yet, else undefined. */
export function remoteWriteSource(data: MetricsData): RemoteWriteSource | undefined {
  const source = metricsSource(data);
  return source?.kind === REMOTE_WRITE_SOURCE_KIND ? (source as RemoteWriteSource) : undefined;
}
