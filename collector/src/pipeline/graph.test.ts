import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type {
  Component,
  ConnectorFactory,
  Consumer,
  ExporterFactory,
  ProcessorFactory,
  ReceiverFactory,
  SignalConsumers,
} from '../component/component.js';
import { z } from '../config/schema.js';
import type { CollectorConfig, ComponentConfig, PipelineConfig } from '../config/types.js';
import { errors } from '../errors.js';
import type { LogsData, MetricsData, Signal } from '../model/types.js';
import { SelfTelemetry } from '../telemetry/self-metrics.js';
import { buildGraph } from './graph.js';

const events: string[] = [];
const lifecycle = (name: string): Component => ({
  async start() {
    events.push(`start ${name}`);
  },
  async shutdown() {
    events.push(`stop ${name}`);
  },
});

const receivers = new Map<string, SignalConsumers>();
const receiverFactory: ReceiverFactory = {
  type: 'fake',
  kind: 'receiver',
  description: 'test receiver',
  configSchema: z.strictObject({}),
  stability: { metrics: 'stable', logs: 'stable' },
  create(settings, _cfg, next) {
    receivers.set(settings.id, next);
    return lifecycle(`receiver/${settings.id}`);
  },
};

/** A processor that appends its ID to every log body, to prove ordering and cloning. */
const tagProcessor: ProcessorFactory = {
  type: 'tag',
  kind: 'processor',
  description: 'test processor',
  configSchema: z.strictObject({}),
  stability: { metrics: 'stable', logs: 'stable' },
  create(settings, _cfg, _signal, next) {
    return {
      ...lifecycle(`processor/${settings.id}@${settings.pipelineId}`),
      capabilities: { mutatesData: true },
      async consume(batch, ctx) {
        const logs = batch as LogsData;
        for (const rl of logs.resourceLogs)
          for (const sl of rl.scopeLogs)
            for (const r of sl.logRecords) r.body = { stringValue: `${r.body?.stringValue}>${settings.id}` };
        await next.consume(batch, ctx);
      },
    };
  },
};

const exported = new Map<string, unknown[]>();
const sinkExporter: ExporterFactory = {
  type: 'sink',
  kind: 'exporter',
  description: 'test exporter',
  configSchema: z.strictObject({}),
  stability: { metrics: 'stable', logs: 'stable' },
  create(settings, _cfg, signals) {
    const consumers: SignalConsumers = {};
    for (const s of signals) {
      (consumers as Record<Signal, Consumer<unknown>>)[s] = {
        capabilities: { mutatesData: false },
        async consume(batch) {
          if (settings.id === 'sink/refusing') throw errors.STITCH_ERR_QUEUE_FULL([settings.id, 'test']);
          const list = exported.get(settings.id) ?? [];
          list.push(structuredClone(batch));
          exported.set(settings.id, list);
        },
      };
    }
    return { ...lifecycle(`exporter/${settings.id}`), consumers };
  },
};

/** logs → metrics: one gauge point per log record. */
const countConnector: ConnectorFactory = {
  type: 'count',
  kind: 'connector',
  description: 'test connector',
  configSchema: z.strictObject({}),
  connections: [{ from: 'logs', to: 'metrics', stability: 'alpha' }],
  create(settings, _cfg, from, to, next) {
    return {
      ...lifecycle(`connector/${settings.id}@${from}->${to}`),
      capabilities: { mutatesData: false },
      async consume(batch) {
        const n = (batch as LogsData).resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords)).length;
        const metrics: MetricsData = {
          resourceMetrics: [
            {
              scopeMetrics: [
                { metrics: [{ name: 'log_count', gauge: { dataPoints: [{ attributes: [], timeUnixNano: 1, asInt: n }] } }] },
              ],
            },
          ],
        };
        await (next as Consumer<MetricsData>).consume(metrics);
      },
    };
  },
};

function component(kind: ComponentConfig['kind'], id: string, factory: ComponentConfig['factory']): [string, ComponentConfig] {
  const [type, name = ''] = id.split('/');
  return [id, { id, type: type as string, name, kind, factory, config: {} }];
}

function pipeline(id: string, receivers: string[], processors: string[], exporters: string[]): [string, PipelineConfig] {
  return [id, { id, signal: id.split('/')[0] as Signal, receivers, processors, exporters }];
}

function makeConfig(pipelines: [string, PipelineConfig][]): CollectorConfig {
  return {
    receivers: new Map([component('receiver', 'fake', receiverFactory), component('receiver', 'fake/2', receiverFactory)]),
    processors: new Map([component('processor', 'tag/a', tagProcessor), component('processor', 'tag/b', tagProcessor)]),
    exporters: new Map([
      component('exporter', 'sink/one', sinkExporter),
      component('exporter', 'sink/two', sinkExporter),
      component('exporter', 'sink/refusing', sinkExporter),
    ]),
    connectors: new Map([component('connector', 'count', countConnector)]),
    extensions: new Map(),
    service: {
      extensions: [],
      pipelines: new Map(pipelines),
      telemetry: { logs: { level: 'info' }, metrics: { level: 'none', host: '127.0.0.1', port: 0 } },
    },
  };
}

