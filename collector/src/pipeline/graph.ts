/**
 * Builds the running pipeline graph from a validated config, after the Collector's
 * service/internal/graph: receivers → processors (in order, one instance per pipeline) → a
 * fan-out → exporters and connectors; a connector is an exporter in one pipeline and a receiver
 * in another. Start runs downstream-first (reverse topological order) so nothing sends to a
 * component that is not ready; shutdown runs upstream-first so each stage drains into a
 * still-running next stage.
 */
import type { Logger } from 'pino';
import type {
  Component,
  ComponentKind,
  ConnectorFactory,
  Consumer,
  CreateSettings,
  ExporterFactory,
  Host,
  ProcessorFactory,
  ReceiverFactory,
  SignalConsumers,
} from '../component/component.js';
import type { CollectorConfig, ComponentConfig } from '../config/types.js';
import { errors } from '../errors.js';
import { countItems } from '../model/count.js';
import type { Signal, SignalData } from '../model/types.js';
import { tapConsumer } from '../tap/consumer.js';
import { tapHubFor } from '../tap/hub.js';
import type { SelfTelemetry } from '../telemetry/self-metrics.js';
import { createFanout } from './fanout.js';
import { LazyConsumer } from './lazy-consumer.js';

/** One component instance in the graph. */
export interface GraphNode {
  /** Unique key: `receiver/otlp`, `processor/batch@metrics`, `connector/count@logs->metrics`, `exporter/debug`. */
  readonly key: string;
  readonly kind: ComponentKind;
  readonly componentId: string;
  readonly component: Component;
  readonly downstream: Set<GraphNode>;
}

/** The built graph. `nodes` are in topological order (receivers first, exporters last). */
export interface PipelineGraph {
  readonly nodes: readonly GraphNode[];
  /** Each pipeline's entry consumer (after receivers, before the first processor). */
  readonly entries: ReadonlyMap<string, Consumer<unknown>>;
  /** Starts every component downstream-first; on a failure, shuts down what started (and the one that failed) and rejects. */
  startAll(host: Host): Promise<void>;
  /** Shuts every component down upstream-first; never rejects, logs failures. Idempotent. */
  shutdownAll(signal?: AbortSignal): Promise<void>;
}

/** What the graph needs besides the config. */
export interface GraphOptions {
  readonly config: CollectorConfig;
  readonly logger: Logger;
  readonly telemetry: SelfTelemetry;
}

type AnyConsumer = Consumer<SignalData[Signal]>;

