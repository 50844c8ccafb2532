import { describe, expect, it } from 'vitest';
import { batchConfigSchema } from './config.js';

describe('batch config', () => {
  it('has the Collector defaults', () => {
    expect(batchConfigSchema.parse({})).toEqual({
      timeout: 200,
      send_batch_size: 8192,
      send_batch_max_size: 0,
      metadata_keys: [],
      metadata_cardinality_limit: 1000,
    });
  });

  it('parses Go durations', () => {
    expect(batchConfigSchema.parse({ timeout: '10s' }).timeout).toBe(10_000);
    expect(batchConfigSchema.parse({ timeout: '0s' }).timeout).toBe(0);
  });

  const invalid: [string, Record<string, unknown>, string, RegExp][] = [
    ['max below size', { send_batch_size: 100, send_batch_max_size: 50 }, 'send_batch_max_size', /greater or equal/],
    ['negative timeout', { timeout: '-1s' }, 'timeout', /greater or equal to 0/],
    ['duplicate metadata key', { metadata_keys: ['Tenant', 'tenant'] }, 'metadata_keys.1', /duplicate entry/],
    ['negative size', { send_batch_size: -1 }, 'send_batch_size', /.+/],
    ['unknown key', { send_batch_sise: 1 }, '', /send_batch_sise/],
  ];
  it.each(invalid)('rejects %s', (_name, raw, path, message) => {
    const result = batchConfigSchema.safeParse(raw);
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path.join('.')).toBe(path);
    expect(issue?.message ?? '').toMatch(message);
  });

  it('accepts send_batch_max_size equal to send_batch_size', () => {
    expect(batchConfigSchema.safeParse({ send_batch_size: 100, send_batch_max_size: 100 }).success).toBe(true);
  });
});
