import { describe, expect, it } from 'vitest';
import { errors } from '../errors.js';
import { retryOnFailureSchema } from './config.js';
import { Backoff, parseRetryAfter, sendWithRetry } from './retry.js';

const fast = (over: Partial<Record<string, unknown>> = {}) =>
  retryOnFailureSchema.parse({
    initial_interval: '10ms',
    max_interval: '40ms',
    multiplier: 2,
    randomization_factor: 0,
    max_elapsed_time: '5s',
    ...over,
  });

/** An attempt that fails `n` times with `err`, then succeeds; records the time of each call. */
function flaky(n: number, err: () => unknown) {
  const calls: number[] = [];
  return {
    calls,
    attempt: async () => {
      calls.push(Date.now());
      if (calls.length <= n) throw err();
    },
  };
}

describe('Backoff', () => {
  it('grows by the multiplier and caps at max_interval', () => {
    const b = new Backoff({ initial_interval: 100, multiplier: 1.5, randomization_factor: 0, max_interval: 300 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 150, 225, 300, 300]);
  });

  it('jitters within interval × (1 ± randomization_factor)', () => {
    const lo = new Backoff({ initial_interval: 1000, multiplier: 2, randomization_factor: 0.5, max_interval: 8000 }, () => 0);
    const hi = new Backoff(
      { initial_interval: 1000, multiplier: 2, randomization_factor: 0.5, max_interval: 8000 },
      () => 0.999999,
    );
    expect(lo.next()).toBe(500);
    expect(hi.next()).toBeCloseTo(1500, 0);
    const r = new Backoff({ initial_interval: 1000, multiplier: 1, randomization_factor: 0.3, max_interval: 1000 });
    for (let i = 0; i < 200; i++) {
      const d = r.next();
      expect(d).toBeGreaterThanOrEqual(700);
      expect(d).toBeLessThanOrEqual(1300);
    }
  });
});

describe('sendWithRetry', () => {
  const retryable = () => errors.STITCH_ERR_EXPORT_RETRYABLE(['test', 'HTTP 503']);

  it('retries retryable errors with growing waits until success', async () => {
    const f = flaky(3, retryable);
    const out = await sendWithRetry(f.attempt, { config: fast(), stop: new AbortController().signal });
    expect(out).toEqual({ kind: 'sent', attempts: 4 });
    const gaps = f.calls.slice(1).map((t, i) => t - (f.calls[i] as number));
    // 10, 20, 40 ms (timers may fire a little late, never early)
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
  });

  it('never retries a permanent error', async () => {
    const f = flaky(5, () => errors.STITCH_ERR_EXPORT_PERMANENT(['test', 'HTTP 400']));
    const failures: boolean[] = [];
    const out = await sendWithRetry(f.attempt, {
      config: fast(),
      stop: new AbortController().signal,
      onAttemptFailed: (_e, permanent) => failures.push(permanent),
    });
    expect(out.kind).toBe('permanent');
    expect(f.calls).toHaveLength(1);
    expect(failures).toEqual([true]);
  });

  it('honours the throttle delay (Retry-After) when it is longer than the backoff', async () => {
    const f = flaky(1, () => errors.STITCH_ERR_EXPORT_RETRYABLE(['test', 'HTTP 429'], { retryAfterMs: 150 }));
    const out = await sendWithRetry(f.attempt, { config: fast(), stop: new AbortController().signal });
    expect(out.kind).toBe('sent');
    expect((f.calls[1] as number) - (f.calls[0] as number)).toBeGreaterThanOrEqual(148);
  });

  it('gives up when the next wait would pass max_elapsed_time, and says why', async () => {
    // Waits 10ms, then 200ms: the second wait would pass 100ms, so it must return instead of sleeping.
    const f = flaky(100, retryable);
    const out = await sendWithRetry(f.attempt, {
      config: fast({ max_elapsed_time: '100ms', initial_interval: '10ms', multiplier: 20, max_interval: '1s' }),
      stop: new AbortController().signal,
    });
    const returnedAt = Date.now();
    expect(out.kind).toBe('exhausted');
    expect(out.kind === 'exhausted' && out.reason).toMatch(/max_elapsed_time 100ms/);
    expect(f.calls.length).toBeGreaterThanOrEqual(2);
    // Slack for a loaded machine, still far below the 200ms wait it must not take.
    expect(returnedAt - (f.calls.at(-1) as number)).toBeLessThan(150);
  });

  it('gives up at once when a throttle delay would pass the deadline', async () => {
    const f = flaky(100, () => errors.STITCH_ERR_EXPORT_RETRYABLE(['test', 'HTTP 429'], { retryAfterMs: 60_000 }));
    const t0 = Date.now();
    const out = await sendWithRetry(f.attempt, {
      config: fast({ max_elapsed_time: 0 }),
      stop: new AbortController().signal,
      deadlineMs: Date.now() + 1000,
    });
    expect(out.kind === 'exhausted' && out.reason).toMatch(/deadline/);
    expect(Date.now() - t0).toBeLessThan(500);
  });

  it('retries forever with max_elapsed_time 0', async () => {
    const f = flaky(8, retryable);
    const out = await sendWithRetry(f.attempt, {
      config: fast({ max_elapsed_time: 0, max_interval: '5ms', initial_interval: '1ms' }),
      stop: new AbortController().signal,
    });
    expect(out).toEqual({ kind: 'sent', attempts: 9 });
  });

  it('makes one attempt only when retry_on_failure is disabled', async () => {
    const f = flaky(1, retryable);
    const out = await sendWithRetry(f.attempt, { config: fast({ enabled: false }), stop: new AbortController().signal });
    expect(out.kind === 'exhausted' && out.reason).toMatch(/disabled/);
    expect(f.calls).toHaveLength(1);
  });

  it('stops waiting at once when shutdown aborts the retry', async () => {
    const stop = new AbortController();
    const f = flaky(100, retryable);
    const t0 = Date.now();
    const p = sendWithRetry(f.attempt, {
      config: fast({ initial_interval: '10s', max_interval: '10s', max_elapsed_time: 0 }),
      stop: stop.signal,
    });
    setTimeout(() => stop.abort(), 50);
    const out = await p;
    expect(out.kind).toBe('stopped');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(f.calls).toHaveLength(1);
  });
});

describe('parseRetryAfter', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter(['7', '9'])).toBe(7000); // a repeated header: the first value
  });
});