/** Builds (but does not start) the graph for `config`. Throws only on a config the loader should have rejected. */
export function buildGraph(options: GraphOptions): PipelineGraph {
  const { config, logger, telemetry } = options;
  // `stitch tap` points: at each pipeline's entry and after each processor (one boolean check per batch when idle).
  const taps = tapHubFor(telemetry.registry);
  const pipelines = [...config.service.pipelines.values()];
  const nodes = new Map<string, GraphNode>();
  const entries = new Map<string, LazyConsumer<SignalData[Signal]>>();
  /** The nodes that receive a pipeline's data first (its first processor, else its exporters). */
  const heads = new Map<string, GraphNode[]>();

  const settingsFor = (kind: ComponentKind, id: string, pipelineId?: string): CreateSettings => ({
    id,
    kind,
    ...(pipelineId === undefined ? {} : { pipelineId }),
    logger: logger.child(
      pipelineId === undefined ? { kind, component_id: id } : { kind, component_id: id, pipeline: pipelineId },
    ),
    telemetry: telemetry.forComponent(id),
  });
  const addNode = (key: string, kind: ComponentKind, componentId: string, component: Component): GraphNode => {
    const node: GraphNode = { key, kind, componentId, component, downstream: new Set() };
    nodes.set(key, node);
    return node;
  };
  const lookup = (kind: 'receivers' | 'processors' | 'exporters' | 'connectors', id: string): ComponentConfig => {
    const c = config[kind].get(id);
    if (!c) throw errors.STITCH_ERR_PIPELINE_UNDEFINED_COMPONENT([kind.slice(0, -1), id]);
    return c;
  };

  for (const p of pipelines) entries.set(p.id, new LazyConsumer(`pipeline ${p.id}`));

  // Exporters: one instance per ID, with a consumer for each signal it is used for.
  const exporterNodes = new Map<string, { node: GraphNode; consumers: SignalConsumers }>();
  for (const [id, c] of config.exporters) {
    const signals = [...new Set(pipelines.filter((p) => p.exporters.includes(id)).map((p) => p.signal))];
    if (signals.length === 0) continue;
    const created = (c.factory as ExporterFactory).create(settingsFor('exporter', id), c.config, signals);
    exporterNodes.set(id, { node: addNode(`exporter/${id}`, 'exporter', id, created), consumers: created.consumers });
  }

  // Connectors: one instance per (from, to) signal pair in use; it feeds the pipelines listing it as a receiver.
  const connectorNodes = new Map<string, { from: Signal; to: Signal; node: GraphNode; consumer: AnyConsumer }[]>();
  for (const [id, c] of config.connectors) {
    const factory = c.factory as ConnectorFactory;
    const fromSignals = new Set(pipelines.filter((p) => p.exporters.includes(id)).map((p) => p.signal));
    const downstream = pipelines.filter((p) => p.receivers.includes(id));
    const list: { from: Signal; to: Signal; node: GraphNode; consumer: AnyConsumer }[] = [];
    for (const { from, to } of factory.connections) {
      const targets = downstream.filter((p) => p.signal === to);
      if (!fromSignals.has(from) || targets.length === 0) continue;
      const next = createFanout(
        to,
        targets.map((p) => entries.get(p.id) as AnyConsumer),
      );
      const created = factory.create(settingsFor('connector', id), c.config, from, to, next as never);
      const node = addNode(`connector/${id}@${from}->${to}`, 'connector', id, created);
      list.push({ from, to, node, consumer: created as unknown as AnyConsumer });
    }
    connectorNodes.set(id, list);
  }

  // Pipelines: fan-out to exporters and connectors, then processors from last to first.
  for (const p of pipelines) {
    const tailNodes: GraphNode[] = [];
    const targets: AnyConsumer[] = [];
    for (const id of p.exporters) {
      const exp = exporterNodes.get(id);
      if (exp) {
        targets.push(exp.consumers[p.signal] as AnyConsumer);
        tailNodes.push(exp.node);
        continue;
      }
      lookup('connectors', id);
      for (const inst of connectorNodes.get(id) ?? []) {
        if (inst.from !== p.signal) continue;
        targets.push(inst.consumer);
        tailNodes.push(inst.node);
      }
    }
    let next: AnyConsumer = createFanout(p.signal, targets);
    let downstreamNodes = tailNodes;
    const processorMutates: boolean[] = [];
    for (let i = p.processors.length - 1; i >= 0; i--) {
      const id = p.processors[i] as string;
      const c = lookup('processors', id);
      const settings = settingsFor('processor', id, p.id);
      const created = (c.factory as ProcessorFactory).create(
        settings,
        c.config,
        p.signal,
        countingConsumer(
          p.signal,
          tapConsumer(taps, { pipeline: p.id, after: id, position: i + 1 }, p.signal, next),
          settings,
          'outgoing',
        ),
      );
      processorMutates[i] = created.capabilities.mutatesData;
      const node = addNode(`processor/${id}@${p.id}`, 'processor', id, created);
      for (const d of downstreamNodes) node.downstream.add(d);
      downstreamNodes = [node];
      next = countingConsumer(p.signal, created as unknown as AnyConsumer, settings, 'incoming');
    }
    heads.set(p.id, downstreamNodes);
    // A pipeline mutates if any of its processors does (not only the first): fan-out from a shared
    // receiver must then give it its own copy (the Collector's capabilitiesNode).
    const mutates = p.processors.some((_, i) => processorMutates[i]);
    const entry = tapConsumer(taps, { pipeline: p.id, after: 'receiver', position: 0 }, p.signal, next);
    (entries.get(p.id) as LazyConsumer<SignalData[Signal]>).resolve(withCapabilities(entry, mutates));
  }

  // Connector instances feed the heads of their downstream pipelines.
  for (const [id, list] of connectorNodes) {
    for (const inst of list) {
      for (const p of pipelines) {
        if (p.signal === inst.to && p.receivers.includes(id)) for (const h of heads.get(p.id) ?? []) inst.node.downstream.add(h);
      }
    }
  }

  // Receivers: one instance per ID, one fan-out per signal over the pipelines that list it.
  for (const [id, c] of config.receivers) {
    const using = pipelines.filter((p) => p.receivers.includes(id));
    if (using.length === 0) continue;
    const consumers: SignalConsumers = {};
    for (const signal of new Set(using.map((p) => p.signal))) {
      const targets = using.filter((p) => p.signal === signal).map((p) => entries.get(p.id) as AnyConsumer);
      (consumers as Record<Signal, AnyConsumer>)[signal] = createFanout(signal, targets);
    }
    const created = (c.factory as ReceiverFactory).create(settingsFor('receiver', id), c.config, consumers);
    const node = addNode(`receiver/${id}`, 'receiver', id, created);
    for (const p of using) for (const h of heads.get(p.id) ?? []) node.downstream.add(h);
  }

  const ordered = topologicalOrder([...nodes.values()]);
  return createRunner(ordered, entries as Map<string, Consumer<unknown>>, logger);
}

