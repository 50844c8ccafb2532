import { describe, expect, it } from 'vitest';
import type { LogsData } from '../model/types.js';
import { objectToAttributes } from '../model/values.js';
import { CollectingConsumer } from '../testing/index.js';
import { tapConsumer } from './consumer.js';
import { SUBSCRIBER_QUEUE, TapHub } from './hub.js';
import { formatRecord, parseFilter } from './render.js';

const logs = (n: number, service = 'checkout'): LogsData => ({
  resourceLogs: [
    {
      resource: { attributes: objectToAttributes({ 'service.name': service }) },
      scopeLogs: [
        {
          logRecords: Array.from({ length: n }, (_, i) => ({
            body: { stringValue: `line ${i}` },
            severityText: 'INFO',
            attributes: objectToAttributes({ i }),
          })),
        },
      ],
    },
  ],
});

describe('tap hub', () => {
  it('does nothing while no one taps, and passes batches through unchanged', async () => {
    const hub = new TapHub();
    const next = new CollectingConsumer('logs');
    const c = tapConsumer(hub, { pipeline: 'logs', after: 'batch', position: 1 }, 'logs', next as never);
    const point = hub.point('logs', 'batch', 'logs', 1);
    expect(point.active).toBe(false);
    const batch = logs(3);
    await c.consume(batch);
    expect(next.batches[0]).toBe(batch);
  });

  it('copies matching records out at once; a slow client gets a bounded queue and a dropped count', async () => {
    const hub = new TapHub();
    const c = tapConsumer(
      hub,
      { pipeline: 'logs', after: 'receiver', position: 0 },
      'logs',
      new CollectingConsumer('logs') as never,
    );
    const sub = hub.subscribe('logs', undefined, [parseFilter('service.name=checkout') as never], 0);
    expect(sub).toBeDefined();
    const batch = logs(400);
    await c.consume(batch);
    await c.consume(logs(5, 'other'));
    // Later edits to the batch do not change what was tapped.
    (batch.resourceLogs[0]?.scopeLogs[0]?.logRecords[0] as { body: unknown }).body = { stringValue: 'edited' };
    const taken = sub?.take() ?? [];
    expect(taken).toHaveLength(SUBSCRIBER_QUEUE);
    expect(taken[0]).toMatchObject({
      name: 'line 0',
      pipeline: 'logs',
      after: 'receiver',
      resource: { 'service.name': 'checkout' },
    });
    expect(sub?.takeDropped()).toBe(400 - SUBSCRIBER_QUEUE);
    expect(formatRecord(taken[1] as never)).toBe('- logs after receiver checkout | INFO "line 1" {i=1}');
    sub?.close();
    expect(hub.point('logs', 'receiver', 'logs', 0).active).toBe(false);
  });

  it('stops after the limit and picks the last point of a pipeline by default', async () => {
    const hub = new TapHub();
    const last = tapConsumer(
      hub,
      { pipeline: 'logs', after: 'attributes', position: 2 },
      'logs',
      new CollectingConsumer('logs') as never,
    );
    tapConsumer(hub, { pipeline: 'logs', after: 'receiver', position: 0 }, 'logs', last);
    const sub = hub.subscribe('logs', undefined, [], 2);
    expect(sub?.point.after).toBe('attributes');
    await last.consume(logs(10));
    expect(sub?.take()).toHaveLength(2);
    expect(hub.subscribe('logs', 'nope', [], 0)).toBeUndefined();
    expect(hub.list().map((p) => p.after)).toEqual(['receiver', 'attributes']);
  });
});
