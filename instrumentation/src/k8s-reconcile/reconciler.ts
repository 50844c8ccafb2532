/**
 * `wrapReconciler()`: what a controller-runtime controller gives a Go reconciler, for a
 * TypeScript one, plus what controller-runtime lacks. Each call gets a `rid` (UUID), a span
 * (`controller`, `k8s.object.namespace`, `k8s.object.name`, `rid`), the correlation context (so
 * every pino line written inside carries `rid`, `trace_id`, `span_id`), controller-runtime's
 * metrics and a `rid` exemplar on the duration histogram. It needs no Kubernetes client at runtime.
 *
 * Outcome rules are controller-runtime's (reconcileHandler): an error wins over a result; a
 * TerminalError is counted and not retried; a "panic" is counted in reconcile_panics_total and then
 * handled as an error (controller-runtime's RecoverPanic). In JavaScript a panic is a thrown
 * non-Error, or a TypeError / ReferenceError — the runtime faults that are Go's nil dereferences.
 */
import { randomUUID } from 'node:crypto';
import { type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { CONTROLLER, OBJECT_NAME, OBJECT_NAMESPACE, RECONCILE_ID, SPAN_ID, TRACE_ID } from '@stitch/correlation';
import type { Logger } from 'pino';
import { type CorrelationContext, LinkedContext, runInStore, SPAN_KEY, type StitchStore } from '../context.js';
import { errors } from '../errors.js';
import { requireTelemetry, type Telemetry } from '../setup/telemetry.js';
import { type ControllerMetrics, controllerMetrics, type ReconcileResultLabel } from './metrics.js';
import { isTerminalError } from './terminal-error.js';

/** Which object to reconcile (controller-runtime's reconcile.Request). */
export interface ReconcileRequest {
  readonly namespace?: string | undefined;
  readonly name: string;
}

/** What a reconcile returns (controller-runtime's reconcile.Result). */
export interface ReconcileResult {
  /** Requeue with the rate limiter's backoff. */
  requeue?: boolean;
  /** Requeue after exactly this many milliseconds (wins over `requeue`). */
  requeueAfterMs?: number;
}

/** What the reconcile function receives besides the request. */
export interface ReconcileContext extends CorrelationContext {
  readonly rid: string;
  readonly controller: string;
  readonly request: ReconcileRequest;
  /** The reconcile span (add attributes or events to it). */
  readonly span: Span | undefined;
  /** `logger.child({ controller, k8s.object.namespace, k8s.object.name })` when a logger was given. */
  readonly log: Logger | undefined;
  /** Aborted when the controller stops. */
  readonly signal: AbortSignal | undefined;
}

// biome-ignore lint/suspicious/noConfusingVoidType: `void` lets `async (req) => { … }` (no return) be a Reconcile.
type MaybeResult = ReconcileResult | undefined | void;

/** A reconcile function. Return nothing for success; throw to fail (TerminalError: do not retry). */
export type Reconcile = (request: ReconcileRequest, ctx: ReconcileContext) => Promise<MaybeResult> | MaybeResult;

/** How one reconcile ended, as the controller (or your own loop) acts on it. */
export interface ReconcileOutcome {
  readonly rid: string;
  /** The `result` label it was counted under. */
  readonly result: ReconcileResultLabel;
  /** The thrown value (a panic's non-Error is wrapped in STITCH_ERR_RECONCILE_PANIC). */
  readonly error: unknown;
  /** A TerminalError: counted, never retried. */
  readonly terminal: boolean;
  readonly panic: boolean;
  /** For `requeue_after`. */
  readonly requeueAfterMs: number | undefined;
  readonly durationSeconds: number;
}

/** Options of {@link wrapReconciler}. */
export interface WrapReconcilerOptions {
  /** The `controller` label and attribute. */
  controller: string;
  /** Default: the last setupTelemetry() result. */
  telemetry?: Telemetry;
  /** Base logger for `ctx.log`; errors are logged to it as controller-runtime does ("Reconciler error"). */
  logger?: Logger;
}

/** A wrapped reconcile: call it like the original (errors are rethrown), or `run()` it for the outcome. */
export interface WrappedReconciler {
  (request: ReconcileRequest, signal?: AbortSignal): Promise<ReconcileResult>;
  /** Records everything and resolves with the outcome; never rejects. */
  run(request: ReconcileRequest, signal?: AbortSignal): Promise<ReconcileOutcome>;
  readonly controller: string;
  /** The controller's metrics (the controller sets `maxConcurrent`). */
  readonly metrics: ControllerMetrics;
}

/** The namespace/name key client-go uses (`name` alone for cluster-scoped objects). */
export function objectKey(request: ReconcileRequest): string {
  return request.namespace ? `${request.namespace}/${request.name}` : request.name;
}

function isPanic(err: unknown): boolean {
  return !(err instanceof Error) || err instanceof TypeError || err instanceof ReferenceError;
}

/** One reconcile: its context for the reconcile function, and the AsyncLocalStorage store (correlation + OTel context). */
class ReconcileState implements ReconcileContext, StitchStore {
  readonly requestId = undefined;
  traceId: string | undefined = undefined;
  spanId: string | undefined = undefined;
  span: Span | undefined = undefined;
  sampled = false;
  readonly objectNamespace: string | undefined;
  readonly objectName: string;
  constructor(
    readonly rid: string,
    readonly controller: string,
    readonly request: ReconcileRequest,
    readonly log: Logger | undefined,
    readonly signal: AbortSignal | undefined,
  ) {
    this.objectNamespace = request.namespace;
    this.objectName = request.name;
  }

  get correlation(): CorrelationContext {
    return this;
  }

  // A reconcile is a root: the only value of its context is its span.
  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.span : undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value, this);
  }

  deleteValue(key: symbol): Context {
    return new LinkedContext(this, key, undefined, this);
  }
}

