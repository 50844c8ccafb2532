/**
 * The `service` section: `extensions`, `pipelines` and `telemetry`, with the Collector's pipeline
 * rules (service/pipelines/config.go and the graph's connector checks): every referenced component
 * is configured and supports the pipeline's signal, each pipeline has a receiver and an exporter,
 * no list names a component twice, connectors are used on both sides with a signal pair they
 * support, and connectors do not make the pipelines a cycle.
 */
import type { Connection } from '../component/component.js';
import { parseComponentId } from '../component/id.js';
import { errors, StitchError } from '../errors.js';
import type { Signal } from '../model/types.js';
import type { Configured, Sections } from './components.js';
import { decodeNode } from './decode.js';
import { type ConfigProblem, closest, didYouMean, problem } from './problems.js';
import { z } from './schema.js';
import { decodeTelemetry } from './telemetry.js';
import { describeNode, type Location, type MapNode, type Node, nodeAt } from './tree.js';
import type { PipelineConfig, TelemetryConfig } from './types.js';

/** The signals a pipeline ID may start with. */
export const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs'];

const SERVICE_KEYS = ['extensions', 'pipelines', 'telemetry'];

const idList = z.array(z.string()).default([]);
const pipelineSchema = z.strictObject({ receivers: idList, processors: idList, exporters: idList });

/** The decoded `service` section; parts that had problems are left out. */
export interface DecodedService {
  readonly extensions: string[];
  readonly pipelines: Map<string, PipelineConfig>;
  readonly telemetry?: TelemetryConfig;
}

const ROLE_KIND = { receivers: 'receiver', processors: 'processor', exporters: 'exporter' } as const;

interface Usage {
  readonly pipeline: string;
  readonly signal: Signal;
  readonly path: (string | number)[];
  readonly loc: Location;
}

