import { describe, expect, it } from 'vitest';
import { memoryLimiterConfigSchema } from './config.js';
import { computeLimits } from './limiter.js';

const MIB = 1024 * 1024;

describe('memory_limiter config', () => {
  it('has the Collector defaults, which alone are invalid (check_interval and a limit are required)', () => {
    const r = memoryLimiterConfigSchema.safeParse({});
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['check_interval', 'limit_mib']);
  });

  it('parses a typical config', () => {
    expect(memoryLimiterConfigSchema.parse({ check_interval: '1s', limit_mib: 4000, spike_limit_mib: 800 })).toEqual({
      check_interval: 1000,
      limit_mib: 4000,
      spike_limit_mib: 800,
      limit_percentage: 0,
      spike_limit_percentage: 0,
      min_gc_interval_when_soft_limited: 10_000,
      min_gc_interval_when_hard_limited: 0,
    });
  });

  it('accepts both forms at once, as the Collector does (limit_mib wins)', () => {
    const c = memoryLimiterConfigSchema.parse({ check_interval: '1s', limit_mib: 100, limit_percentage: 50 });
    expect(computeLimits(c, () => 10_000 * MIB).hardBytes).toBe(100 * MIB);
  });

  const invalid: [string, Record<string, unknown>, string, RegExp][] = [
    ['zero check_interval', { check_interval: '0s', limit_mib: 100 }, 'check_interval', /greater than zero/],
    ['negative check_interval', { check_interval: '-1s', limit_mib: 100 }, 'check_interval', /greater than zero/],
    ['no limit', { check_interval: '1s' }, 'limit_mib', /'limit_mib' or 'limit_percentage'/],
    ['spike equal to limit', { check_interval: '1s', limit_mib: 100, spike_limit_mib: 100 }, 'spike_limit_mib', /smaller/],
    ['percentage over 100', { check_interval: '1s', limit_percentage: 101 }, 'limit_percentage', /less than or equal to hundred/],
    [
      'spike percentage over limit',
      { check_interval: '1s', limit_percentage: 50, spike_limit_percentage: 60 },
      'spike_limit_percentage',
      /smaller than 'limit_percentage'/,
    ],
    [
      'gc intervals inverted',
      { check_interval: '1s', limit_mib: 100, min_gc_interval_when_soft_limited: '1s', min_gc_interval_when_hard_limited: '5s' },
      'min_gc_interval_when_soft_limited',
      /should be larger/,
    ],
    ['unknown key', { check_interval: '1s', limit_mib: 100, ballast_size_mib: 10 }, '', /ballast_size_mib/],
  ];
  it.each(invalid)('rejects %s', (_name, raw, path, message) => {
    const r = memoryLimiterConfigSchema.safeParse(raw);
    expect(r.success).toBe(false);
    const issue = r.error?.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message ?? '(no issue at that path)').toMatch(message);
  });
});

describe('computeLimits', () => {
  it('defaults the spike to 20% of the limit', () => {
    const c = memoryLimiterConfigSchema.parse({ check_interval: '1s', limit_mib: 1000 });
    expect(computeLimits(c, () => 0)).toEqual({ hardBytes: 1000 * MIB, softBytes: 800 * MIB });
  });

  it('takes percentages of the total memory', () => {
    const c = memoryLimiterConfigSchema.parse({ check_interval: '1s', limit_percentage: 50, spike_limit_percentage: 10 });
    expect(computeLimits(c, () => 2000 * MIB)).toEqual({ hardBytes: 1000 * MIB, softBytes: 800 * MIB });
  });
});
