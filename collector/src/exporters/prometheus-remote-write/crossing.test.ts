import { describe, expect, it } from 'vitest';
import { encodeRequest } from '../../model/otlp-codec.js';
import { type ScannedMetricsRequest, scanMetricsRequest } from '../../model/otlp-metrics/scan.js';
import { CrossingPool, packBytes, packScan, unpackScan } from './crossing.js';

const request = Buffer.from(
  encodeRequest(
    'metrics',
    {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'queue.depth',
                  gauge: {
                    dataPoints: [
                      {
                        attributes: [{ key: 'q', value: { stringValue: 'a' } }],
                        timeUnixNano: '1700000000000000000',
                        asDouble: 1.5,
                      },
                      { attributes: [{ key: 'q', value: { stringValue: 'b' } }], timeUnixNano: '1700000000000000000', asInt: 7 },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    } as never,
    'protobuf',
  ),
);

describe('crossing to the sender thread', () => {
  it('packs a scan into one buffer and gives back the same scan, as views', () => {
    const scan = scanMetricsRequest(request) as ScannedMetricsRequest;
    expect(scan).toBeDefined();
    const pool = new CrossingPool();
    const { buffer, layout } = packScan(scan, pool);
    const back = unpackScan<ScannedMetricsRequest>(buffer, layout);
    expect(back.bytes.equals(scan.bytes)).toBe(true);
    expect(back.bytes.buffer).toBe(buffer);
    for (const [key, value] of Object.entries(scan)) {
      if (key === 'bytes') continue;
      if (typeof value === 'number') expect(back[key as keyof ScannedMetricsRequest], key).toBe(value);
      else {
        expect(back[key as keyof ScannedMetricsRequest], key).toEqual(value);
        expect((back[key as keyof ScannedMetricsRequest] as Int32Array).buffer, key).toBe(buffer);
      }
    }
  });

  it('reuses buffers that came home, by size class, and refuses what it cannot pack', () => {
    const pool = new CrossingPool(131_072);
    const a = packBytes(Buffer.alloc(70_000, 1), pool);
    expect(a.buffer.byteLength).toBe(131_072);
    pool.give(a.buffer);
    const b = packBytes(Buffer.alloc(100_000, 2), pool);
    expect(b.buffer).toBe(a.buffer); // same class: the same memory
    expect(new Uint8Array(b.buffer, 0, b.length).every((x) => x === 2)).toBe(true);
    pool.give(b.buffer);
    pool.give(new ArrayBuffer(131_072)); // past maxHeldBytes: dropped
    expect(packBytes(Buffer.alloc(10), pool).buffer.byteLength).toBe(65_536);
    expect(() => packScan({ bytes: Buffer.alloc(1), note: 'x' } as never, pool)).toThrow(/cannot pack scan field note/);
  });
});
