/**
 * The relay planner's position predictions (./relay.ts): whatever requests a sender repeats,
 * reorders or changes, and however often the cache starts over, a plan must be exactly what a
 * planner without history computes for the same request.
 */
import { describe, expect, it } from 'vitest';
import { encodeWriteRequest } from '../../model/remote-write/encode.js';
import { type ScannedWriteRequest, scannedLabels, scanWriteRequest } from '../../model/remote-write/scan.js';
import { REMOTE_WRITE_SOURCE_KIND, type RemoteWriteSource } from '../../model/remote-write/source.js';
import type { TimeSeries } from '../../model/remote-write/types.js';
import { createRemoteWriteToOtlp } from '../../receivers/prometheus-remote-write/translate.js';
import { seededPicker } from '../../testing/random.js';
import { prometheusRemoteWriteConfigSchema } from './config.js';
import { seriesHash } from './exporter.js';
import { createRelay, type RelayPlan } from './relay.js';
import { createTranslator, type TranslateOptions, translateOptionsOf } from './translate.js';

const OPTIONS: TranslateOptions = translateOptionsOf(
  prometheusRemoteWriteConfigSchema.parse({ endpoint: 'http://127.0.0.1:9/api/v1/write' }),
);

const toOtlp = createRemoteWriteToOtlp();

/** A source as the remote-write receiver builds it. */
function source(scan: ScannedWriteRequest): RemoteWriteSource {
  return {
    kind: REMOTE_WRITE_SOURCE_KIND,
    points: scan.samples,
    scan,
    materialise: () => toOtlp.translate({ timeseries: [], metadata: [] }).data,
    seriesShape: (i) =>
      toOtlp.translate({
        timeseries: [{ labels: scannedLabels(scan, i), samples: [{ value: 0, timestamp: 0 }], exemplars: [], histograms: [] }],
        metadata: [],
      }).data,
    withBytes: (bytes) => source({ ...scan, bytes }),
  };
}

function series(n: number, ts: number): TimeSeries {
  return {
    labels: [
      { name: '__name__', value: `m_${n % 7}` },
      { name: 'instance', value: `pod-${n % 3}` },
      { name: 'route', value: `/r/${n}` },
    ],
    samples: [{ value: n, timestamp: ts }],
    exemplars: [],
    histograms: [],
  };
}

/** What a plan decides: per lane, the series indices and their output keys. */
function decisions(plan: RelayPlan | undefined) {
  return plan?.lanes.map((l) => ({ series: l.series, keys: l.entries.map((e) => e.key) }));
}

describe('relay planner predictions', () => {
  it('plans every request as a planner without history would, through repeats, reorders, edits and cache resets', () => {
    const r = seededPicker(42);
    // The cache holds at least one batch's distinct series (≤ 24 here), so every plan must match;
    // the small ones start over every few batches, often in the middle of one.
    for (const maxEntries of [1_000_000, 30, 25, 24]) {
      const relay = createRelay({
        translator: createTranslator(OPTIONS),
        lanes: 3,
        laneOf: (key) => seriesHash(key) % 3,
        maxEntries,
      });
      let base = Array.from({ length: 20 }, (_, i) => i);
      for (let round = 0; round < 300; round++) {
        const kind = r.int(0, 5);
        if (kind === 1)
          base = [...base].sort(() => r.next() - 0.5); // reordered
        else if (kind === 2)
          base[r.int(1, base.length - 1)] = 100 + r.int(0, 50); // one series replaced
        else if (kind === 3)
          base = base.slice(0, r.int(1, base.length)); // fewer
        else if (kind === 4)
          base = [...base, ...base.slice(0, 2)]; // a duplicate: the full path's case
        else if (kind === 5 && base.length < 5) base = Array.from({ length: 20 }, (_, i) => i + round);
        const request = { timeseries: base.map((n) => series(n, 1_700_000_000_000 + round)), metadata: [] };
        const scan = scanWriteRequest(encodeWriteRequest(request)) as ScannedWriteRequest;
        const fresh = createRelay({
          translator: createTranslator(OPTIONS),
          lanes: 3,
          laneOf: (key) => seriesHash(key) % 3,
          maxEntries: 1_000_000,
        });
        expect(decisions(relay.plan(source(scan))), `maxEntries ${maxEntries}, round ${round}`).toEqual(
          decisions(fresh.plan(source(scan))),
        );
      }
    }
  });

  it('notices a series twice in one batch when the cache starts over between the two', () => {
    const relay = createRelay({ translator: createTranslator(OPTIONS), lanes: 1, laneOf: () => 0, maxEntries: 4 });
    const scanOf = (ns: number[]) =>
      scanWriteRequest(encodeWriteRequest({ timeseries: ns.map((n) => series(n, 1_700_000_000_000)), metadata: [] }));
    expect(relay.plan(source(scanOf([1, 2, 3]) as ScannedWriteRequest))).toBeDefined();
    // 1 hits the cache, 4 fills it, 5 starts it over, then 1 again: the full path must merge the two.
    expect(relay.plan(source(scanOf([1, 4, 5, 1]) as ScannedWriteRequest))).toBeUndefined();
    expect(decisions(relay.plan(source(scanOf([1, 4, 5]) as ScannedWriteRequest)))?.[0]?.series).toEqual([0, 1, 2]);
  });
});
