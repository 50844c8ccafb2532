/**
 * Config problems: coded StitchErrors that carry the dotted config path and the
 * `file:line:column` of the offending YAML node, their one-line format, and "did you mean".
 */
import { type ErrorDefinition, errors, StitchError } from '../errors.js';
import { formatLocation, formatPath, type Location } from './tree.js';
import type { CollectorConfig } from './types.js';

/**
 * One problem in the user's configuration: a StitchError of kind `config` whose `path` is the
 * dotted config path (`exporters.otlp.endpoint`, `service.pipelines.logs.exporters[1]`, or `''`
 * for the file as a whole) and whose `location` is `file:line:column` (1-based) of the YAML node
 * (for an unknown key, the key; for a missing option, the key of the map that lacks it), or just
 * `file` when the file could not be read.
 */
export type ConfigProblem = StitchError & { readonly path: string; readonly location: string };

/** What `loadConfig` returns: the frozen config when there is no problem, and every problem found. */
export interface LoadResult {
  readonly config?: CollectorConfig;
  readonly problems: readonly ConfigProblem[];
}

/** Builds a problem from a catalogue entry, a path (segments or dotted) and a location. */
export function problem(
  def: ErrorDefinition,
  args: readonly unknown[],
  path: readonly (string | number)[] | string,
  loc: Location | string,
): ConfigProblem {
  return def(args, {
    path: typeof path === 'string' ? path : formatPath(path),
    location: typeof loc === 'string' ? loc : formatLocation(loc),
  }) as ConfigProblem;
}

/** Re-attaches path and location to an error thrown by a helper that did not know them. */
export function relocate(err: StitchError, path: readonly (string | number)[], loc: Location): ConfigProblem {
  return new StitchError(err.code, err.kind, err.retryable, err.message, {
    path: formatPath(path),
    location: formatLocation(loc),
    cause: err.cause,
  }) as ConfigProblem;
}

/**
 * One line per problem, compiler-style:
 * `config.yaml:12:5: exporters.otlp.endpoint: <message> [STITCH_ERR_...]`.
 */
export function formatProblem(p: ConfigProblem): string {
  const where = p.location ? `${p.location}: ` : '';
  // Some catalogue messages already start with their path (`service.pipelines: at least one ...`).
  const path = p.path && !p.message.startsWith(`${p.path}:`) ? `${p.path}: ` : '';
  return `${where}${path}${p.message} [${p.code}]`;
}

/**
 * Returns the config, or throws STITCH_ERR_CONFIG_INVALID whose message lists every formatted
 * problem, one per line (the `cause` is an AggregateError of the problems).
 */
export function assertValid(result: LoadResult): CollectorConfig {
  if (result.problems.length === 0 && result.config) return result.config;
  const lines = result.problems.map(formatProblem).join('\n');
  throw errors.STITCH_ERR_CONFIG_INVALID([lines || 'no configuration'], {
    cause: new AggregateError(result.problems, `${result.problems.length} config problem(s)`),
  });
}

/**
 * The closest candidate to `word` by edit distance (case-insensitive, a swap of two neighbours
 * counts once), when close enough to be a typo: at most a third of the longer word's length, or
 * one is a prefix of the other. Small enough to write here; no kept library does just this.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const d = editDistance(w, lc);
    const limit = Math.max(1, Math.floor(Math.max(w.length, lc.length) / 3));
    const prefix = w.length >= 3 && lc.length >= 3 && (lc.startsWith(w) || w.startsWith(lc));
    if (d > limit && !prefix) continue;
    // Prefix-only matches rank after every true near miss.
    const score = d <= limit ? d : 100 + d;
    if (score < bestScore || (score === bestScore && best !== undefined && c < best)) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` or `''`, for appending to a message. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean ${JSON.stringify(c)}?)`;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1];
}
