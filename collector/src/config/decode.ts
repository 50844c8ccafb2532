/**
 * Runs a zod schema over a located node and turns every zod issue into a ConfigProblem with the
 * right code, the full dotted path and the YAML location, with messages written for people
 * ("expected a number, got string \"abc\"") rather than zod's defaults.
 */
import type { z } from 'zod';
import { errors } from '../errors.js';
import { type ConfigProblem, didYouMean, problem } from './problems.js';
import { describeValue, type Location, type Node, nodeAt, toPlain } from './tree.js';

type Path = (string | number)[];
type Issue = z.core.$ZodIssue;

/** Where a decoded section sits in the whole config. */
export interface DecodeContext {
  /** Path of `node` from the config root, e.g. `['exporters', 'otlp']`. */
  readonly path: Path;
  /** Location of the key that owns `node` (reported for options missing at its top level). */
  readonly keyLoc: Location;
}

/**
 * Parses `node` (null or absent = `{}`) with `schema`. Returns the parsed value, or every issue
 * as a problem. A value that came from a whole-scalar `${env:X}` and was re-parsed as a number or
 * boolean is given back as its original text where the schema wants a string, as the Collector does.
 */
export function decodeNode<T>(
  schema: z.ZodType<T>,
  node: Node | undefined,
  ctx: DecodeContext,
): { value?: T; problems: ConfigProblem[] } {
  const raws = new Map<string, string>();
  const nulls: (string | number)[][] = [];
  const empty = !node || (node.kind === 'scalar' && node.value === null);
  const data: unknown = empty ? {} : toPlain(node, raws, nulls);
  // A bare `key:` is null. Where the schema takes a map it means "present with every default"
  // (the Collector's `protocols: {grpc:}` idiom); elsewhere it means "not set".
  for (const path of nulls) if (takesMap(schema, path)) setAt(data, path, {});
  const located: Node = empty ? { kind: 'map', entries: new Map(), loc: ctx.keyLoc } : node;
  // Each pass can only turn more raws back into strings, so this ends after at most raws.size + 1 passes.
  for (;;) {
    const r = schema.safeParse(data);
    if (r.success) return { value: r.data, problems: [] };
    let patched = false;
    const retry = (issue: Issue, prefix: Path): void => {
      const path = [...prefix, ...(issue.path as Path)];
      if (issue.code === 'invalid_type' && issue.expected === 'string') {
        const key = JSON.stringify(path);
        const raw = path.length > 0 ? raws.get(key) : undefined;
        if (raw !== undefined) {
          raws.delete(key);
          setAt(data, path, raw);
          patched = true;
        }
      } else if (issue.code === 'invalid_union') {
        for (const branch of issue.errors) for (const sub of branch) retry(sub, path);
      }
    };
    for (const issue of r.error.issues) retry(issue, []);
    if (!patched) {
      const problems: ConfigProblem[] = [];
      for (const issue of r.error.issues) mapIssue(issue, [], { schema, data, node: located, ctx, problems });
      return { problems };
    }
  }
}

/** Keys whose values (and everything under them) may be credentials: never quoted in messages. */
const SECRET_KEYS = /^(token|tokens|password|secret|client_secret|api_key|apikey|authorization|cookie|bearer_token|headers)$/i;

interface MapState {
  readonly schema: z.ZodType;
  readonly data: unknown;
  readonly node: Node;
  readonly ctx: DecodeContext;
  readonly problems: ConfigProblem[];
}

