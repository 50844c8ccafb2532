/**
 * `${...}` expansion of scalar values, with the Collector's rules (confmap resolver + env
 * provider):
 * - `${env:NAME}`, `${env:NAME:-default}` and bare `${NAME}` (env is the default provider);
 *   the default applies only when NAME is unset, not when it is set to "".
 * - `$$` is a literal `$`; any other `$` (e.g. `$HOME`) stays as written.
 * - When the whole value is one reference, the expanded text is parsed as YAML, so
 *   `port: ${env:PORT}` is a number and an unset or empty variable is null (the option's
 *   default then applies). The text is kept in `raw` so a string option still gets `"0123"`.
 *   Inside a longer string the text is substituted as is.
 * - A reference inside a default is expanded first: `${env:A:-${env:B}}`.
 * - Expanded text is not expanded again (the Collector re-expands up to 100 times; we do not,
 *   so a variable's value can never inject another reference).
 * Only scalar values are expanded, never keys. Hand-written: no library implements these rules.
 */
import { parse as parseYamlValue } from 'yaml';
import { errors } from '../errors.js';
import { type ConfigProblem, problem } from './problems.js';
import { formatPath, type Location, type MapNode, type Node } from './tree.js';

/** The config providers Stitch supports inside `${scheme:...}`. */
export const SUPPORTED_PROVIDERS = ['env'] as const;

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
// The Collector's scheme pattern: a letter, then at least one letter, digit, '+', '.' or '-'.
const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]+):([\s\S]*)$/;

type Env = Readonly<Record<string, string | undefined>>;

/** The outcome of expanding one string. */
interface Expanded {
  text: string;
  /** Set when the whole input was exactly one reference: its value, or undefined when unset/empty. */
  whole?: { value: string | undefined };
  error?: { code: 'env' | 'provider'; message: string };
}

/**
 * Expands every string scalar below `root`; returns a new tree (untouched subtrees are shared).
 * Problems are appended to `problems`; the dotted path of each failed scalar goes to `failed`
 * so later checks do not report the same value again.
 */
export function expandTree(root: MapNode, env: Env, problems: ConfigProblem[], failed: Set<string>): MapNode {
  return expandNode(root, [], env, problems, failed) as MapNode;
}

function expandNode(node: Node, path: (string | number)[], env: Env, problems: ConfigProblem[], failed: Set<string>): Node {
  if (node.kind === 'map') {
    const entries = new Map(node.entries);
    for (const [k, e] of node.entries) {
      const value = expandNode(e.value, [...path, k], env, problems, failed);
      if (value !== e.value) entries.set(k, { keyLoc: e.keyLoc, value });
    }
    return { kind: 'map', entries, loc: node.loc };
  }
  if (node.kind === 'seq') {
    return {
      kind: 'seq',
      items: node.items.map((item, i) => expandNode(item, [...path, i], env, problems, failed)),
      loc: node.loc,
    };
  }
  if (typeof node.value !== 'string' || !node.value.includes('$')) return node;
  const out = expandString(node.value, env);
  if (out.error) {
    const def = out.error.code === 'provider' ? errors.STITCH_ERR_CONFIG_PROVIDER : errors.STITCH_ERR_CONFIG_ENV;
    const args = out.error.code === 'provider' ? [out.error.message, SUPPORTED_PROVIDERS.join(', ')] : [out.error.message];
    problems.push(problem(def, args, path, node.loc));
    failed.add(formatPath(path));
    return node;
  }
  if (!out.whole) return { kind: 'scalar', value: out.text, loc: node.loc };
  const text = out.whole.value;
  if (text === undefined) return { kind: 'scalar', value: null, loc: node.loc };
  return fromYamlText(text, node.loc);
}

/** Parses the expanded text of a whole-value reference as YAML; unparsable text stays a string. */
function fromYamlText(text: string, loc: Location): Node {
  let value: unknown;
  try {
    value = parseYamlValue(text, { prettyErrors: false });
  } catch {
    return { kind: 'scalar', value: text, loc };
  }
  const node = plainToNode(value, loc);
  if (node.kind === 'scalar' && typeof node.value !== 'string') node.raw = text;
  return node;
}

function plainToNode(value: unknown, loc: Location): Node {
  if (Array.isArray(value)) return { kind: 'seq', items: value.map((v) => plainToNode(v, loc)), loc };
  if (value !== null && typeof value === 'object') {
    const entries = new Map(Object.entries(value).map(([k, v]) => [k, { keyLoc: loc, value: plainToNode(v, loc) }]));
    return { kind: 'map', entries, loc };
  }
  if (value === undefined || value === null) return { kind: 'scalar', value: null, loc };
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return { kind: 'scalar', value, loc };
  return { kind: 'scalar', value: String(value), loc };
}