/** The same consumer, reporting the given capabilities. */
function withCapabilities(inner: AnyConsumer, mutatesData: boolean): AnyConsumer {
  if (inner.capabilities.mutatesData === mutatesData) return inner;
  return { capabilities: { mutatesData }, consume: (batch, context) => inner.consume(batch, context) };
}

/** Counts items entering or leaving a processor, once per batch (the Collector's processorhelper obsreport). */
function countingConsumer(
  signal: Signal,
  inner: AnyConsumer,
  settings: CreateSettings,
  direction: 'incoming' | 'outgoing',
): AnyConsumer {
  const record = direction === 'incoming' ? settings.telemetry.incoming : settings.telemetry.outgoing;
  return {
    get capabilities() {
      return inner.capabilities;
    },
    consume(batch, context) {
      record(signal, countItems(signal, batch));
      return inner.consume(batch, context);
    },
  };
}

/** Kahn's algorithm; upstream first. A cycle here means the config loader let one through. */
function topologicalOrder(nodes: GraphNode[]): GraphNode[] {
  const indegree = new Map<GraphNode, number>(nodes.map((n) => [n, 0]));
  for (const n of nodes) for (const d of n.downstream) indegree.set(d, (indegree.get(d) ?? 0) + 1);
  const ready = nodes.filter((n) => indegree.get(n) === 0);
  const out: GraphNode[] = [];
  while (ready.length > 0) {
    const n = ready.shift() as GraphNode;
    out.push(n);
    for (const d of n.downstream) {
      const left = (indegree.get(d) as number) - 1;
      indegree.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  if (out.length !== nodes.length) {
    const stuck = nodes.filter((n) => !out.includes(n)).map((n) => n.key);
    throw errors.STITCH_ERR_PIPELINE_CYCLE([stuck.join(', ')]);
  }
  return out;
}

function createRunner(nodes: GraphNode[], entries: Map<string, Consumer<unknown>>, logger: Logger): PipelineGraph {
  const started: GraphNode[] = [];
  let shutdownPromise: Promise<void> | undefined;

  async function shutdownOne(node: GraphNode, signal?: AbortSignal): Promise<void> {
    try {
      await node.component.shutdown(signal);
    } catch (err) {
      logger.error({ err, component: node.key }, 'component failed to shut down cleanly');
    }
  }

  async function shutdownNodes(list: readonly GraphNode[], signal?: AbortSignal): Promise<void> {
    // Receivers first: they stop accepting at once, but their in-flight requests are answered only
    // when downstream accepts the data, and a batch processor accepts only when it flushes, which
    // it does on its own shutdown. So receivers' shutdowns run while the rest shuts down
    // upstream-first, each stage draining into a still-running next stage; then we wait for them.
    const receivers = list.filter((n) => n.kind === 'receiver').map((n) => shutdownOne(n, signal));
    await new Promise((resolve) => setImmediate(resolve)); // let listeners close before stages drain
    for (const node of list) if (node.kind !== 'receiver') await shutdownOne(node, signal);
    await Promise.all(receivers);
  }

  return {
    nodes,
    entries,
    async startAll(host) {
      // Downstream first: exporters are ready before anything can send to them.
      for (const node of [...nodes].reverse()) {
        try {
          await node.component.start(host);
          started.push(node);
        } catch (err) {
          // The failed component too: its start may have got part way (a listener bound, a timer
          // set), and shutdown is safe without a completed start (the Collector shuts down all).
          const upstreamFirst = nodes.filter((n) => n === node || started.includes(n));
          await shutdownNodes(upstreamFirst, AbortSignal.timeout(5000));
          throw errors.STITCH_ERR_COMPONENT_START([node.key, (err as Error).message], { cause: err });
        }
      }
    },
    shutdownAll(signal) {
      shutdownPromise ??= shutdownNodes(nodes, signal);
      return shutdownPromise;
    },
  };
}
