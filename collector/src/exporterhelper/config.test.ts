import { describe, expect, it } from 'vitest';
import { parseDuration } from '../config/schema.js';
import { retryOnFailureSchema, sendingQueueSchema, timeoutSchema } from './config.js';

describe('exporterhelper config', () => {
  it('has the Collector defaults', () => {
    expect(retryOnFailureSchema.parse(undefined)).toEqual({
      enabled: true,
      initial_interval: 5000,
      randomization_factor: 0.5,
      multiplier: 1.5,
      max_interval: 30000,
      max_elapsed_time: 300000,
    });
    expect(sendingQueueSchema.parse(undefined)).toMatchObject({
      enabled: true,
      num_consumers: 10,
      queue_size: 1000,
      sizer: 'requests',
    });
    expect(timeoutSchema.parse(undefined)).toBe(5000);
  });
  it('parses Go durations', () => {
    expect(parseDuration('1m30s')).toBe(90000);
    expect(parseDuration('200ms')).toBe(200);
    expect(parseDuration('1.5h')).toBe(5400000);
    expect(parseDuration('5')).toBeUndefined();
    expect(timeoutSchema.safeParse('soon').success).toBe(false);
  });
  it('rejects unknown keys', () => {
    const r = sendingQueueSchema.safeParse({ bogus: 1 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['bogus'] });
  });
});
