/**
 * What the exporter and its sender worker (./sender-worker.ts) say to each other. A batch
 * crosses as the bytes it came in plus the receiver's scan, packed into one pooled buffer
 * (./crossing.ts), so the worker neither decodes nor scans again; a batch a processor
 * materialised crosses as an OTLP protobuf request, which the worker decodes in full (not
 * lazily), so it takes the same path it would have taken on the exporter's thread.
 */
import type { CorrelationIdKey } from '@stitch/correlation';
import type { ErrorKind } from '../../errors.js';
import type { ClientTlsMaterial } from '../../internal/http-server/tls.js';
import type { PrometheusRemoteWriteConfig } from './config.js';
import type { PackLayout } from './crossing.js';

/** The worker's `workerData`. */
export interface SenderWorkerInit {
  componentId: string;
  config: PrometheusRemoteWriteConfig;
  userAgent: string;
  tls: ClientTlsMaterial | undefined;
}

/**
 * One batch on its way to the worker, packed into a pooled buffer (./crossing.ts) that comes
 * back with the answer: a scanned OTLP or remote-write request, or an OTLP protobuf request.
 */
export type SenderBatch =
  | { kind: 'otlp' | 'remote-write'; buffer: ArrayBuffer; layout: PackLayout }
  | { kind: 'otlp-protobuf'; buffer: ArrayBuffer; length: number };

/** Exporter → worker. */
export type ToSender = { type: 'push'; id: number; batch: SenderBatch } | { type: 'abort'; id: number };

/** Telemetry the worker gathered since its previous answer. */
export interface SenderEventCounts {
  unsupported: number;
  invalid: number;
  outOfOrder: number;
  exemplarLabelsDropped: Partial<Record<CorrelationIdKey, number>>;
}

/** A StitchError as it crosses (the class does not survive postMessage). */
export interface CrossedError {
  code: string;
  kind: ErrorKind;
  retryable: boolean;
  message: string;
  retryAfterMs?: number;
}

/** Worker → exporter: the answer to push `id`, with the telemetry gathered meanwhile. */
export interface FromSender {
  id: number;
  error?: CrossedError;
  events: SenderEventCounts;
  trackedSeries: number;
  /** The batch's buffer, home again for the next one (absent when it could not be kept). */
  buffer?: ArrayBuffer;
}