/** Decodes and checks `service` against the configured components; problems go to `problems`. */
export function decodeService(root: MapNode, sections: Sections, problems: ConfigProblem[]): DecodedService {
  const result: DecodedService = { extensions: [], pipelines: new Map() };
  const entry = root.entries.get('service');
  let service: MapNode | undefined;
  if (entry && entry.value.kind === 'map') service = entry.value;
  else if (entry && !(entry.value.kind === 'scalar' && entry.value.value === null)) {
    problems.push(
      problem(
        errors.STITCH_ERR_CONFIG_INVALID_VALUE,
        [`expected a map, got ${describeNode(entry.value)}`],
        ['service'],
        entry.value.loc,
      ),
    );
    return result;
  }
  const serviceLoc = entry?.keyLoc ?? root.loc;

  // A misspelt `pipelines` is reported as such, not also as "no pipelines".
  let pipelinesTypo = false;
  if (service) {
    for (const [key, e] of service.entries) {
      if (!SERVICE_KEYS.includes(key)) {
        problems.push(
          problem(
            errors.STITCH_ERR_CONFIG_UNKNOWN_KEY,
            [JSON.stringify(key), didYouMean(key, SERVICE_KEYS)],
            ['service', key],
            e.keyLoc,
          ),
        );
        if (closest(key, SERVICE_KEYS) === 'pipelines') pipelinesTypo = true;
      }
    }
  }

  // service.extensions
  const extEntry = service?.entries.get('extensions');
  if (extEntry) {
    const path = ['service', 'extensions'];
    const decoded = isNull(extEntry.value)
      ? { value: [] as string[], problems: [] }
      : decodeNode(z.array(z.string()), extEntry.value, { path, keyLoc: extEntry.keyLoc });
    problems.push(...decoded.problems);
    const seen = new Set<string>();
    decoded.value?.forEach((id, i) => {
      const loc = itemLoc(extEntry.value, i, extEntry.keyLoc);
      if (seen.has(id)) {
        problems.push(problem(errors.STITCH_ERR_PIPELINE_DUPLICATE, ['extension', id], [...path, i], loc));
        return;
      }
      seen.add(id);
      if (!sections.extensions.has(id)) problems.push(problem(errors.STITCH_ERR_EXTENSION_UNDEFINED, [id], [...path, i], loc));
      else result.extensions.push(id);
    });
  }

  // service.telemetry
  const telEntry = service?.entries.get('telemetry');
  const telemetry = decodeTelemetry(telEntry?.value, telEntry?.keyLoc ?? serviceLoc);
  problems.push(...telemetry.problems);
  if (telemetry.value) (result as { telemetry?: TelemetryConfig }).telemetry = telemetry.value;

  reportAmbiguousIds(sections, problems);

  // service.pipelines
  const pipesEntry = service?.entries.get('pipelines');
  const pipesPath = ['service', 'pipelines'];
  if (pipesEntry && !isNull(pipesEntry.value) && pipesEntry.value.kind !== 'map') {
    problems.push(
      problem(
        errors.STITCH_ERR_CONFIG_INVALID_VALUE,
        [`expected a map of pipeline IDs to pipelines, got ${describeNode(pipesEntry.value)}`],
        pipesPath,
        pipesEntry.value.loc,
      ),
    );
    return result;
  }
  const pipes = pipesEntry?.value.kind === 'map' ? pipesEntry.value : undefined;
  if (!pipes || pipes.entries.size === 0) {
    if (pipelinesTypo && !pipes) return result;
    problems.push(problem(errors.STITCH_ERR_PIPELINE_NONE, [], pipesPath, pipesEntry?.keyLoc ?? serviceLoc));
    return result;
  }

  const asExporter = new Map<string, Usage[]>();
  const asReceiver = new Map<string, Usage[]>();
  const pipelineLoc = new Map<string, Location>();
  for (const [id, e] of pipes.entries) {
    const path = [...pipesPath, id];
    const signal = pipelineSignal(id, path, e.keyLoc, problems);
    if (!signal) continue;
    pipelineLoc.set(id, e.keyLoc);
    const decoded = decodeNode(pipelineSchema, e.value, { path, keyLoc: e.keyLoc });
    problems.push(...decoded.problems);
    const body = decoded.value;
    if (!body) continue;
    const before = problems.length;
    if (body.receivers.length === 0) problems.push(problem(errors.STITCH_ERR_PIPELINE_NO_RECEIVERS, [], path, e.keyLoc));
    if (body.exporters.length === 0) problems.push(problem(errors.STITCH_ERR_PIPELINE_NO_EXPORTERS, [], path, e.keyLoc));
    for (const role of ['receivers', 'processors', 'exporters'] as const) {
      const seen = new Set<string>();
      body[role].forEach((ref, i) => {
        const refPath = [...path, role, i];
        const loc = itemLoc(nodeAt(e.value, [role]).node, i, e.keyLoc);
        if (seen.has(ref)) {
          problems.push(problem(errors.STITCH_ERR_PIPELINE_DUPLICATE, [ROLE_KIND[role], ref], refPath, loc));
          return;
        }
        seen.add(ref);
        const connector = role === 'processors' ? undefined : sections.connectors.get(ref);
        if (connector) {
          const usages = role === 'receivers' ? asReceiver : asExporter;
          const list = usages.get(ref) ?? [];
          list.push({ pipeline: id, signal, path: refPath, loc });
          usages.set(ref, list);
          return;
        }
        const configured = sections[role].get(ref);
        if (!configured) {
          problems.push(problem(errors.STITCH_ERR_PIPELINE_UNDEFINED_COMPONENT, [ROLE_KIND[role], ref], refPath, loc));
          return;
        }
        const factory = configured.component?.factory;
        if (factory && factory.kind !== 'connector' && factory.kind !== 'extension' && factory.stability[signal] === undefined) {
          const supported = SIGNALS.filter((s) => factory.stability[s] !== undefined);
          problems.push(
            problem(
              errors.STITCH_ERR_PIPELINE_SIGNAL_UNSUPPORTED,
              [ROLE_KIND[role], ref, `${signal} (it supports ${supported.join(', ') || 'no signal'})`],
              refPath,
              loc,
            ),
          );
        }
      });
    }
    if (problems.length === before) {
      result.pipelines.set(id, { id, signal, receivers: body.receivers, processors: body.processors, exporters: body.exporters });
    }
  }

  checkConnectors(sections, asExporter, asReceiver, problems);
  checkCycles(sections, asExporter, asReceiver, pipelineLoc, problems);
  return result;
}

