/**
 * Field expressions, as stanza writes them: `body`, `body.a.b`, `attributes.x`,
 * `attributes["k8s.pod.name"]`, `resource.x`, `resource["service.name"]`. A dot separates map
 * keys; brackets quote a key that contains dots. Written by hand: no library speaks this syntax.
 */
import type { Entry, FieldMap } from '../entry.js';

/** A parsed field: the top-level part of the entry and the map keys below it. */
export interface Field {
  readonly root: 'body' | 'attributes' | 'resource';
  readonly keys: readonly string[];
  /** The expression as written, for messages. */
  readonly text: string;
}

const ROOTS = new Set(['body', 'attributes', 'resource']);

/** Parses a field expression; returns an error message instead when it is not one. */
export function parseField(text: string): Field | string {
  const s = text.trim();
  const m = /^(\$?)([a-z]+)/.exec(s);
  const root = m?.[2];
  if (!m || !root || !ROOTS.has(root)) {
    return `field ${JSON.stringify(text)} must start with body, attributes or resource (e.g. attributes.level, resource["k8s.pod.name"])`;
  }
  const keys: string[] = [];
  let i = m[0].length;
  while (i < s.length) {
    if (s[i] === '.') {
      let j = i + 1;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      if (j === i + 1) return `field ${JSON.stringify(text)}: empty key after "."`;
      keys.push(s.slice(i + 1, j));
      i = j;
    } else if (s[i] === '[') {
      const q = s[i + 1];
      if (q !== '"' && q !== "'") return `field ${JSON.stringify(text)}: expected a quoted key after "["`;
      const end = s.indexOf(`${q}]`, i + 2);
      if (end < 0) return `field ${JSON.stringify(text)}: unterminated bracket`;
      keys.push(s.slice(i + 2, end));
      i = end + 2;
    } else {
      return `field ${JSON.stringify(text)}: unexpected ${JSON.stringify(s[i])} at position ${i}`;
    }
  }
  return { root: root as Field['root'], keys, text: s };
}

function isMap(v: unknown): v is FieldMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function rootValue(entry: Entry, root: Field['root']): unknown {
  return root === 'body' ? entry.body : root === 'attributes' ? entry.attributes : entry.resource;
}

/** The value at `field`, or undefined when absent. */
export function getField(entry: Entry, field: Field): unknown {
  let cur = rootValue(entry, field.root);
  for (const k of field.keys) {
    if (!isMap(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/**
 * Sets `value` at `field`, creating maps on the way. A map value is merged into a map that is
 * already there (stanza's rule, so `parse_to: attributes` keeps `log.file.path`).
 */
export function setField(entry: Entry, field: Field, value: unknown): void {
  const { keys } = field;
  if (keys.length === 0) {
    if (field.root === 'body') {
      entry.body = value;
      return;
    }
    const target = field.root === 'attributes' ? entry.attributes : entry.resource;
    if (isMap(value)) Object.assign(target, value);
    else throw new Error(`cannot set ${field.root} to a value that is not a map`);
    return;
  }
  let parent: FieldMap;
  if (field.root === 'body') {
    if (!isMap(entry.body)) entry.body = {};
    parent = entry.body as FieldMap;
  } else parent = field.root === 'attributes' ? entry.attributes : entry.resource;
  for (let i = 0; i < keys.length - 1; i++) {
    const next = parent[keys[i]];
    if (isMap(next)) parent = next;
    else parent = parent[keys[i]] = {};
  }
  const last = keys[keys.length - 1];
  const existing = parent[last];
  if (isMap(existing) && isMap(value)) Object.assign(existing, value);
  else parent[last] = value;
}

/** Removes the value at `field` and returns it (undefined when absent). */
export function deleteField(entry: Entry, field: Field): unknown {
  const { keys } = field;
  if (keys.length === 0) {
    if (field.root === 'body') {
      const v = entry.body;
      entry.body = undefined;
      return v;
    }
    const v = field.root === 'attributes' ? entry.attributes : entry.resource;
    if (field.root === 'attributes') entry.attributes = {};
    else entry.resource = {};
    return v;
  }
  let cur = rootValue(entry, field.root);
  for (let i = 0; i < keys.length - 1; i++) {
    if (!isMap(cur)) return undefined;
    cur = cur[keys[i]];
  }
  if (!isMap(cur)) return undefined;
  const last = keys[keys.length - 1];
  if (!(last in cur)) return undefined;
  const v = cur[last];
  delete cur[last];
  return v;
}
