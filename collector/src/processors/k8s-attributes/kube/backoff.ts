/**
 * Exponential backoff with full jitter, bounded (client-go's wait.Backoff shape): each failure
 * doubles the ceiling up to `maxMs`, the wait is a random point below it so a fleet of DaemonSet
 * pods does not reconnect in lockstep after an API server restart.
 */

/** Backoff settings. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/** A backoff sequence; `reset()` after a success. */
export interface Backoff {
  /** The delay before the next attempt. */
  next(): number;
  reset(): void;
  /** Failures since the last reset. */
  readonly attempts: number;
}

/** Creates a backoff sequence. */
export function createBackoff({ initialMs, maxMs, random = Math.random }: BackoffOptions): Backoff {
  let attempts = 0;
  return {
    next() {
      const ceiling = Math.min(maxMs, initialMs * 2 ** attempts);
      attempts++;
      // Half fixed, half jitter: never zero (no hot loop), never above the ceiling.
      return Math.round(ceiling / 2 + (random() * ceiling) / 2);
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}

/** Resolves after `ms`, or early (without rejecting) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
