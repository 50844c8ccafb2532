/**
 * What the two demo programs share: messages to the parent (`stitch demo` forks them with an IPC
 * channel) and a clean stop on SIGINT / SIGTERM or when the parent goes away, so Ctrl-C never
 * leaves a process behind. Run on their own (`node examples/demo-service.ts`), they work too.
 */

/** Sends a message to the parent process, when there is one. */
export function tell(message: Record<string, unknown>): void {
  if (process.connected) process.send?.(message);
}

/**
 * Calls `stop` once on SIGINT, SIGTERM or when the IPC channel closes (the parent exited), then
 * exits 0 — or 1 if `stop` failed or took longer than `timeoutMs`.
 */
export function onStop(stop: () => Promise<void>, timeoutMs = 8000): void {
  let stopping = false;
  const run = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), timeoutMs).unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${(err as Error).stack ?? String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', run);
  process.on('SIGTERM', run);
  process.on('disconnect', run);
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A latency in ms around `medianMs` with a long right tail (log-normal), as real services have. */
export function latency(medianMs: number, spread = 0.6): number {
  // Box–Muller: a standard normal from two uniforms.
  const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return Math.max(1, medianMs * Math.exp(spread * z));
}

/** True with probability `p`. */
export const chance = (p: number) => Math.random() < p;

/** One element of `xs`, at random. */
export const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
