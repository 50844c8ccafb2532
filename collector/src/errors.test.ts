import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errors, isPermanent, isRetryable, StitchError } from './errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = [...doc.matchAll(/^### (STITCH_ERR_[A-Z0-9_]+)$/gm)].map((m) => m[1]);

describe('error catalogue', () => {
  it('each key equals its code', () => {
    for (const [key, def] of Object.entries(errors)) expect(def.code).toBe(key);
  });

  it('every code is documented in docs/errors.md, and every documented code exists', () => {
    expect([...documented].sort()).toEqual(Object.keys(errors).sort());
  });

  it('documents each code under its kind and retryability', () => {
    for (const [code, def] of Object.entries(errors)) {
      const section = doc.split(`### ${code}\n`)[1]?.split('\n### ')[0] ?? '';
      expect(section.startsWith(`${def.kind}${def.retryable ? ', retryable' : ''}.`), code).toBe(true);
    }
  });

  it('formats messages with their arguments and carries options', () => {
    const err = errors.STITCH_ERR_MEMORY_LIMIT([900, 800], { retryAfterMs: 1000 });
    expect(err).toBeInstanceOf(StitchError);
    expect(err.message).toBe('data refused: memory usage 900 MiB is above the soft limit of 800 MiB');
    expect(err.toString()).toBe(
      'StitchError [STITCH_ERR_MEMORY_LIMIT]: data refused: memory usage 900 MiB is above the soft limit of 800 MiB',
    );
    expect(isRetryable(err)).toBe(true);
    expect(isPermanent(errors.STITCH_ERR_EXPORT_PERMANENT(['loki', '400 bad'], {}))).toBe(true);
    expect(errors.STITCH_ERR_QUEUE_FULL.is(errors.STITCH_ERR_QUEUE_FULL(['x', 'y']))).toBe(true);
  });
});
