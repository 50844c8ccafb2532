/**
 * A parser for the subset of the OpenTelemetry Transformation Language (OTTL) that filter
 * conditions use. There is no maintained JavaScript OTTL implementation (the language lives in
 * the Collector's Go pkg/ottl), so this is a small hand-written lexer and recursive-descent
 * parser. Every error carries the 1-based column in the condition where it was found.
 *
 * Grammar (OTTL's boolean expressions, without math or editors):
 *   condition  := or
 *   or         := and ("or" and)*
 *   and        := not ("and" not)*
 *   not        := "not" not | comparison
 *   comparison := value (("==" | "!=" | "<" | "<=" | ">" | ">=") value)?
 *   value      := "(" or ")" | literal | ENUM | Converter "(" args ")" | path
 *   path       := name ("." name)* ("[" string "]")*
 *   literal    := string | int | float | true | false | nil | 0x-bytes
 */

/**
 * A value during evaluation: ints are bigint, doubles number (OTTL keeps the two apart), maps and
 * lists are plain objects and arrays, nil is null.
 */
export type OttlValue = string | number | bigint | boolean | null | Uint8Array | OttlValue[] | { [key: string]: OttlValue };

/** A parse error at a 1-based column of the condition. */
export class OttlSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
    this.name = 'OttlSyntaxError';
  }
}

/** The comparison operators. */
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A parsed condition. `col` is the 1-based column where the node starts. */
export type Node =
  | { kind: 'or' | 'and'; col: number; left: Node; right: Node }
  | { kind: 'not'; col: number; operand: Node }
  | { kind: 'compare'; col: number; op: CompareOp; left: Node; right: Node }
  | { kind: 'literal'; col: number; value: OttlValue }
  | { kind: 'enum'; col: number; name: string }
  | { kind: 'path'; col: number; parts: string[]; keys: { key: string; col: number }[] }
  | { kind: 'call'; col: number; name: string; args: Node[] };

type TokenKind = 'ident' | 'string' | 'number' | 'bytes' | 'op' | 'punct' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  col: number;
  value?: string | number | bigint | Uint8Array;
}

function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of condition';
  return `${JSON.stringify(t.text)}`;
}

function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    const col = i + 1;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new OttlSyntaxError('unterminated string', col);
        const d = src[i] as string;
        if (d === '"') break;
        if (d === '\\') {
          const e = src[i + 1];
          const map: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r' };
          if (e === undefined || !(e in map)) throw new OttlSyntaxError(`unsupported escape \\${e ?? ''} in string`, i + 1);
          s += map[e];
          i += 2;
          continue;
        }
        s += d;
        i++;
      }
      i++;
      out.push({ kind: 'string', text: src.slice(col - 1, i), col, value: s });
      continue;
    }
    const hex = /^0x[0-9a-fA-F]*/.exec(src.slice(i));
    if (hex) {
      const digits = hex[0].slice(2);
      if (digits.length % 2 !== 0) throw new OttlSyntaxError('bytes literal needs an even number of hex digits', col);
      i += hex[0].length;
      out.push({ kind: 'bytes', text: hex[0], col, value: Uint8Array.from(Buffer.from(digits, 'hex')) });
      continue;
    }
    const num = /^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?/.exec(src.slice(i));
    // A sign only starts a number where a value is expected (OTTL has no binary minus in conditions).
    const prev = out.at(-1);
    const signAllowed = !prev || prev.kind === 'op' || (prev.kind === 'punct' && prev.text !== ')' && prev.text !== ']');
    if (num && (/[0-9.]/.test(c) || signAllowed)) {
      i += num[0].length;
      // Ints stay exact (bigint) so IsInt/IsDouble and 64-bit comparisons keep OTTL's int/double split.
      out.push({ kind: 'number', text: num[0], col, value: /[.eE]/.test(num[0]) ? Number(num[0]) : BigInt(num[0]) });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
      out.push({ kind: 'op', text: two, col });
      i += 2;
      continue;
    }
    if (c === '<' || c === '>') {
      out.push({ kind: 'op', text: c, col });
      i++;
      continue;
    }
    if ('()[],.'.includes(c)) {
      out.push({ kind: 'punct', text: c, col });
      i++;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ kind: 'ident', text: id[0], col });
      i += id[0].length;
      continue;
    }
    if (c === '=') throw new OttlSyntaxError('use "==" to compare ("=" is not an OTTL operator)', col);
    if (c === '+' || c === '-' || c === '*' || c === '/')
      throw new OttlSyntaxError(`math expressions (${c}) are not supported in Stitch's OTTL subset`, col);
    if (c === '{') throw new OttlSyntaxError("map literals are not supported in Stitch's OTTL subset", col);
    throw new OttlSyntaxError(`unexpected character ${JSON.stringify(c)}`, col);
  }
  out.push({ kind: 'eof', text: '', col: src.length + 1 });
  return out;
}

