/**
 * The exporter's stream selectors read back exactly by the strict receiver's parser, which follows
 * Loki's (Go strconv.Unquote) rules: quotes, backslashes, control characters, non-ASCII, and
 * lone surrogates (replaced, since Go rejects them).
 */
import { describe, expect, it } from 'vitest';
import { renderSelector } from '../../collector/src/exporters/loki/labels.js';
import { parseSelector } from '../helpers/strict-loki.js';

const TRICKY = [
  'plain',
  'say "hi"',
  'back\\slash',
  'new\nline\ttab\r',
  '\u0000\u0001\u001f\u007f',
  'naïve ☃ 𝄞',
  '{a="b"}, c="d"',
  '`raw`',
  '',
];

describe('stream selector round trip', () => {
  it.each(TRICKY)('reads back %j', (value) => {
    const labels = [
      { name: 'value', value },
      { name: 'a_first', value: 'x' },
    ];
    expect(parseSelector(renderSelector(labels))).toEqual([
      ['a_first', 'x'],
      ['value', value],
    ]);
  });

  it('reads back random strings', () => {
    for (let i = 0; i < 500; i++) {
      const value = String.fromCharCode(...Array.from({ length: 12 }, () => Math.floor(Math.random() * 0xd7ff)));
      expect(parseSelector(renderSelector([{ name: 'v', value }]))).toEqual([['v', value]]);
    }
  });

  it('replaces a lone surrogate so Loki can parse the selector', () => {
    expect(parseSelector(renderSelector([{ name: 'v', value: 'a\ud800b' }]))).toEqual([['v', 'a\ufffdb']]);
  });
});
