/**
 * The retry stage (the Collector's retry_sender.go): exponential backoff with jitter, the
 * backend's throttle delay honoured, permanent errors never retried, never a wait past the
 * elapsed-time budget or the caller's deadline, and an immediate stop on shutdown.
 */
import { isPermanent, StitchError } from '../errors.js';
import type { RetryConfig } from './config.js';

/**
 * Backoff intervals as the Collector's configretry (cenkalti/backoff) computes them: the n-th
 * interval is `initial_interval * multiplier^n` capped at `max_interval`, then randomised to
 * `interval * (1 ± randomization_factor)`.
 */
export class Backoff {
  private currentMs: number;

  constructor(
    private readonly cfg: Pick<RetryConfig, 'initial_interval' | 'multiplier' | 'randomization_factor' | 'max_interval'>,
    private readonly random: () => number = Math.random,
  ) {
    this.currentMs = cfg.initial_interval;
  }

  /** The next delay in ms (jittered); advances the interval. */
  next(): number {
    const base = this.currentMs;
    const delta = this.cfg.randomization_factor * base;
    const delay = base - delta + this.random() * (2 * delta);
    this.currentMs = Math.min(base * this.cfg.multiplier, this.cfg.max_interval);
    return delay;
  }
}

/** How one item's sending ended. */
export type RetryOutcome =
  | { kind: 'sent'; attempts: number }
  | { kind: 'permanent'; attempts: number; error: unknown }
  /** Gave up while the error was still retryable; `reason` says why, for the log line. */
  | { kind: 'exhausted'; attempts: number; error: unknown; reason: string }
  /** Shutdown stopped the retries after a failed attempt. */
  | { kind: 'stopped'; attempts: number; error: unknown };

/** What `sendWithRetry` needs besides the attempt itself. */
export interface RetryOptions {
  config: RetryConfig;
  /** Aborted at shutdown: no further waits or attempts. */
  stop: AbortSignal;
  /** Absolute time (ms since epoch) no wait may pass; none when undefined. */
  deadlineMs?: number;
  /** Called after each failed attempt (telemetry), before the retry decision. */
  onAttemptFailed?(error: unknown, permanent: boolean): void;
  random?: () => number;
}

/**
 * An HTTP `Retry-After` header (delay-seconds or an HTTP date) in ms, for a push to put in
 * `retryAfterMs`; undefined when absent or unreadable. Node gives a repeated header as a list:
 * the first value counts.
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, now = Date.now()): number | undefined {
  const v = (typeof value === 'string' ? value : value?.[0])?.trim();
  if (v === undefined || v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Resolves after `ms`, or early with false when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(3)}s` : `${Math.round(ms)}ms`;
}

/** Runs `attempt` until it succeeds, fails permanently, or the retry budget says stop. */
export async function sendWithRetry(attempt: () => Promise<void>, options: RetryOptions): Promise<RetryOutcome> {
  const { config, stop } = options;
  const started = Date.now();
  const backoff = new Backoff(config, options.random);
  for (let attempts = 1; ; attempts++) {
    try {
      await attempt();
      return { kind: 'sent', attempts };
    } catch (error) {
      const permanent = isPermanent(error);
      options.onAttemptFailed?.(error, permanent);
      if (permanent) return { kind: 'permanent', attempts, error };
      if (!config.enabled) {
        return { kind: 'exhausted', attempts, error, reason: 'retry_on_failure is disabled' };
      }
      if (stop.aborted) return { kind: 'stopped', attempts, error };
      let delay = backoff.next();
      const throttleMs = error instanceof StitchError ? error.retryAfterMs : undefined;
      if (throttleMs !== undefined && throttleMs > delay) delay = throttleMs;
      const now = Date.now();
      if (config.max_elapsed_time > 0 && now - started + delay > config.max_elapsed_time) {
        return {
          kind: 'exhausted',
          attempts,
          error,
          reason: `no more retries left: the next retry in ${formatMs(delay)} would pass max_elapsed_time ${formatMs(config.max_elapsed_time)}`,
        };
      }
      if (options.deadlineMs !== undefined && now + delay > options.deadlineMs) {
        return {
          kind: 'exhausted',
          attempts,
          error,
          reason: `the deadline is ${formatMs(options.deadlineMs - now)} away, before the next retry in ${formatMs(delay)}`,
        };
      }
      if (!(await sleep(delay, stop))) return { kind: 'stopped', attempts, error };
    }
  }
}
