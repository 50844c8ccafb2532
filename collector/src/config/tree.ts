/**
 * The located config tree: YAML parsed with the `yaml` package's Document API into plain maps,
 * lists and scalars that each remember the file, line and column they came from. Merging several
 * files and env expansion work on this tree, so every value still points back at its source after
 * both; schemas see a plain-JS copy (`toPlain`) and their issues are mapped back with `nodeAt`.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Scalar, type Node as YamlNode } from 'yaml';

/** Where a node starts: 1-based line and column in `file` (the path as the user gave it). */
export interface Location {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A scalar value (string, number, boolean or null). */
export interface ScalarNode {
  readonly kind: 'scalar';
  value: string | number | boolean | null;
  readonly loc: Location;
  /**
   * Set when the whole scalar was one `${env:X}` reference: the expanded text before it was
   * re-parsed as YAML. A string option gets this text back (`"0123"` stays `"0123"`).
   */
  raw?: string;
}

/** A YAML sequence. */
export interface SeqNode {
  readonly kind: 'seq';
  readonly items: Node[];
  readonly loc: Location;
}

/** One key of a map: where the key is written, and its value. */
export interface MapEntry {
  readonly keyLoc: Location;
  readonly value: Node;
}

/** A YAML mapping; keys in insertion order. */
export interface MapNode {
  readonly kind: 'map';
  readonly entries: Map<string, MapEntry>;
  readonly loc: Location;
}

/** Any node of the located tree. */
export type Node = ScalarNode | SeqNode | MapNode;

/** A problem found while reading one file, before it is turned into a coded ConfigProblem. */
export interface ParseIssue {
  readonly message: string;
  readonly loc: Location;
}

/** Formats a location as `file:line:column`. */
export function formatLocation(loc: Location): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/** Dotted path of config keys: `exporters.loki/primary.endpoint`, `service.pipelines.logs.exporters[1]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/**
 * Parses one YAML file into a located tree. An empty file is an empty map. YAML 1.2 core schema
 * (as Go's yaml.v3, which the Collector uses), duplicate keys rejected, `<<` merge keys and aliases
 * resolved.
 */
export function parseYaml(text: string, file: string): { root?: MapNode; issues: ParseIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  const at = (offset: number): Location => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    return { issues: doc.errors.map((e) => ({ message: e.message, loc: at(e.pos[0]) })) };
  }
  const issues: ParseIssue[] = [];
  const start = at(0);
  if (doc.contents === null) return { root: { kind: 'map', entries: new Map(), loc: start }, issues };
  const seen = new Set<YamlNode>();

  const convert = (n: YamlNode | null, fallback: Location): Node => {
    if (n === null) return { kind: 'scalar', value: null, loc: fallback };
    if (isAlias(n)) {
      const target = n.resolve(doc);
      if (!target) {
        issues.push({ message: `unknown alias *${n.source}`, loc: at(n.range?.[0] ?? 0) });
        return { kind: 'scalar', value: null, loc: fallback };
      }
      // An alias inside its own anchor would recurse forever.
      if (seen.has(target)) {
        issues.push({ message: `alias *${n.source} refers to itself`, loc: at(n.range?.[0] ?? 0) });
        return { kind: 'scalar', value: null, loc: fallback };
      }
      return convert(target, fallback);
    }
    const loc = n.range ? at(n.range[0]) : fallback;
    if (isScalar(n)) return { kind: 'scalar', value: scalarValue(n), loc };
    seen.add(n);
    try {
      if (isSeq(n)) return { kind: 'seq', items: n.items.map((item) => convert(item as YamlNode | null, loc)), loc };
      if (isMap(n)) {
        const entries = new Map<string, MapEntry>();
        const merged: [string, MapEntry][] = [];
        for (const pair of n.items) {
          const key = pair.key as YamlNode | null;
          const keyLoc = key?.range ? at(key.range[0]) : loc;
          if (isScalar(key) && key.type === 'PLAIN' && key.source === '<<') {
            // `<<: *base` or `<<: [*a, *b]`: earlier sources win, explicit keys win over all.
            const value = convert(pair.value as YamlNode | null, keyLoc);
            const sources = value.kind === 'seq' ? value.items : [value];
            for (const src of sources) {
              if (src.kind !== 'map') {
                issues.push({ message: 'a << merge key needs a map or a list of maps', loc: keyLoc });
                continue;
              }
              for (const e of src.entries) merged.push(e);
            }
            continue;
          }
          if (key !== null && !isScalar(key)) {
            issues.push({ message: 'map keys must be scalars', loc: keyLoc });
            continue;
          }
          const name = key === null || key.value === null || key.value === undefined ? '' : String(key.value);
          // Checked here rather than by the parser, to point at the second key itself.
          const first = entries.get(name);
          if (first) {
            issues.push({ message: `duplicate key ${JSON.stringify(name)} (first at line ${first.keyLoc.line})`, loc: keyLoc });
            continue;
          }
          entries.set(name, { keyLoc, value: convert(pair.value as YamlNode | null, keyLoc) });
        }
        for (const [k, e] of merged) if (!entries.has(k)) entries.set(k, e);
        return { kind: 'map', entries, loc };
      }
    } finally {
      seen.delete(n);
    }
    issues.push({ message: 'unsupported YAML node', loc });
    return { kind: 'scalar', value: null, loc };
  };

