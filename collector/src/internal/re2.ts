/**
 * Go RE2 patterns in JavaScript. The Collector's configs are written for Go's `regexp` (RE2);
 * JavaScript's engine accepts nearly the same syntax except Go's `(?P<name>…)` named groups, which
 * are rewritten to `(?<name>…)`, and a leading `(?i)`/`(?s)`/`(?is)` flag group, which becomes
 * RegExp flags. Patterns are compiled once, at create time.
 */

/**
 * Compiles an RE2-style pattern; throws a SyntaxError when invalid. `anchored` matches the whole
 * input only (Go's `^(?:pattern)$`, as k8sattributes compiles `key_regex`), with the flags kept.
 */
export function compileRe2(pattern: string, anchored = false): RegExp {
  let source = pattern.replace(/\(\?P</g, '(?<');
  let flags = '';
  const lead = /^\(\?([is]+)\)/.exec(source);
  if (lead) {
    flags = [...new Set(lead[1])].join('');
    source = source.slice(lead[0].length);
  }
  return new RegExp(anchored ? `^(?:${source})$` : source, flags);
}

/** The error message for an invalid pattern, or undefined when it compiles. */
export function re2Problem(pattern: string, anchored = false): string | undefined {
  try {
    compileRe2(pattern, anchored);
    return undefined;
  } catch (err) {
    return `invalid regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`;
  }
}

/** Number of capture groups in `re`, named or not. */
export function captureGroupCount(re: RegExp): number {
  return (new RegExp(`${re.source}|`, re.flags).exec('') as RegExpExecArray).length - 1;
}

/** Names of the named capture groups of `re`, in pattern order. */
export function namedGroups(re: RegExp): string[] {
  return Object.keys((new RegExp(`${re.source}|`, re.flags).exec('') as RegExpExecArray).groups ?? {});
}