/** Wraps a reconcile function; see the module comment. */
export function wrapReconciler(reconcile: Reconcile, options: WrapReconcilerOptions): WrappedReconciler {
  const telemetry = requireTelemetry('wrapReconciler', options.telemetry);
  const controller = options.controller;
  if (typeof controller !== 'string' || controller === '') {
    throw errors.STITCH_ERR_INSTR_OPTION(['wrapReconciler.controller', 'must be a non-empty string']);
  }
  const m = controllerMetrics(telemetry, controller);
  const tracer = telemetry.tracesEnabled ? telemetry.tracer : undefined;
  const baseLog = options.logger;

  async function invoke(state: ReconcileState): Promise<ReconcileResult | undefined> {
    return (await reconcile(state.request, state)) ?? undefined;
  }

  async function run(request: ReconcileRequest, signal?: AbortSignal): Promise<ReconcileOutcome> {
    const rid = randomUUID();
    const log = baseLog?.child({ [CONTROLLER]: controller, [OBJECT_NAMESPACE]: request.namespace, [OBJECT_NAME]: request.name });
    const state = new ReconcileState(rid, controller, request, log, signal);
    if (tracer !== undefined) {
      const span = tracer.startSpan(
        `reconcile ${controller}`,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            [CONTROLLER]: controller,
            [OBJECT_NAMESPACE]: request.namespace ?? '',
            [OBJECT_NAME]: request.name,
            [RECONCILE_ID]: rid,
          },
        },
        ROOT_CONTEXT,
      );
      const sc = span.spanContext();
      state.span = span;
      state.traceId = sc.traceId;
      state.spanId = sc.spanId;
      state.sampled = (sc.traceFlags & TraceFlags.SAMPLED) !== 0;
    }
    m.active++;
    const start = performance.now();
    let result: ReconcileResult | undefined;
    let error: unknown;
    let failed = false;
    try {
      result = await runInStore(state, invoke, state);
    } catch (e) {
      failed = true;
      error = e;
    }
    const end = performance.now();
    m.active--;
    const seconds = (end - start) / 1000;

    const panic = failed && isPanic(error);
    if (panic && !(error instanceof Error)) error = errors.STITCH_ERR_RECONCILE_PANIC([objectKey(request), String(error)], error);
    const terminal = failed && isTerminalError(error);
    let label: ReconcileResultLabel;
    let requeueAfterMs: number | undefined;
    if (failed) label = 'error';
    else if (result && (result.requeueAfterMs ?? 0) > 0) {
      label = 'requeue_after';
      requeueAfterMs = result.requeueAfterMs;
    } else if (result?.requeue) label = 'requeue';
    else label = 'success';

    m.time.recordWithExemplar(
      seconds,
      performance.timeOrigin + end,
      state.sampled ? state.traceId : undefined,
      state.sampled ? state.spanId : undefined,
      rid,
    );
    m.total.add(1, m.totalAttrs[label]);
    if (failed) {
      m.errors.add(1, m.byController);
      if (terminal) m.terminal.add(1, m.byController);
      if (panic) m.panics.add(1, m.byController);
      try {
        // Written after the reconcile's store has exited, so the IDs the mixin would add are set here:
        // the error line links to its (still open) span like every line written inside.
        log?.error(
          { err: error, [RECONCILE_ID]: rid, [TRACE_ID]: state.traceId, [SPAN_ID]: state.spanId, terminal, panic },
          'Reconciler error',
        );
      } catch {
        // a broken logger must not break the loop
      }
    }
    const span = state.span;
    if (span !== undefined) {
      span.setAttribute('controller_runtime.result', label);
      if (failed) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        if (error instanceof Error) span.recordException(error);
        span.setAttribute(
          'error.type',
          terminal ? 'TerminalError' : panic ? 'panic' : (error as Error).constructor?.name || 'Error',
        );
      }
      span.end();
    }
    return { rid, result: label, error, terminal, panic, requeueAfterMs, durationSeconds: seconds };
  }

  const wrapped = async (request: ReconcileRequest, signal?: AbortSignal): Promise<ReconcileResult> => {
    const out = await run(request, signal);
    if (out.result === 'error') throw out.error;
    if (out.result === 'requeue_after') return { requeueAfterMs: out.requeueAfterMs };
    return out.result === 'requeue' ? { requeue: true } : {};
  };
  return Object.assign(wrapped, { run, controller, metrics: m });
}
