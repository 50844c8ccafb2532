/**
 * `createController()`: a controller-runtime style loop for a `@kubernetes/client-node` operator.
 * Informer events enqueue object keys (`enqueueObject` fits `informer.on('add' | 'update' |
 * 'delete', …)`); up to `maxConcurrentReconciles` workers take keys from the work queue and run
 * the wrapped reconcile, then act on the outcome exactly as controller-runtime's reconcileHandler:
 *
 * | outcome                 | queue action                                  |
 * |-------------------------|-----------------------------------------------|
 * | error (not terminal)    | addRateLimited (per-item exponential backoff) |
 * | TerminalError           | forget: not retried                           |
 * | requeueAfterMs > 0      | forget, then addAfter(requeueAfterMs)         |
 * | requeue                 | addRateLimited                                |
 * | success                 | forget                                        |
 */
import { errors } from '../errors.js';
import { requireTelemetry } from '../setup/telemetry.js';
import type { RateLimiter } from './rate-limiter.js';
import {
  objectKey,
  type Reconcile,
  type ReconcileOutcome,
  type ReconcileRequest,
  type WrappedReconciler,
  type WrapReconcilerOptions,
  wrapReconciler,
} from './reconciler.js';
import { WorkQueue } from './work-queue.js';

/** Anything with Kubernetes object metadata (a client-node `KubernetesObject`). */
export interface KubernetesObjectLike {
  apiVersion?: string | undefined;
  kind?: string | undefined;
  metadata?: { name?: string; namespace?: string } | undefined;
}

/** Options of {@link createController}. */
export interface ControllerOptions extends WrapReconcilerOptions {
  reconcile: Reconcile;
  /** Workers (controller-runtime's MaxConcurrentReconciles). Default 1. */
  maxConcurrentReconciles?: number;
  /** Default: client-go's controller rate limiter. */
  rateLimiter?: RateLimiter<string>;
  /** Called after every reconcile with its outcome (tests, custom logging). */
  onOutcome?: (outcome: ReconcileOutcome, key: string) => void;
}

/** A running (once started) controller. */
export interface Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  readonly reconciler: WrappedReconciler;
  /** Enqueues a request (or a `namespace/name` key). */
  enqueue(request: ReconcileRequest | string): void;
  /** Enqueues an object's key; ignores objects without a name. Bound, so it can be passed to informer.on(). */
  readonly enqueueObject: (obj: KubernetesObjectLike) => void;
  /** Starts the workers. Idempotent. */
  start(): void;
  /** Stops taking items, aborts the signal handed to reconciles and waits for in-flight ones. Idempotent. */
  stop(): Promise<void>;
}

/** Parses a client-go key back into a request. */
export function parseObjectKey(key: string): ReconcileRequest {
  const slash = key.indexOf('/');
  return slash === -1 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Creates a controller; call `start()` once informers are wired. */
export function createController(options: ControllerOptions): Controller {
  const telemetry = requireTelemetry('createController', options.telemetry);
  const workers = options.maxConcurrentReconciles ?? 1;
  if (!Number.isInteger(workers) || workers < 1) {
    throw errors.STITCH_ERR_INSTR_OPTION(['createController.maxConcurrentReconciles', `must be an integer ≥ 1, got ${workers}`]);
  }
  const reconciler = wrapReconciler(options.reconcile, { ...options, telemetry });
  reconciler.metrics.maxConcurrent = workers;
  const queue = new WorkQueue<string>({ name: options.controller, rateLimiter: options.rateLimiter, meter: telemetry.meter });
  const abort = new AbortController();
  let running: Promise<void>[] | undefined;
  let stopping: Promise<void> | undefined;

  async function worker(): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (abort.signal.aborted) {
        queue.done(key);
        return;
      }
      try {
        const out = await reconciler.run(parseObjectKey(key), abort.signal);
        if (out.result === 'error') {
          if (out.terminal) queue.forget(key);
          else queue.addRateLimited(key);
        } else if (out.result === 'requeue_after') {
          queue.forget(key);
          queue.addAfter(key, out.requeueAfterMs!);
        } else if (out.result === 'requeue') {
          queue.addRateLimited(key);
        } else {
          queue.forget(key);
        }
        options.onOutcome?.(out, key);
      } finally {
        queue.done(key);
      }
    }
  }

  const enqueueObject = (obj: KubernetesObjectLike) => {
    const name = obj.metadata?.name;
    if (name) queue.add(objectKey({ namespace: obj.metadata?.namespace, name }));
  };

  return {
    name: options.controller,
    queue,
    reconciler,
    enqueue: (request) => queue.add(typeof request === 'string' ? request : objectKey(request)),
    enqueueObject,
    start() {
      running ??= Array.from({ length: workers }, () => worker());
    },
    stop() {
      stopping ??= (async () => {
        abort.abort();
        queue.shutDown();
        await Promise.all(running ?? []);
      })();
      return stopping;
    },
  };
}