function isNull(n: Node): boolean {
  return n.kind === 'scalar' && n.value === null;
}

function itemLoc(list: Node, i: number, fallback: Location): Location {
  return list.kind === 'seq' ? (list.items[i]?.loc ?? list.loc) : fallback;
}

/** The signal of a pipeline ID `traces|metrics|logs[/name]`, or undefined after reporting why not. */
function pipelineSignal(id: string, path: string[], loc: Location, problems: ConfigProblem[]): Signal | undefined {
  let type: string;
  try {
    ({ type } = parseComponentId(id));
  } catch (err) {
    if (!(err instanceof StitchError)) throw err;
    problems.push(
      problem(errors.STITCH_ERR_PIPELINE_ID, [id, 'expected traces, metrics or logs, optionally followed by /name'], path, loc),
    );
    return undefined;
  }
  if (!(SIGNALS as string[]).includes(type)) {
    problems.push(
      problem(
        errors.STITCH_ERR_PIPELINE_ID,
        [id, `the signal must be traces, metrics or logs${didYouMean(type, SIGNALS)}`],
        path,
        loc,
      ),
    );
    return undefined;
  }
  return type as Signal;
}

/** A connector ID that is also a receiver or exporter ID is ambiguous in a pipeline (the Collector rejects it too). */
function reportAmbiguousIds(sections: Sections, problems: ConfigProblem[]): void {
  for (const [id, c] of sections.connectors) {
    for (const kind of ['receivers', 'exporters'] as const) {
      if (!sections[kind].has(id)) continue;
      const slash = id.indexOf('/');
      const rename = slash === -1 ? `${id}/connector` : `${id}_connector`;
      const what = kind === 'receivers' ? 'a receiver' : 'an exporter';
      problems.push(problem(errors.STITCH_ERR_CONFIG_AMBIGUOUS_ID, [id, what, rename], ['connectors', id], c.keyLoc));
    }
  }
}

function connections(c: Configured | undefined): readonly Connection[] | undefined {
  const f = c?.component?.factory;
  return f?.kind === 'connector' ? f.connections : undefined;
}

function unique<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

/**
 * A connector must be an exporter in one pipeline and a receiver in another, and each side must
 * have a supported signal pair with some pipeline on the other side.
 */
