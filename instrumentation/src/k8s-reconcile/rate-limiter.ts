/**
 * client-go's workqueue rate limiters (k8s.io/client-go/util/workqueue/default_rate_limiters.go),
 * reimplemented because no maintained npm package provides them: the per-item exponential
 * failure backoff, the overall token bucket, and their max. `when()` answers "how long until this
 * item may be retried" and records the attempt; `forget()` clears an item's history.
 */

/** Decides retry delays per item. */
export interface RateLimiter<T = string> {
  /** Delay before `item` may be processed again; counts one more retry. */
  when(item: T): number;
  /** Clears `item`'s failure history (after success or a terminal error). */
  forget(item: T): void;
  /** How many times `item` has been rate-limited since the last forget. */
  numRequeues(item: T): number;
}

/** baseMs · 2^failures, capped at maxMs (client-go: 5 ms base, 1000 s max). */
export function exponentialFailureRateLimiter<T = string>(baseMs = 5, maxMs = 1_000_000): RateLimiter<T> {
  const failures = new Map<T, number>();
  return {
    when(item) {
      const n = failures.get(item) ?? 0;
      failures.set(item, n + 1);
      const delay = baseMs * 2 ** n;
      return delay > maxMs || !Number.isFinite(delay) ? maxMs : delay;
    },
    forget: (item) => void failures.delete(item),
    numRequeues: (item) => failures.get(item) ?? 0,
  };
}

/**
 * An overall token bucket shared by all items (client-go: 10 qps, burst 100), with Go's
 * `rate.Limiter.Reserve().Delay()` semantics: a reservation always succeeds and the delay grows
 * as the bucket goes into debt. `now` is injectable for tests.
 */
export function bucketRateLimiter<T = string>(
  qps = 10,
  burst = 100,
  now: () => number = () => performance.now(),
): RateLimiter<T> {
  let tokens = burst;
  let last = now();
  return {
    when() {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) / 1000) * qps);
      last = t;
      tokens -= 1;
      return tokens >= 0 ? 0 : (-tokens / qps) * 1000;
    },
    forget() {},
    numRequeues: () => 0,
  };
}

/** The largest delay of several limiters (client-go's MaxOfRateLimiter). */
export function maxOfRateLimiter<T = string>(...limiters: RateLimiter<T>[]): RateLimiter<T> {
  return {
    when: (item) => limiters.reduce((d, l) => Math.max(d, l.when(item)), 0),
    forget: (item) => {
      for (const l of limiters) l.forget(item);
    },
    numRequeues: (item) => limiters.reduce((n, l) => Math.max(n, l.numRequeues(item)), 0),
  };
}

/** client-go's DefaultTypedControllerRateLimiter: max(exponential 5 ms..1000 s, bucket 10 qps / 100 burst). */
export function defaultControllerRateLimiter<T = string>(): RateLimiter<T> {
  return maxOfRateLimiter<T>(exponentialFailureRateLimiter<T>(5, 1_000_000), bucketRateLimiter<T>(10, 100));
}