  const root = convert(doc.contents as YamlNode, start);
  if (root.kind !== 'map') {
    issues.push({ message: `the top level must be a map of sections, got ${describeNode(root)}`, loc: root.loc });
    return { issues };
  }
  return { root, issues };
}

function scalarValue(n: Scalar): string | number | boolean | null {
  const v = n.value;
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  return String(v);
}

/** Short description of a node for messages: `a map`, `a list`, `string "abc"`, `number 5`, `null`. */
export function describeNode(n: Node): string {
  if (n.kind === 'map') return 'a map';
  if (n.kind === 'seq') return 'a list';
  return describeValue(n.value);
}

/** Short description of a plain value for messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return `string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
    case 'number':
    case 'boolean':
      return `${typeof v} ${String(v)}`;
    case 'object':
      return 'a map';
    default:
      return typeof v;
  }
}

/**
 * The node at `path` below `root`, or the deepest existing ancestor when the path leaves the
 * tree (e.g. inside a block the schema filled with defaults); `exact` says which.
 */
export function nodeAt(
  root: Node,
  path: readonly PropertyKey[],
): { node: Node; keyLoc?: Location; parentKeyLoc?: Location; exact: boolean } {
  let node = root;
  let keyLoc: Location | undefined;
  let parentKeyLoc: Location | undefined;
  for (const seg of path) {
    let next: Node | undefined;
    let nextKeyLoc: Location | undefined;
    if (node.kind === 'map') {
      const e = node.entries.get(String(seg));
      next = e?.value;
      nextKeyLoc = e?.keyLoc;
    } else if (node.kind === 'seq' && typeof seg === 'number') {
      next = node.items[seg];
      nextKeyLoc = next?.loc;
    }
    if (!next) return { node, keyLoc, parentKeyLoc, exact: false };
    parentKeyLoc = keyLoc;
    node = next;
    keyLoc = nextKeyLoc;
  }
  return { node, keyLoc, parentKeyLoc, exact: true };
}

/**
 * A plain-JS copy for schemas. A null map value is left out and its path appended to `nulls`
 * (the caller decides what a bare `key:` means); `raws` collects the original text of
 * env-expanded scalars, keyed by JSON path, so a string option can get it back.
 */
export function toPlain(
  node: Node,
  raws?: Map<string, string>,
  nulls?: (string | number)[][],
  path: (string | number)[] = [],
): unknown {
  if (node.kind === 'scalar') {
    if (raws && node.raw !== undefined && typeof node.value !== 'string') raws.set(JSON.stringify(path), node.raw);
    return node.value;
  }
  if (node.kind === 'seq') return node.items.map((item, i) => toPlain(item, raws, nulls, [...path, i]));
  const out: Record<string, unknown> = {};
  for (const [k, e] of node.entries) {
    if (e.value.kind === 'scalar' && e.value.value === null) {
      nulls?.push([...path, k]);
      continue;
    }
    out[k] = toPlain(e.value, raws, nulls, [...path, k]);
  }
  return out;
}