const logs = (...bodies: string[]): LogsData => ({
  resourceLogs: [{ scopeLogs: [{ logRecords: bodies.map((b) => ({ attributes: [], body: { stringValue: b } })) }] }],
});
const bodiesOf = (batch: unknown) =>
  (batch as LogsData).resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => l.body?.stringValue)));

function build(pipelines: [string, PipelineConfig][]) {
  events.length = 0;
  receivers.clear();
  exported.clear();
  return buildGraph({
    config: makeConfig(pipelines),
    logger: pino({ level: 'silent' }),
    telemetry: new SelfTelemetry({ processMetrics: false }),
  });
}

describe('pipeline graph', () => {
  it('runs processors in order and starts downstream-first, stops upstream-first', async () => {
    const graph = build([pipeline('logs', ['fake'], ['tag/a', 'tag/b'], ['sink/one'])]);
    await graph.startAll({ getExtension: () => undefined });
    expect(events).toEqual([
      'start exporter/sink/one',
      'start processor/tag/b@logs',
      'start processor/tag/a@logs',
      'start receiver/fake',
    ]);
    await receivers.get('fake')?.logs?.consume(logs('x'));
    expect(bodiesOf(exported.get('sink/one')?.[0])).toEqual(['x>tag/a>tag/b']);
    events.length = 0;
    await graph.shutdownAll();
    expect(events).toEqual([
      'stop receiver/fake',
      'stop processor/tag/a@logs',
      'stop processor/tag/b@logs',
      'stop exporter/sink/one',
    ]);
  });

  it('feeds every pipeline that lists a receiver, and each mutating pipeline gets its own copy', async () => {
    const graph = build([
      pipeline('logs/a', ['fake'], ['tag/a'], ['sink/one']),
      pipeline('logs/b', ['fake'], ['tag/b'], ['sink/two']),
    ]);
    await graph.startAll({ getExtension: () => undefined });
    await receivers.get('fake')?.logs?.consume(logs('x'));
    expect(bodiesOf(exported.get('sink/one')?.[0])).toEqual(['x>tag/a']);
    expect(bodiesOf(exported.get('sink/two')?.[0])).toEqual(['x>tag/b']);
  });

  it('a connector is an exporter in one pipeline and a receiver in another', async () => {
    const graph = build([
      pipeline('logs', ['fake'], [], ['count', 'sink/one']),
      pipeline('metrics', ['count'], [], ['sink/two']),
    ]);
    await graph.startAll({ getExtension: () => undefined });
    expect(events.indexOf('start exporter/sink/two')).toBeLessThan(events.indexOf('start connector/count@logs->metrics'));
    await receivers.get('fake')?.logs?.consume(logs('a', 'b', 'c'));
    const m = exported.get('sink/two')?.[0] as MetricsData;
    expect(m.resourceMetrics[0].scopeMetrics[0].metrics[0]).toMatchObject({
      name: 'log_count',
      gauge: { dataPoints: [{ asInt: 3 }] },
    });
  });

  it('a refusal from one exporter reaches the receiver as a retryable error', async () => {
    const graph = build([pipeline('logs', ['fake'], [], ['sink/one', 'sink/refusing'])]);
    await graph.startAll({ getExtension: () => undefined });
    await expect(receivers.get('fake')?.logs?.consume(logs('x'))).rejects.toMatchObject({
      code: 'STITCH_ERR_QUEUE_FULL',
      retryable: true,
    });
  });

  it('a failed start stops what already started and names the component', async () => {
    const graph = build([pipeline('logs', ['fake'], [], ['sink/one'])]);
    const recv = graph.nodes.find((n) => n.key === 'receiver/fake');
    (recv?.component as Component).start = async () => {
      throw new Error('port taken');
    };
    await expect(graph.startAll({ getExtension: () => undefined })).rejects.toMatchObject({ code: 'STITCH_ERR_COMPONENT_START' });
    expect(events).toContain('stop exporter/sink/one');
    expect(events).toContain('stop receiver/fake'); // what its start left half done is released
  });
});

describe('pipeline capabilities', () => {
  it('clones for a pipeline whose mutating processor is not the first', async () => {
    const readOnly: ProcessorFactory = {
      ...tagProcessor,
      type: 'passthrough',
      create(_s, _c, _sig, next) {
        return {
          async start() {},
          async shutdown() {},
          capabilities: { mutatesData: false },
          consume: (b, ctx) => next.consume(b, ctx),
        };
      },
    };
    const config = makeConfig([
      pipeline('logs/a', ['fake'], ['passthrough', 'tag/a'], ['sink/one']),
      pipeline('logs/b', ['fake'], [], ['sink/two']),
    ]);
    (config.processors as Map<string, ComponentConfig>).set('passthrough', component('processor', 'passthrough', readOnly)[1]);
    events.length = 0;
    receivers.clear();
    exported.clear();
    const graph = buildGraph({
      config,
      logger: pino({ level: 'silent' }),
      telemetry: new SelfTelemetry({ processMetrics: false }),
    });
    await graph.startAll({ getExtension: () => undefined });
    await receivers.get('fake')?.logs?.consume(logs('x'));
    expect(bodiesOf(exported.get('sink/one')?.[0])).toEqual(['x>tag/a']);
    expect(bodiesOf(exported.get('sink/two')?.[0])).toEqual(['x']);
  });
});
