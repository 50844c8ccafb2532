/**
 * controller-runtime's `reconcile.TerminalError`: an error that retrying cannot fix (invalid
 * spec, missing permission the operator will never get). It is counted in
 * `controller_runtime_terminal_reconcile_errors_total` and the item is not requeued.
 */

/** Throw (or wrap a cause in) this from a reconcile to stop retries for the object. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** True when `err` or any error in its `cause` chain is a TerminalError (Go's errors.Is). */
export function isTerminalError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 16; e = e.cause, depth++) {
    if (e instanceof TerminalError) return true;
  }
  return false;
}