/** Expands the references in one string. Exported for tests. */
export function expandString(s: string, env: Env): Expanded {
  let text = '';
  let refs = 0;
  let literal = false;
  let lastValue: string | undefined;
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c !== '$') {
      text += c;
      literal = true;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      text += '$';
      literal = true;
      i += 2;
      continue;
    }
    if (next !== '{') {
      text += '$';
      literal = true;
      i++;
      continue;
    }
    const end = findClose(s, i + 2);
    if (end === -1) {
      return { text: s, error: { code: 'env', message: `unterminated reference ${JSON.stringify(s.slice(i))}: missing "}"` } };
    }
    const ref = s.slice(i, end + 1);
    const inner = expandString(s.slice(i + 2, end), env);
    if (inner.error) return { text: s, error: inner.error };
    const r = resolve(inner.text, ref, env);
    if ('error' in r) return { text: s, error: r.error };
    text += r.value ?? '';
    // An empty variable is null like an unset one; only an explicit `:-` default of "" is "".
    lastValue = r.value === '' && !r.fromDefault ? undefined : r.value;
    refs++;
    i = end + 1;
  }
  if (refs === 1 && !literal) return { text, whole: { value: lastValue } };
  return { text };
}

/** Index of the `}` closing a reference whose content starts at `from`, honouring nested `${`. */
function findClose(s: string, from: number): number {
  let depth = 0;
  for (let j = from; j < s.length; j++) {
    if (s[j] === '$' && s[j + 1] === '$') {
      j++;
    } else if (s[j] === '$' && s[j + 1] === '{') {
      depth++;
      j++;
    } else if (s[j] === '}') {
      if (depth === 0) return j;
      depth--;
    }
  }
  return -1;
}

/** A resolved reference: its text (undefined when unset) and whether the `:-` default gave it. */
interface Resolved {
  value: string | undefined;
  fromDefault: boolean;
}

function resolve(content: string, ref: string, env: Env): Resolved | { error: { code: 'env' | 'provider'; message: string } } {
  const quoted = JSON.stringify(ref);
  if (content === '') return { error: { code: 'env', message: `empty reference ${quoted}: expected \${env:NAME}` } };
  const m = SCHEME_RE.exec(content);
  if (!m) {
    if (content.includes(':')) {
      // `${LOKI_URL:-x}`: the shell habit with a name a provider scheme cannot have (underscore).
      const colon = content.indexOf(':');
      const shellName = content.slice(0, colon);
      const hint =
        content.startsWith(':-', colon) && NAME_RE.test(shellName)
          ? ` (did you mean \${env:${shellName}${content.slice(colon)}}?)`
          : '';
      return {
        error: { code: 'env', message: `malformed reference ${quoted}: expected \${env:NAME} or \${env:NAME:-default}${hint}` },
      };
    }
    return lookup(content, undefined, quoted, env);
  }
  const scheme = m[1] as string;
  const rest = m[2] as string;
  if (scheme !== 'env') {
    // `${NAME:-default}` is a shell habit; the Collector reads NAME as a provider name.
    const hint = rest.startsWith('-') && NAME_RE.test(scheme) ? ` (did you mean \${env:${scheme}:${rest}}?)` : '';
    return { error: { code: 'provider', message: `${JSON.stringify(scheme)} in ${quoted}${hint}` } };
  }
  const cut = rest.indexOf(':-');
  const name = cut === -1 ? rest : rest.slice(0, cut);
  const fallback = cut === -1 ? undefined : rest.slice(cut + 2);
  return lookup(name, fallback, quoted, env);
}

function lookup(
  name: string,
  fallback: string | undefined,
  quoted: string,
  env: Env,
): Resolved | { error: { code: 'env'; message: string } } {
  if (name === '') return { error: { code: 'env', message: `${quoted} names no environment variable: expected \${env:NAME}` } };
  if (!NAME_RE.test(name)) {
    return {
      error: {
        code: 'env',
        message: `invalid environment variable name ${JSON.stringify(name)} in ${quoted}: use letters, digits and _, not starting with a digit`,
      },
    };
  }
  const value = env[name];
  return value === undefined ? { value: fallback, fromDefault: fallback !== undefined } : { value, fromDefault: false };
}
