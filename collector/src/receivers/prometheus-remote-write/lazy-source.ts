/**
 * The lazy batch of a scanned remote-write request (model/lazy-metrics.ts): the OTLP form is
 * built only if a consumer reads it, and the prometheusremotewrite exporter relays the bytes
 * (exporters/prometheus-remote-write/relay.ts). Shared by the receiver and the exporter's worker
 * thread, which rebuilds the source of a request the receiver scanned.
 */
import { decodeWriteRequest } from '../../model/remote-write/decode.js';
import { type ScannedWriteRequest, scannedLabels } from '../../model/remote-write/scan.js';
import { REMOTE_WRITE_SOURCE_KIND, type RemoteWriteSource } from '../../model/remote-write/source.js';
import type { RemoteWriteToOtlp } from './translate.js';

/**
 * The source over `scan`, translated by `translator` when materialised. The scan only takes
 * plain float series without metadata, so a series' shape depends on the translator's
 * remembered family types only for `…_total` names (gauge or counter), which the exporter
 * labels alike: a fresh translator (the worker's) gives the same series.
 */
export function remoteWriteLazySource(scan: ScannedWriteRequest, translator: RemoteWriteToOtlp): RemoteWriteSource {
  return {
    kind: REMOTE_WRITE_SOURCE_KIND,
    points: scan.samples,
    scan,
    materialise: () => translator.translate(decodeWriteRequest(scan.bytes)).data,
    seriesShape: (i) =>
      translator.translate({
        timeseries: [{ labels: scannedLabels(scan, i), samples: [{ value: 0, timestamp: 0 }], exemplars: [], histograms: [] }],
        metadata: [],
      }).data,
    withBytes: (bytes) => remoteWriteLazySource({ ...scan, bytes }, translator),
  };
}
