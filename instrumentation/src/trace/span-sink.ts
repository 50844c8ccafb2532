/**
 * Where lean spans go: each span is appended, already encoded, to the current batch buffer; a
 * full batch (or the schedule) frames it as one ExportTraceServiceRequest and hands the bytes to
 * the SDK's OTLP/HTTP export delegate — the same transport, retries, timeout, compression and
 * OTEL_EXPORTER_OTLP_[TRACES_]* configuration as the SDK's protobuf trace exporter.
 *
 * Bounded like the SDK's BatchSpanProcessor and read from the same variables:
 * OTEL_BSP_MAX_QUEUE_SIZE (spans waiting or in flight; more are dropped, counted and the count
 * logged once), OTEL_BSP_MAX_EXPORT_BATCH_SIZE, OTEL_BSP_SCHEDULE_DELAY (5000 ms). The batch
 * defaults are 4x the BatchSpanProcessor's (2048 per export, 8192 queued): an export costs
 * ~0.2-1 ms of CPU whatever its size, which at 512 spans per export was ~1.5 µs per request in
 * bench/instrumentation-overhead.mjs; an encoded span is ~270 bytes, so a batch is ~0.5 MiB and
 * the queue ~2 MiB. Batch buffers are reused once their export finished (two are kept), so
 * steady traffic allocates no span memory at all.
 */
import { diag } from '@opentelemetry/api';
import { ExportResultCode, getNumberFromEnv, globalErrorHandler } from '@opentelemetry/core';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { Resource } from '@opentelemetry/resources';
import { LEN, ProtoWriter } from './proto-writer.js';
import { frameBatch, type RequestFrame, requestFrame } from './span-encoder.js';

/** One framed export request. */
interface EncodedBatch {
  readonly bytes: Uint8Array;
  readonly count: number;
}

/** Options of {@link createSpanSink}. */
export interface SpanSinkOptions {
  readonly resource: Resource;
  readonly scope: { name: string; version?: string };
  /** Full OTLP/HTTP traces URL; default from OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT. */
  readonly url?: string | undefined;
  readonly headers?: Record<string, string> | undefined;
  readonly maxQueueSize?: number;
  readonly maxExportBatchSize?: number;
  readonly scheduledDelayMillis?: number;
}

/** Receives encoded spans; see the module comment. */
export interface SpanSink {
  /**
   * Starts a span: returns the writer to append the Span message body to, then call
   * {@link SpanSink.commit}. Undefined when the queue is full (the span is dropped and counted)
   * or the sink is shut down.
   */
  begin(): ProtoWriter | undefined;
  /** Finishes the span begun last. */
  commit(): void;
  /** Forgets the span begun last (its encoding failed). */
  abort(): void;
  /** Spans dropped because the queue was full. */
  readonly droppedSpans: number;
  /** Exports what is buffered; resolves when every export in flight finished. */
  forceFlush(): Promise<void>;
  /** Flushes and stops; later spans are dropped. Idempotent. */
  shutdown(): Promise<void>;
}

const INITIAL_BATCH_BYTES = 640 * 1024;
const KEPT_BUFFERS = 2;

const passThroughSerializer = {
  serializeRequest: (batch: EncodedBatch) => batch.bytes,
  deserializeResponse: ProtobufTraceSerializer.deserializeResponse,
};
const spanCounter = { name: 'span' as const, countItems: (batch: EncodedBatch) => batch.count };

/** Creates the sink. Throws nothing; export failures go to the OTel global error handler. */
export function createSpanSink(options: SpanSinkOptions): SpanSink {
  const maxQueue = options.maxQueueSize ?? getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE') ?? 8192;
  const maxBatch = Math.min(options.maxExportBatchSize ?? getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? 2048, maxQueue);
  const delayMs = options.scheduledDelayMillis ?? getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY') ?? 5000;
  const delegate = createOtlpHttpExportDelegate(
    convertLegacyHttpOptions({ url: options.url, headers: options.headers }, 'TRACES', 'v1/traces', {
      'Content-Type': 'application/x-protobuf',
    }),
    passThroughSerializer,
    'stitch_otlp_http_span_exporter',
    spanCounter,
    undefined,
  );
  const frame: RequestFrame = requestFrame(options.resource, options.scope);
  const fresh = () => {
    const w = new ProtoWriter(INITIAL_BATCH_BYTES);
    w.pos = frame.reserve;
    return w;
  };
  const spare: ProtoWriter[] = [];
  let current = fresh();
  let count = 0;
  let inFlight = 0;
  let dropped = 0;
  let droppedSinceLog = 0;
  let lengthAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let stopped: Promise<void> | undefined;

  function exportCurrent(): void {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (count === 0) return;
    const w = current;
    const n = count;
    const bytes = frameBatch(w, frame);
    current = spare.pop() ?? fresh();
    count = 0;
    inFlight += n;
    delegate.export({ bytes, count: n }, (result) => {
      inFlight -= n;
      w.pos = frame.reserve;
      if (spare.length < KEPT_BUFFERS) spare.push(w);
      if (result.code !== ExportResultCode.SUCCESS) {
        globalErrorHandler(result.error ?? new Error('stitch server spans: export failed'));
      }
    });
  }

  function onTimer(): void {
    timer = undefined;
    exportCurrent();
  }

  return {
    begin() {
      if (closed || count + inFlight >= maxQueue) {
        dropped++;
        droppedSinceLog++;
        return undefined;
      }
      if (droppedSinceLog > 0) {
        diag.warn(`Dropped ${droppedSinceLog} server spans because maxQueueSize reached`);
        droppedSinceLog = 0;
      }
      current.byte((2 << 3) | LEN); // ScopeSpans.spans
      lengthAt = current.beginLength(2);
      return current;
    },
    commit() {
      current.finishLength(lengthAt, 2);
      count++;
      if (count >= maxBatch) exportCurrent();
      else if (timer === undefined) {
        timer = setTimeout(onTimer, delayMs);
        timer.unref();
      }
    },
    abort() {
      current.pos = lengthAt - 1;
    },
    get droppedSpans() {
      return dropped;
    },
    async forceFlush() {
      exportCurrent();
      await delegate.forceFlush();
    },
    shutdown() {
      stopped ??= (async () => {
        exportCurrent();
        closed = true;
        await delegate.shutdown();
      })();
      return stopped;
    },
  };
}
