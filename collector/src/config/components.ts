/**
 * The five component sections (`receivers`, `processors`, `exporters`, `connectors`,
 * `extensions`): each key is a component ID `type[/name]` whose factory must be registered, and
 * each value is decoded with that factory's strict schema (null or empty = every default).
 * Every configured component is checked, used or not, as the Collector does.
 */
import type { ComponentKind } from '../component/component.js';
import { parseComponentId } from '../component/id.js';
import { errors, StitchError } from '../errors.js';
import type { FactoryRegistry } from '../registry.js';
import { decodeNode } from './decode.js';
import { type ConfigProblem, didYouMean, problem, relocate } from './problems.js';
import { describeNode, type Location, type MapNode } from './tree.js';
import type { ComponentConfig } from './types.js';

/** Config section name → component kind. */
export const SECTION_KINDS = {
  receivers: 'receiver',
  processors: 'processor',
  exporters: 'exporter',
  connectors: 'connector',
  extensions: 'extension',
} as const satisfies Record<string, ComponentKind>;

/** A component section's name. */
export type SectionName = keyof typeof SECTION_KINDS;

/** One configured component ID; `component` is absent when its ID, type or config is invalid. */
export interface Configured {
  readonly id: string;
  readonly keyLoc: Location;
  readonly component?: ComponentConfig;
}

/** The configured components of each section, by ID, in file order. */
export type Sections = Record<SectionName, Map<string, Configured>>;

/** Decodes every component section of the merged root; problems are appended to `problems`. */
export function decodeComponents(root: MapNode, registry: FactoryRegistry, problems: ConfigProblem[]): Sections {
  const out = {} as Sections;
  for (const [section, kind] of Object.entries(SECTION_KINDS) as [SectionName, ComponentKind][]) {
    const found = new Map<string, Configured>();
    out[section] = found;
    const entry = root.entries.get(section);
    if (!entry || (entry.value.kind === 'scalar' && entry.value.value === null)) continue;
    if (entry.value.kind !== 'map') {
      problems.push(
        problem(
          errors.STITCH_ERR_CONFIG_INVALID_VALUE,
          [`expected a map of component IDs to their settings, got ${describeNode(entry.value)}`],
          [section],
          entry.value.loc,
        ),
      );
      continue;
    }
    for (const [id, e] of entry.value.entries) {
      const path = [section, id];
      let type: string;
      let name: string;
      try {
        ({ type, name } = parseComponentId(id));
      } catch (err) {
        if (!(err instanceof StitchError)) throw err;
        problems.push(relocate(err, path, e.keyLoc));
        found.set(id, { id, keyLoc: e.keyLoc });
        continue;
      }
      const factory = registry.get(kind, type);
      if (!factory) {
        const supported = registry.types(kind);
        const list = supported.length === 0 ? 'none yet' : supported.join(', ');
        problems.push(
          problem(
            errors.STITCH_ERR_CONFIG_UNSUPPORTED_COMPONENT,
            [kind, type, `${list}${didYouMean(type, supported)}`],
            path,
            e.keyLoc,
          ),
        );
        found.set(id, { id, keyLoc: e.keyLoc });
        continue;
      }
      const decoded = decodeNode(factory.configSchema, e.value, { path, keyLoc: e.keyLoc });
      problems.push(...decoded.problems);
      if (decoded.problems.length > 0) {
        found.set(id, { id, keyLoc: e.keyLoc });
        continue;
      }
      found.set(id, { id, keyLoc: e.keyLoc, component: { id, type, name, kind, factory, config: decoded.value } });
    }
  }
  return out;
}
