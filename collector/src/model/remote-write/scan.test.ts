import { describe, expect, it } from 'vitest';
import { encodeWriteRequest } from './encode.js';
import { scannedLabels, scanWriteRequest } from './scan.js';
import { STALE_NAN, type TimeSeries, type WriteRequest } from './types.js';

const T = 1_700_000_000_000;
const series = (name: string, extra: Partial<TimeSeries> = {}): TimeSeries => ({
  labels: [
    { name: '__name__', value: name },
    { name: 'job', value: 'shop/checkout' },
    { name: 'route', value: '/ä/😀' },
  ],
  samples: [
    { value: 1.5, timestamp: T },
    { value: STALE_NAN, timestamp: T + 1000 },
  ],
  exemplars: [],
  histograms: [],
  ...extra,
});
const scan = (r: WriteRequest) => scanWriteRequest(encodeWriteRequest(r));

describe('scanWriteRequest', () => {
  it('finds each series’ label bytes and samples without decoding them', () => {
    const s = scan({ timeseries: [series('up'), series('down', { samples: [] }), series('x_total')], metadata: [] });
    expect(s).toBeDefined();
    if (!s) return;
    expect(s.seriesCount).toBe(2); // the series without samples carries nothing to relay
    expect(s.samples).toBe(4);
    expect(Array.from(s.sampleTs)).toEqual([T, T + 1000, T, T + 1000]);
    expect(s.bytes.readDoubleLE(s.sampleValue[0] as number)).toBe(1.5);
    // The staleness marker's bytes are there bit for bit.
    expect(s.bytes.readUInt32LE((s.sampleValue[1] as number) + 4)).toBe(0x7ff00000);
    expect(s.bytes.readUInt32LE(s.sampleValue[1] as number)).toBe(2);
    expect(scannedLabels(s, 1)).toEqual(series('x_total').labels);
  });

  it('leaves to the full decoder whatever the relay does not carry', () => {
    const exemplar = { labels: [{ name: 'trace_id', value: 'ab' }], value: 1, timestamp: T };
    const cases: [string, WriteRequest][] = [
      ['metadata', { timeseries: [series('up')], metadata: [{ type: 1, metricFamilyName: 'up', help: 'h', unit: '' }] }],
      ['exemplars', { timeseries: [series('up', { exemplars: [exemplar] })], metadata: [] }],
      ['target_info', { timeseries: [series('target_info')], metadata: [] }],
      ['no name', { timeseries: [{ ...series('up'), labels: [{ name: 'job', value: 'x' }] }], metadata: [] }],
      ['empty name', { timeseries: [series('')], metadata: [] }],
      ['negative timestamp', { timeseries: [series('up', { samples: [{ value: 1, timestamp: -5 }] })], metadata: [] }],
    ];
    for (const [what, request] of cases) expect(scan(request), what).toBeUndefined();
    // Invalid UTF-8 in a label value: the full decoder answers 400 with the reason.
    const bytes = encodeWriteRequest({ timeseries: [series('up')], metadata: [] });
    const at = bytes.indexOf(Buffer.from('/ä'));
    bytes[at + 1] = 0xff;
    expect(scanWriteRequest(bytes)).toBeUndefined();
    // Truncated input.
    expect(scanWriteRequest(encodeWriteRequest({ timeseries: [series('up')], metadata: [] }).subarray(0, 20))).toBeUndefined();
  });
});
