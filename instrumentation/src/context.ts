/**
 * The correlation context of the request or reconcile running right now, in one
 * AsyncLocalStorage. The HTTP adapters and the reconcile wrapper enter it; the pino mixin and
 * user code read it. The store object is the per-request state itself, so entering the context
 * allocates nothing extra.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** The IDs of the current request or reconcile (fields are absent when not applicable). */
export interface CorrelationContext {
  /** `request_id` of the HTTP request. */
  readonly requestId: string | undefined;
  /** `rid` of the reconcile. */
  readonly rid: string | undefined;
  /** W3C trace ID of the server or reconcile span (absent when tracing is off). */
  readonly traceId: string | undefined;
  /** W3C span ID of that span. */
  readonly spanId: string | undefined;
  /** The controller running the reconcile. */
  readonly controller?: string | undefined;
  /** The reconciled object's namespace. */
  readonly objectNamespace?: string | undefined;
  /** The reconciled object's name. */
  readonly objectName?: string | undefined;
}

/** Shared by every adapter in this process (one instance even if the module is loaded twice via CJS and ESM). */
const KEY = Symbol.for('stitch.instrumentation.correlation');
const g = globalThis as unknown as Record<symbol, AsyncLocalStorage<CorrelationContext> | undefined>;
const storage: AsyncLocalStorage<CorrelationContext> = (g[KEY] ??= new AsyncLocalStorage<CorrelationContext>());

/** The current request's or reconcile's IDs, or undefined outside of one. */
export function currentCorrelation(): CorrelationContext | undefined {
  return storage.getStore();
}

/** The current `request_id`, or undefined outside an instrumented request. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** The current reconcile's `rid`, or undefined outside a wrapped reconcile. */
export function currentReconcileId(): string | undefined {
  return storage.getStore()?.rid;
}

/**
 * Runs `fn(...args)` with `ctx` as the current correlation context and returns its result. The
 * extra arguments avoid a closure per call on hot paths (`runWithCorrelation(state, next)`).
 */
export function runWithCorrelation<A extends unknown[], R>(ctx: CorrelationContext, fn: (...args: A) => R, ...args: A): R {
  return storage.run(ctx, fn, ...args);
}