function checkConnectors(
  sections: Sections,
  asExporter: Map<string, Usage[]>,
  asReceiver: Map<string, Usage[]>,
  problems: ConfigProblem[],
): void {
  for (const id of unique([...asExporter.keys(), ...asReceiver.keys()])) {
    const conns = connections(sections.connectors.get(id));
    if (!conns) continue;
    const exp = asExporter.get(id) ?? [];
    const recv = asReceiver.get(id) ?? [];
    if (exp.length === 0 || recv.length === 0) {
      const used = exp.length === 0 ? recv : exp;
      const side = exp.length === 0 ? 'a receiver' : 'an exporter';
      const first = used[0] as Usage;
      const where = unique(used.map((u) => u.pipeline)).join(', ');
      problems.push(
        problem(errors.STITCH_ERR_PIPELINE_CONNECTOR_UNUSED, [id, `it is only ${side} (in ${where})`], first.path, first.loc),
      );
      continue;
    }
    const pairs = conns.map((c) => `${c.from}→${c.to}`).join(', ');
    const recvSignals = unique(recv.map((u) => u.signal));
    const expSignals = unique(exp.map((u) => u.signal));
    for (const u of exp) {
      const targets = conns.filter((c) => c.from === u.signal).map((c) => c.to);
      if (targets.length === 0) {
        problems.push(
          problem(
            errors.STITCH_ERR_PIPELINE_SIGNAL_UNSUPPORTED,
            ['connector', id, `${u.signal} as an exporter (it connects ${pairs})`],
            u.path,
            u.loc,
          ),
        );
      } else if (!targets.some((t) => recvSignals.includes(t))) {
        problems.push(
          problem(
            errors.STITCH_ERR_PIPELINE_SIGNAL_UNSUPPORTED,
            [
              'connector',
              id,
              `${u.signal}→${recvSignals.join('/')}: from ${u.signal} it can only feed a ${targets.join(' or ')} pipeline, but it is a receiver only in ${recvSignals.join(', ')} pipelines`,
            ],
            u.path,
            u.loc,
          ),
        );
      }
    }
    for (const u of recv) {
      const sources = conns.filter((c) => c.to === u.signal).map((c) => c.from);
      if (sources.length === 0) {
        problems.push(
          problem(
            errors.STITCH_ERR_PIPELINE_SIGNAL_UNSUPPORTED,
            ['connector', id, `${u.signal} as a receiver (it connects ${pairs})`],
            u.path,
            u.loc,
          ),
        );
      } else if (!sources.some((s) => expSignals.includes(s))) {
        problems.push(
          problem(
            errors.STITCH_ERR_PIPELINE_SIGNAL_UNSUPPORTED,
            [
              'connector',
              id,
              `${expSignals.join('/')}→${u.signal}: it can only make ${u.signal} from ${sources.join(' or ')}, but it is an exporter only in ${expSignals.join(', ')} pipelines`,
            ],
            u.path,
            u.loc,
          ),
        );
      }
    }
  }
}

/**
 * Pipelines joined by connectors (exporter in P, receiver in Q, pair P→Q supported) must not form
 * a cycle: data would loop forever. One problem per strongly connected group (Tarjan's algorithm).
 */
function checkCycles(
  sections: Sections,
  asExporter: Map<string, Usage[]>,
  asReceiver: Map<string, Usage[]>,
  pipelineLoc: Map<string, Location>,
  problems: ConfigProblem[],
): void {
  const edges = new Map<string, { to: string; via: string }[]>();
  for (const [id, exp] of asExporter) {
    const conns = connections(sections.connectors.get(id));
    if (!conns) continue;
    for (const from of exp) {
      for (const to of asReceiver.get(id) ?? []) {
        if (!conns.some((c) => c.from === from.signal && c.to === to.signal)) continue;
        const list = edges.get(from.pipeline) ?? [];
        list.push({ to: to.pipeline, via: id });
        edges.set(from.pipeline, list);
      }
    }
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const { to } of edges.get(v) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v) as number, low.get(to) as number));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v) as number, index.get(to) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      const selfLoop = (edges.get(v) ?? []).some((e) => e.to === v);
      if (group.length > 1 || selfLoop) groups.push(group);
    }
  };
  for (const p of pipelineLoc.keys()) if (!index.has(p)) visit(p);

  for (const group of groups) {
    const members = new Set(group);
    const start = [...pipelineLoc.keys()].find((p) => members.has(p)) as string;
    problems.push(
      problem(
        errors.STITCH_ERR_PIPELINE_CYCLE,
        [describeCycle(start, members, edges)],
        ['service', 'pipelines', start],
        pipelineLoc.get(start) as Location,
      ),
    );
  }
}

/** `traces → [count] → metrics → [fwd] → traces`: a path from `start` back to itself inside the group. */
function describeCycle(start: string, members: Set<string>, edges: Map<string, { to: string; via: string }[]>): string {
  const seen = new Set<string>();
  const dfs = (v: string): string[] | undefined => {
    for (const e of edges.get(v) ?? []) {
      if (!members.has(e.to)) continue;
      if (e.to === start) return [`[${e.via}]`, start];
      if (seen.has(e.to)) continue;
      seen.add(e.to);
      const rest = dfs(e.to);
      if (rest) return [`[${e.via}]`, e.to, ...rest];
    }
    return undefined;
  };
  return [start, ...(dfs(start) ?? [])].join(' → ');
}
