import { describe, expect, it } from 'vitest';
import { compileCondition, type OttlContext } from './compile.js';
import { OttlSyntaxError, parseCondition } from './parser.js';

function errorAt(src: string, context: OttlContext = 'span'): { column: number; message: string } {
  try {
    compileCondition(src, context);
  } catch (err) {
    if (err instanceof OttlSyntaxError) return { column: err.column, message: err.message };
    throw err;
  }
  throw new Error(`expected ${src} to fail`);
}

describe('OTTL parser', () => {
  it('parses precedence: not binds tighter than and, and tighter than or', () => {
    const ast = parseCondition('not name == "a" and kind == SPAN_KIND_SERVER or true');
    expect(ast.kind).toBe('or');
    expect(ast.kind === 'or' && ast.left.kind).toBe('and');
    expect(ast.kind === 'or' && ast.left.kind === 'and' && ast.left.left.kind).toBe('not');
  });

  it('reads literals: strings with escapes, ints, floats, signs, bools, nil, bytes', () => {
    const lit = (s: string) => {
      const n = parseCondition(`name == ${s}`);
      return n.kind === 'compare' && n.right.kind === 'literal' ? n.right.value : undefined;
    };
    expect(lit('"a\\"b"')).toBe('a"b');
    expect(lit('42')).toBe(42n);
    expect(lit('-1.5')).toBe(-1.5);
    expect(lit('1e3')).toBe(1000);
    expect(lit('false')).toBe(false);
    expect(lit('nil')).toBe(null);
    expect(lit('0x0a0b')).toEqual(Uint8Array.from([10, 11]));
  });

  const errors: [string, number, RegExp, OttlContext?][] = [
    ['name = "x"', 6, /use "=="/],
    ['name == ', 9, /expected a value, got end of condition/],
    ['name == "x" "y"', 13, /missing "and"\/"or"/],
    ['(name == "x"', 13, /expected "\)" to close/],
    ['name == "unterminated', 9, /unterminated string/],
    ['atributes["x"] == 1', 1, /unknown path "atributes" for span conditions; supported: .*attributes\["key"\]/],
    ['name["x"] == 1', 6, /name is not a map/],
    ['attributes[0] == 1', 12, /expected a string key/],
    ['Concat("a", "b") == "ab"', 1, /function Concat is not in Stitch's OTTL subset; supported: IsMatch/],
    ['IsMatch(name)', 1, /IsMatch takes 2 arguments/],
    ['IsMatch(name, attributes["p"])', 15, /argument 2 of IsMatch must be a string literal/],
    ['IsMatch(name, "(")', 15, /invalid regular expression/],
    ['severity_number < SEVERITY_NUMBER_LOUD', 19, /unknown enum SEVERITY_NUMBER_LOUD/, 'log'],
    ['name', 1, /a condition must be a comparison/],
    ['end_time_unix_nano - start_time_unix_nano > 1000', 20, /math expressions/],
    ['HasAttrKeyOnDatapoint("k")', 1, /only be used in metric conditions/, 'datapoint'],
    ['isMatch(name, "x")', 1, /not a function; OTTL functions start with a capital/],
    ['name == "a" and', 16, /expected a value, got end of condition/],
  ];
  it.each(errors)('rejects %j at column %d', (src, column, message, context) => {
    const e = errorAt(src, context);
    expect(e.message).toMatch(message);
    expect(e.column).toBe(column);
  });
});
