import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { MetricsData } from '../../model/types.js';
import { attributesToObject, objectToAttributes } from '../../model/values.js';
import { CollectingConsumer, testSettings } from '../../testing/index.js';
import { resourceConfigSchema } from './config.js';
import { createResourceProcessor } from './processor.js';

// The contrib resourceprocessor README example.
const README = parse(`
attributes:
  - key: cloud.availability_zone
    value: "zone-1"
    action: upsert
  - key: k8s.cluster.name
    from_attribute: k8s-cluster
    action: insert
  - key: redundant-attribute
    action: delete
`);

describe('resource processor', () => {
  it('applies the README example to every resource, and creates a missing resource', async () => {
    const next = new CollectingConsumer('metrics');
    const p = createResourceProcessor(testSettings('resource', 'processor'), resourceConfigSchema.parse(README), 'metrics', next);
    const md: MetricsData = {
      resourceMetrics: [
        {
          resource: {
            attributes: objectToAttributes({
              'k8s-cluster': 'prod',
              'redundant-attribute': 'x',
              'cloud.availability_zone': 'z9',
            }),
          },
          scopeMetrics: [],
        },
        { scopeMetrics: [] },
      ],
    };
    await p.consume(md);
    const out = (next.batches[0] as MetricsData).resourceMetrics.map((r) => attributesToObject(r.resource?.attributes));
    expect(out).toEqual([
      { 'k8s-cluster': 'prod', 'cloud.availability_zone': 'zone-1', 'k8s.cluster.name': 'prod' },
      { 'cloud.availability_zone': 'zone-1' },
    ]);
  });

  it('requires at least one action, as the Collector does', () => {
    const r = resourceConfigSchema.safeParse({});
    expect(r.error?.issues[0]?.message).toMatch(/at least one action/);
  });

  it('rejects after shutdown', async () => {
    const p = createResourceProcessor(
      testSettings('resource', 'processor'),
      resourceConfigSchema.parse(README),
      'logs',
      new CollectingConsumer('logs'),
    );
    await p.shutdown();
    await expect(p.consume({ resourceLogs: [] })).rejects.toMatchObject({ code: 'STITCH_ERR_SHUTDOWN' });
  });
});
