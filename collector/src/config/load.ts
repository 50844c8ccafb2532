/**
 * `loadConfig`: one or more OpenTelemetry Collector YAML files in, a validated and deep-frozen
 * CollectorConfig out, or every problem found (never only the first). Stages, each collecting
 * coded, located problems:
 * 1. read and parse each file (YAML errors stop here: the rest would be guesses);
 * 2. deep-merge the files in order (maps merge, everything else is replaced by the later file);
 * 3. expand `${env:...}` references;
 * 4. check the top-level keys, decode every component with its factory's strict schema;
 * 5. check `service`: extensions, pipelines (references, signals, connectors, cycles), telemetry;
 * 6. keep the components that pipelines or service.extensions use, and freeze the result.
 */
import { readFileSync } from 'node:fs';
import { errors } from '../errors.js';
import type { FactoryRegistry } from '../registry.js';
import { decodeComponents, SECTION_KINDS, type SectionName, type Sections } from './components.js';
import { expandTree } from './env.js';
import { deepFreeze } from './freeze.js';
import { mergeMaps } from './merge.js';
import { type ConfigProblem, didYouMean, type LoadResult, problem } from './problems.js';
import { decodeService } from './service.js';
import { type MapNode, parseYaml } from './tree.js';
import type { CollectorConfig, ComponentConfig } from './types.js';

/** The top-level keys of a Collector config. */
export const TOP_LEVEL_KEYS = [...Object.keys(SECTION_KINDS), 'service'] as const;

/** What `loadConfig` needs. */
export interface LoadOptions {
  /** Config files, merged in order (`--config a.yaml --config b.yaml`: b wins). */
  readonly files: readonly string[];
  /** Variables for `${env:...}`; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The component factories that may be configured. */
  readonly registry: FactoryRegistry;
  /** Reads a file as UTF-8; default `fs.readFileSync`. Lets callers load from memory. */
  readonly readFile?: (file: string) => string;
}

/**
 * Loads, merges, expands and validates the config files. Never throws for a user error: the
 * result has either `config` (deep-frozen) and no problems, or every problem found, sorted by file
 * and position. See `assertValid` to turn problems into one thrown error.
 */
export function loadConfig(options: LoadOptions): LoadResult {
  const readFile = options.readFile ?? ((f: string) => readFileSync(f, 'utf8'));
  const problems: ConfigProblem[] = [];
  if (options.files.length === 0) {
    return { problems: [problem(errors.STITCH_ERR_CONFIG_FILE, ['(none)', 'give at least one --config FILE'], '', '')] };
  }

  const roots: MapNode[] = [];
  for (const file of options.files) {
    let text: string;
    try {
      text = readFile(file);
    } catch (err) {
      problems.push(problem(errors.STITCH_ERR_CONFIG_FILE, [file, (err as Error).message], '', file));
      continue;
    }
    const parsed = parseYaml(text, file);
    for (const issue of parsed.issues) problems.push(problem(errors.STITCH_ERR_CONFIG_YAML, [issue.message], '', issue.loc));
    if (parsed.root) roots.push(parsed.root);
  }
  if (problems.length > 0) return { problems: sortProblems(problems, options.files) };

  const merged = roots.reduce((a, b) => mergeMaps(a, b));
  const failed = new Set<string>();
  const root = expandTree(merged, options.env ?? process.env, problems, failed);

  for (const [key, e] of root.entries) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) {
      problems.push(
        problem(errors.STITCH_ERR_CONFIG_UNKNOWN_KEY, [JSON.stringify(key), didYouMean(key, TOP_LEVEL_KEYS)], [key], e.keyLoc),
      );
    }
  }
  const sections = decodeComponents(root, options.registry, problems);
  const service = decodeService(root, sections, problems);

  // A value whose expansion failed was left as written; checks on it would only repeat the problem.
  const kept = problems.filter(
    (p) =>
      p.code === errors.STITCH_ERR_CONFIG_ENV.code ||
      p.code === errors.STITCH_ERR_CONFIG_PROVIDER.code ||
      !isUnder(p.path, failed),
  );
  if (kept.length > 0 || !service.telemetry) return { problems: sortProblems(kept, options.files) };

  const used = new Set<string>();
  for (const p of service.pipelines.values()) for (const id of [...p.receivers, ...p.processors, ...p.exporters]) used.add(id);
  const pick = (section: SectionName, ids: ReadonlySet<string>, exclude?: ReadonlyMap<string, unknown>) => {
    const out = new Map<string, ComponentConfig>();
    for (const [id, c] of sections[section]) if (c.component && ids.has(id) && !exclude?.has(id)) out.set(id, c.component);
    return out;
  };
  const config: CollectorConfig = {
    receivers: pick('receivers', used, sections.connectors),
    processors: pick('processors', used),
    exporters: pick('exporters', used, sections.connectors),
    connectors: pick('connectors', used),
    extensions: pick('extensions', new Set(service.extensions)),
    service: { extensions: service.extensions, pipelines: service.pipelines, telemetry: service.telemetry },
  };
  return { config: deepFreeze(config, factoriesOf(sections)), problems: [] };
}

function factoriesOf(sections: Sections): Set<unknown> {
  const out = new Set<unknown>();
  for (const s of Object.values(sections)) for (const c of s.values()) if (c.component) out.add(c.component.factory);
  return out;
}

function isUnder(path: string, prefixes: ReadonlySet<string>): boolean {
  for (const p of prefixes) if (path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`)) return true;
  return false;
}

const LOCATION_RE = /^(.*):(\d+):(\d+)$/;

function sortProblems(problems: ConfigProblem[], files: readonly string[]): ConfigProblem[] {
  const key = (p: ConfigProblem): [number, number, number] => {
    const m = LOCATION_RE.exec(p.location);
    const file = m ? m[1] : p.location;
    return [files.indexOf(file as string), m ? Number(m[2]) : 0, m ? Number(m[3]) : 0];
  };
  return problems
    .map((p) => ({ p, k: key(p) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.k[2] - b.k[2])
    .map(({ p }) => p);
}
