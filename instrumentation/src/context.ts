/**
 * The one AsyncLocalStorage of a request or reconcile. Its store is the active OpenTelemetry
 * {@link Context} *and* knows the correlation IDs of the request or reconcile it belongs to
 * ({@link StitchStore}), so entering a request is one `AsyncLocalStorage.run` instead of two
 * (ours plus the OTel context manager's: ~3% of a hello-world request in
 * bench/instrumentation-overhead.mjs). setupTelemetry() registers {@link StitchContextManager},
 * the SDK's AsyncLocalStorageContextManager reading and writing this same storage; when another
 * context manager is global already, adapters enter both (the old way) and nothing changes for
 * user code.
 *
 * The HTTP request state is itself the store (no extra object per request); the pino mixin and
 * user code read the IDs through {@link currentCorrelation}.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, context as otelContext, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

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

/**
 * What the storage holds: an OpenTelemetry Context that may know its request's or reconcile's
 * correlation. Plain OTel contexts (ROOT_CONTEXT, the API's BaseContext) have no `correlation`.
 */
export interface StitchStore extends Context {
  readonly correlation?: CorrelationContext | undefined;
}

interface Shared {
  readonly storage: AsyncLocalStorage<StitchStore>;
  /** True while a {@link StitchContextManager} is the global OTel context manager. */
  ownsOtelContext: boolean;
}

/** Shared by every copy of this module in the process (CJS and ESM may both load it). */
const KEY = Symbol.for('stitch.instrumentation.store.v2');
const g = globalThis as unknown as Record<symbol, Shared | undefined>;
const shared: Shared = (g[KEY] ??= { storage: new AsyncLocalStorage<StitchStore>(), ownsOtelContext: false });
const storage = shared.storage;

/** The OTel API's context key of the active span (its `createContextKey` is `Symbol.for`). */
export const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

/** A key no OTel code ever asks for: marks a context that only adds a correlation. */
const NO_KEY = Symbol('stitch.correlation-only');

/**
 * An immutable context: one key over a parent, plus the correlation it inherits. `setValue` on
 * any Stitch store returns one of these, so a child span's context keeps the request's IDs (the
 * API's BaseContext would copy a Map and three closures per call).
 */
export class LinkedContext implements StitchStore {
  constructor(
    private readonly parent: Context,
    private readonly key: symbol,
    private readonly value: unknown,
    readonly correlation: CorrelationContext | undefined,
  ) {}
  getValue(key: symbol): unknown {
    return key === this.key ? this.value : this.parent.getValue(key);
  }
  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value, this.correlation);
  }
  deleteValue(key: symbol): Context {
    return new LinkedContext(this, key, undefined, this.correlation);
  }
}

/** `ctx` as a store: it keeps its own correlation, else inherits the current one. */
function toStore(ctx: Context): StitchStore {
  if ((ctx as StitchStore).correlation !== undefined) return ctx;
  const c = storage.getStore()?.correlation;
  return c === undefined ? ctx : new LinkedContext(ctx, NO_KEY, undefined, c);
}

/** The current request's or reconcile's IDs, or undefined outside of one. */
export function currentCorrelation(): CorrelationContext | undefined {
  return storage.getStore()?.correlation;
}

/** The current `request_id`, or undefined outside an instrumented request. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.correlation?.requestId;
}

/** The current reconcile's `rid`, or undefined outside a wrapped reconcile. */
export function currentReconcileId(): string | undefined {
  return storage.getStore()?.correlation?.rid;
}

/**
 * Runs `fn(...args)` with `ctx` as the current correlation context and returns its result; the
 * active OpenTelemetry context stays what it was. The extra arguments avoid a closure per call.
 */
export function runWithCorrelation<A extends unknown[], R>(ctx: CorrelationContext, fn: (...args: A) => R, ...args: A): R {
  const store = (ctx as unknown as StitchStore).correlation === ctx ? (ctx as unknown as StitchStore) : undefined;
  return storage.run(store ?? new LinkedContext(storage.getStore() ?? ROOT_CONTEXT, NO_KEY, undefined, ctx), fn, ...args);
}

const withOtelContext = otelContext.with.bind(otelContext) as (
  ctx: Context,
  fn: unknown,
  self: unknown,
  ...args: unknown[]
) => unknown;

/**
 * Runs `fn(...args)` with `store` as both the correlation and the active OpenTelemetry context:
 * one AsyncLocalStorage entry when Stitch's context manager is the global one, else also
 * through the global manager. Adapters call it once per request.
 */
export function runInStore<A extends unknown[], R>(store: StitchStore, fn: (...args: A) => R, ...args: A): R {
  if (shared.ownsOtelContext) return storage.run(store, fn, ...args);
  return storage.run(store, withOtelContext, store, fn, undefined, ...args) as R;
}

/**
 * The OpenTelemetry context manager over the store above: the SDK's AsyncLocalStorage context
 * manager (its `bind` for functions and event emitters is reused as is) with `active`, `with`
 * and `attach` on the shared storage. A context without correlation entered inside a request
 * (`context.with(ROOT_CONTEXT, fn)`) keeps the request's IDs for logs, as two stores did.
 */
export class StitchContextManager extends AsyncLocalStorageContextManager {
  override active(): Context {
    return storage.getStore() ?? ROOT_CONTEXT;
  }

  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const cb = thisArg == null ? fn : (fn.bind(thisArg) as F);
    return storage.run(toStore(ctx), cb, ...args);
  }

  override attach(ctx: Context): { dispose(): void } {
    const previous = storage.getStore();
    storage.enterWith(toStore(ctx));
    let disposed = false;
    return {
      dispose() {
        if (disposed) return;
        disposed = true;
        if (previous === undefined) storage.enterWith(ROOT_CONTEXT);
        else storage.enterWith(previous);
      },
    };
  }
}

/**
 * Registers a {@link StitchContextManager} as the global OTel context manager. Returns the undo
 * function, or undefined when another manager is registered already (adapters then enter both).
 */
export function registerStitchContextManager(): (() => void) | undefined {
  const cm = new StitchContextManager();
  if (!otelContext.setGlobalContextManager(cm)) return undefined;
  shared.ownsOtelContext = true;
  return () => {
    shared.ownsOtelContext = false;
    otelContext.disable();
  };
}