/** Parses one condition; throws OttlSyntaxError with the column of the first problem. */
export function parseCondition(src: string): Node {
  const tokens = lex(src);
  let pos = 0;
  const peek = () => tokens[pos] as Token;
  const next = () => tokens[pos++] as Token;
  const isWord = (t: Token, w: string) => t.kind === 'ident' && t.text === w;
  const expectPunct = (p: string, what: string) => {
    const t = next();
    if (t.kind !== 'punct' || t.text !== p)
      throw new OttlSyntaxError(`expected ${JSON.stringify(p)} ${what}, got ${describe(t)}`, t.col);
    return t;
  };

  const parseOr = (): Node => {
    let left = parseAnd();
    while (isWord(peek(), 'or')) {
      const t = next();
      left = { kind: 'or', col: t.col, left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Node => {
    let left = parseNot();
    while (isWord(peek(), 'and')) {
      const t = next();
      left = { kind: 'and', col: t.col, left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): Node => {
    if (isWord(peek(), 'not')) {
      const t = next();
      return { kind: 'not', col: t.col, operand: parseNot() };
    }
    return parseComparison();
  };
  const parseComparison = (): Node => {
    const left = parseValue();
    const t = peek();
    if (t.kind === 'op') {
      next();
      return { kind: 'compare', col: t.col, op: t.text as CompareOp, left, right: parseValue() };
    }
    return left;
  };
  const parseValue = (): Node => {
    const t = next();
    switch (t.kind) {
      case 'string':
        return { kind: 'literal', col: t.col, value: t.value as string };
      case 'number':
        return { kind: 'literal', col: t.col, value: t.value as number | bigint };
      case 'bytes':
        return { kind: 'literal', col: t.col, value: t.value as Uint8Array };
      case 'punct':
        if (t.text === '(') {
          const inner = parseOr();
          expectPunct(')', 'to close the parenthesis');
          return inner;
        }
        if (t.text === '[') throw new OttlSyntaxError("list literals are not supported in Stitch's OTTL subset", t.col);
        throw new OttlSyntaxError(`expected a value, got ${describe(t)}`, t.col);
      case 'ident':
        break;
      default:
        throw new OttlSyntaxError(`expected a value, got ${describe(t)}`, t.col);
    }
    if (t.text === 'true' || t.text === 'false') return { kind: 'literal', col: t.col, value: t.text === 'true' };
    if (t.text === 'nil') return { kind: 'literal', col: t.col, value: null };
    if (t.text === 'and' || t.text === 'or' || t.text === 'not')
      throw new OttlSyntaxError(`expected a value, got ${describe(t)}`, t.col);
    if (/^[A-Z]/.test(t.text)) {
      if (peek().kind === 'punct' && peek().text === '(') {
        next();
        const args: Node[] = [];
        if (!(peek().kind === 'punct' && peek().text === ')')) {
          for (;;) {
            args.push(parseOr());
            if (peek().kind === 'punct' && peek().text === ',') {
              next();
              continue;
            }
            break;
          }
        }
        expectPunct(')', `to close the arguments of ${t.text}`);
        return { kind: 'call', col: t.col, name: t.text, args };
      }
      if (/^[A-Z][A-Z0-9_]*$/.test(t.text)) return { kind: 'enum', col: t.col, name: t.text };
      throw new OttlSyntaxError(`expected "(" after the function name ${t.text}, got ${describe(peek())}`, peek().col);
    }
    // A path: name(.name)*([“key”])*
    const parts = [t.text];
    const keys: { key: string; col: number }[] = [];
    while (peek().kind === 'punct' && peek().text === '.') {
      next();
      const n = next();
      if (n.kind !== 'ident') throw new OttlSyntaxError(`expected a field name after ".", got ${describe(n)}`, n.col);
      parts.push(n.text);
    }
    while (peek().kind === 'punct' && peek().text === '[') {
      next();
      const k = next();
      if (k.kind !== 'string') throw new OttlSyntaxError(`expected a string key inside [ ], got ${describe(k)}`, k.col);
      keys.push({ key: k.value as string, col: k.col });
      expectPunct(']', 'after the key');
    }
    if (peek().kind === 'punct' && peek().text === '(')
      throw new OttlSyntaxError(`${t.text} is not a function; OTTL functions start with a capital letter`, t.col);
    return { kind: 'path', col: t.col, parts, keys };
  };

  const root = parseOr();
  const end = peek();
  if (end.kind !== 'eof') {
    throw new OttlSyntaxError(`unexpected ${describe(end)} after a complete condition (missing "and"/"or"?)`, end.col);
  }
  return root;
}
