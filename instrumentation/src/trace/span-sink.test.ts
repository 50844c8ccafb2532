import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { createSpanSink } from './span-sink.js';

describe('span sink', () => {
  it('is bounded: spans past maxQueueSize are dropped and counted; flush sends the rest as protobuf', async () => {
    const bodies: { type: string | undefined; bytes: number }[] = [];
    const server = createServer((req, res) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => {
        bodies.push({ type: req.headers['content-type'], bytes });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
    const sink = createSpanSink({
      resource: resourceFromAttributes({ 'service.name': 's' }),
      scope: { name: 'test' },
      url,
      maxQueueSize: 3,
      maxExportBatchSize: 2,
    });
    try {
      const span = () => {
        const w = sink.begin();
        if (w === undefined) return false;
        w.byte(0x2a); // name
        w.string('x');
        sink.commit();
        return true;
      };
      // two fill a batch (exported at once, in flight), one waits, the fourth does not fit
      expect([span(), span(), span(), span()]).toEqual([true, true, true, false]);
      expect(sink.droppedSpans).toBe(1);
      await sink.forceFlush();
      expect(bodies.map((b) => b.type)).toEqual(['application/x-protobuf', 'application/x-protobuf']);
      expect(span()).toBe(true); // room again once the exports finished
    } finally {
      await sink.shutdown();
      await sink.shutdown(); // idempotent
      server.close();
    }
    expect(sink.begin()).toBeUndefined();
    expect(bodies).toHaveLength(3);
  });
});