function mapIssue(issue: Issue, prefix: Path, s: MapState): void {
  const path = [...prefix, ...(issue.path as Path)];
  const full = [...s.ctx.path, ...path];
  const valueLoc = (): Location => {
    const at = nodeAt(s.node, path);
    return at.exact ? at.node.loc : (at.keyLoc ?? s.ctx.keyLoc);
  };
  const value = getAt(s.data, path);
  // Never echo what may be a credential (`token: ...`, header values) into an error message.
  const secret = full.some((k) => typeof k === 'string' && SECRET_KEYS.test(k));
  const show = (v: unknown) =>
    secret && (typeof v === 'string' || typeof v === 'number') ? `a ${typeof v} (value redacted)` : describeValue(v);
  const invalid = (message: string) =>
    s.problems.push(problem(errors.STITCH_ERR_CONFIG_INVALID_VALUE, [message], full, valueLoc()));

  if (value === undefined && path.length > 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_union')) {
    // The option is absent: point at the key of the map that should hold it.
    const loc = nodeAt(s.node, path.slice(0, -1)).keyLoc ?? s.ctx.keyLoc;
    s.problems.push(problem(errors.STITCH_ERR_CONFIG_MISSING, [JSON.stringify(String(path.at(-1)))], full, loc));
    return;
  }
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = keysAt(s.schema, path);
      for (const key of issue.keys) {
        const at = nodeAt(s.node, [...path, key]);
        const loc = at.exact && at.keyLoc ? at.keyLoc : valueLoc();
        s.problems.push(
          problem(errors.STITCH_ERR_CONFIG_UNKNOWN_KEY, [JSON.stringify(key), didYouMean(key, known)], [...full, key], loc),
        );
      }
      return;
    }
    case 'invalid_type': {
      invalid(`expected ${expectedName(issue.expected)}, got ${show(value)}`);
      return;
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => JSON.stringify(v));
      const expected = options.length === 1 ? options[0] : `one of ${options.join(', ')}`;
      invalid(`expected ${expected}, got ${show(value)}`);
      return;
    }
    case 'too_small':
    case 'too_big': {
      invalid(`${boundMessage(issue)}, got ${describeSize(value, issue.origin)}`);
      return;
    }
    case 'invalid_format': {
      const base = isZodDefault(issue.message) ? `must be a valid ${issue.format}` : issue.message;
      invalid(base.includes('got ') ? base : `${base}, got ${show(value)}`);
      return;
    }
    case 'not_multiple_of': {
      invalid(`must be a multiple of ${String(issue.divisor)}, got ${show(value)}`);
      return;
    }
    case 'invalid_union': {
      if (issue.errors.length === 0) {
        invalid(isZodDefault(issue.message) ? `invalid value ${show(value)}` : issue.message);
        return;
      }
      // Every branch failed on the type of the value itself: list what would have been accepted.
      const typeOnly = issue.errors.every((b) => b.length === 1 && b[0]?.code === 'invalid_type' && b[0].path.length === 0);
      if (typeOnly) {
        const names = [...new Set(issue.errors.map((b) => expectedName((b[0] as { expected: string }).expected)))];
        invalid(`expected ${names.join(' or ')}, got ${show(value)}`);
        return;
      }
      // Otherwise report the branch that got furthest: the one with fewest top-level type errors, then fewest issues.
      const score = (b: readonly Issue[]) =>
        b.filter((i) => i.code === 'invalid_type' && i.path.length === 0).length * 1000 + b.length;
      const best = [...issue.errors].sort((a, b) => score(a) - score(b))[0] as Issue[];
      for (const sub of best) mapIssue(sub, path, s);
      return;
    }
    case 'invalid_key':
    case 'invalid_element': {
      for (const sub of issue.issues) mapIssue(sub, path, s);
      return;
    }
    default: {
      invalid(isZodDefault(issue.message) ? `invalid value, got ${show(value)}` : withGot(issue.message, value, show));
    }
  }
}

function withGot(message: string, value: unknown, show: (v: unknown) => string = describeValue): string {
  return message.includes('got ') || value === undefined ? message : `${message}, got ${show(value)}`;
}

// zod's built-in messages start like this; a schema's own messages are kept as written.
function isZodDefault(message: string): boolean {
  return /^(Invalid|Too (small|big)|Unrecognized)/.test(message);
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'int':
      return 'an integer';
    case 'object':
    case 'record':
    case 'map':
      return 'a map';
    case 'array':
    case 'tuple':
    case 'set':
      return 'a list';
    case 'boolean':
      return 'a boolean (true or false)';
    case 'undefined':
    case 'never':
      return 'no value';
    default:
      return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
  }
}

