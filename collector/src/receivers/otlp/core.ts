/**
 * What the HTTP and gRPC servers of the `otlp` receiver share: handing a decoded batch to the
 * pipeline, classifying a refusal, and counting per batch (never per item).
 */
import type { Counter } from 'prom-client';
import type { ConsumeContext, CreateSettings, SignalConsumers } from '../../component/component.js';
import { errors, StitchError } from '../../errors.js';
import { countItems } from '../../model/count.js';
import type { Signal, SignalData } from '../../model/types.js';
import { type DropReason, sharedCounter } from '../../telemetry/self-metrics.js';

/** Transports, as the `transport` label spells them. */
export type Transport = 'http' | 'grpc';

/**
 * Why a whole request was refused before or instead of reaching the pipeline. The item-level
 * DropReasons plus the request-only ones (no items are known for them).
 */
export type RequestRefusal = DropReason | 'not_found' | 'method_not_allowed';

/** How a refusal by the pipeline is answered. */
export type RefusalClass = 'throttled' | 'unavailable' | 'failed';

/** The pipeline's answer to one batch. */
export type ExportOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly error: StitchError;
      readonly reason: DropReason;
      /** throttled → 429 / RESOURCE_EXHAUSTED; unavailable → 503 / UNAVAILABLE; failed → 500 / INTERNAL. */
      readonly class: RefusalClass;
      /** Delay to ask of the client (always set for throttled and unavailable). */
      readonly retryAfterMs?: number;
    };

/** Retry delay asked of clients when the refusing component did not say. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/** The shared half of the receiver. */
export interface ReceiverCore {
  /** Known signals this receiver feeds (those with a consumer). */
  has(signal: Signal): boolean;
  /** Hands the batch to the pipeline and resolves once it accepted or refused (never rejects). */
  export<S extends Signal>(signal: S, data: SignalData[S], transport: Transport, context: ConsumeContext): Promise<ExportOutcome>;
  /** Counts a request refused before reaching the pipeline (bad input, auth, size, routing). */
  refuseRequest(signal: Signal | '', transport: Transport, reason: RequestRefusal): void;
}

function classify(err: unknown): { ok: false; error: StitchError; reason: DropReason; class: RefusalClass } {
  const error =
    err instanceof StitchError
      ? err
      : errors.STITCH_ERR_EXPORT_RETRYABLE(['pipeline', (err as Error)?.message ?? String(err)], { cause: err });
  // Compare codes (not `.is`, whose type guard would narrow `error` away in the else branches).
  if (error.code === errors.STITCH_ERR_MEMORY_LIMIT.code) return { ok: false, error, reason: 'memory_limit', class: 'throttled' };
  if (error.code === errors.STITCH_ERR_QUEUE_FULL.code) return { ok: false, error, reason: 'queue_full', class: 'throttled' };
  if (error.code === errors.STITCH_ERR_SHUTDOWN.code) return { ok: false, error, reason: 'shutdown', class: 'unavailable' };
  if (error.retryable) return { ok: false, error, reason: 'downstream_error', class: 'unavailable' };
  return { ok: false, error, reason: 'permanent_error', class: 'failed' };
}

function requestCounter(settings: CreateSettings): Counter<string> {
  return sharedCounter(
    settings.telemetry.registry,
    'stitch_receiver_refused_requests_total',
    'Requests a receiver refused, by reason (also those whose items are unknown: undecodable, too large, wrong path).',
    ['component_id', 'signal', 'transport', 'reason'],
  );
}

/** Builds the core for one receiver instance. */
export function createReceiverCore(settings: CreateSettings, next: SignalConsumers): ReceiverCore {
  const telemetry = settings.telemetry;
  const requests = requestCounter(settings);
  const componentId = settings.id;
  return {
    has: (signal) => next[signal] !== undefined,

    async export(signal, data, transport, context) {
      const consumer = next[signal];
      const items = countItems(signal, data);
      if (consumer === undefined) {
        // The receiver is not in a pipeline of this signal: the Collector answers Unimplemented/404;
        // the callers check `has` first, so this is only a guard.
        return {
          ok: false,
          error: errors.STITCH_ERR_EXPORT_PERMANENT([componentId, `no ${signal} pipeline`]),
          reason: 'permanent_error',
          class: 'failed',
        };
      }
      try {
        await consumer.consume(data, context);
        telemetry.accepted(signal, items, transport);
        return { ok: true };
      } catch (err) {
        const c = classify(err);
        telemetry.refused(signal, items, c.reason, transport);
        requests.inc({ component_id: componentId, signal, transport, reason: c.reason });
        if (c.class === 'failed') return c;
        return { ...c, retryAfterMs: c.error.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS };
      }
    },

    refuseRequest(signal, transport, reason) {
      requests.inc({ component_id: componentId, signal, transport, reason });
    },
  };
}