function boundMessage(issue: Issue & { code: 'too_small' | 'too_big' }): string {
  const small = issue.code === 'too_small';
  const limit = small ? (issue as { minimum: number | bigint }).minimum : (issue as { maximum: number | bigint }).maximum;
  const inclusive = issue.inclusive !== false;
  const n = Number(limit);
  switch (issue.origin) {
    case 'string':
      if (small && n === 1) return 'must not be empty';
      return `must have ${small ? 'at least' : 'at most'} ${n} character${n === 1 ? '' : 's'}`;
    case 'array':
    case 'set':
      if (small && n === 1) return 'must have at least one item';
      return `must have ${small ? 'at least' : 'at most'} ${n} item${n === 1 ? '' : 's'}`;
    default:
      if (small) return inclusive ? `must be at least ${String(limit)}` : `must be greater than ${String(limit)}`;
      return inclusive ? `must be at most ${String(limit)}` : `must be less than ${String(limit)}`;
  }
}

function describeSize(value: unknown, origin: string): string {
  if (Array.isArray(value) && (origin === 'array' || origin === 'set'))
    return `${value.length} item${value.length === 1 ? '' : 's'}`;
  return describeValue(value);
}

/** The keys a strict object at `path` of `schema` accepts, for "did you mean" (unions: all options' keys). */
export function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const out = new Set<string>();
  for (const d of defsAt(schema, path)) if (d.type === 'object') for (const k of Object.keys(d.shape ?? {})) out.add(k);
  return [...out];
}

/** True when the schema takes a map at `path` (so a bare `key:` there means "present, all defaults"). */
function takesMap(schema: z.ZodType, path: readonly PropertyKey[]): boolean {
  return defsAt(schema, path).some((d) => d.type === 'object' || d.type === 'record');
}

/** The definitions a value at `path` is checked against, wrappers (optional, default, pipe...) removed. */
function defsAt(schema: z.ZodType, path: readonly PropertyKey[]): Def[] {
  const out: Def[] = [];
  collectDefs(schema, path, 0, out, 0);
  return out;
}

// zod v4 exposes a schema's definition as `_zod.def` for library authors.
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  items?: z.ZodType[];
  getter?: () => z.ZodType;
}

function def(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function collectDefs(schema: z.ZodType, path: readonly PropertyKey[], i: number, out: Def[], depth: number): void {
  if (depth > 64) return;
  const d = def(schema);
  const recur = (s: z.ZodType | undefined, next: number): void => {
    if (s) collectDefs(s, path, next, out, depth + 1);
  };
  switch (d.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      recur(d.innerType, i);
      return;
    case 'pipe':
      // z.preprocess(fn, schema) is pipe(transform, schema): the keys live on the output side.
      recur(d.in && def(d.in).type === 'transform' ? d.out : d.in, i);
      return;
    case 'lazy':
      recur(d.getter?.(), i);
      return;
    case 'union':
      for (const o of d.options ?? []) recur(o, i);
      return;
    case 'intersection':
      recur(d.left, i);
      recur(d.right, i);
      return;
  }
  if (i === path.length) {
    out.push(d);
    return;
  }
  const seg = path[i];
  if (d.type === 'object') recur(d.shape?.[String(seg)], i + 1);
  else if (d.type === 'array') recur(d.element, i + 1);
  else if (d.type === 'record') recur(d.valueType, i + 1);
  else if (d.type === 'tuple' && typeof seg === 'number') recur(d.items?.[seg], i + 1);
}

function getAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function setAt(data: unknown, path: readonly PropertyKey[], value: unknown): void {
  let cur = data as Record<PropertyKey, unknown>;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<PropertyKey, unknown>;
  cur[path.at(-1) as PropertyKey] = value;
}
