/**
 * exporterhelper: queue, retry and timeout as one reusable wrapper around an exporter's `push`
 * (the Collector's exporterhelper). An exporter writes only `push(batch, abortSignal)`.
 *
 * NOTE: this is the pass-through placeholder the component contract was written against: it calls
 * `push` directly with the timeout. The bounded/durable queue and the retry loop replace it.
 */
import type { Component, Consumer, CreateSettings, Host } from '../component/component.js';
import { errors } from '../errors.js';
import { countItems } from '../model/count.js';
import type { Signal, SignalData } from '../model/types.js';
import type { QueueConfig, RetryConfig } from './config.js';

/** The shared exporter options, parsed (durations in ms). */
export interface ExporterHelperConfig {
  timeout: number;
  retry_on_failure: RetryConfig;
  sending_queue: QueueConfig;
}

/**
 * Sends one batch to the backend. Resolve = the backend accepted it. Reject with a StitchError:
 * `retryable` (5xx, 429, network; set `retryAfterMs` from Retry-After / RetryInfo) or permanent
 * (other 4xx: dropped and counted, never retried). `abort` fires at the timeout or on shutdown.
 */
export type PushFunc<S extends Signal> = (batch: SignalData[S], abort: AbortSignal) => Promise<void>;

/** What an exporter hands to createExporterHelper. */
export interface ExporterHelperOptions<S extends Signal> {
  settings: CreateSettings;
  signal: S;
  config: ExporterHelperConfig;
  push: PushFunc<S>;
}

/** An exporter's consumer for one signal, with the queue → retry → timeout chain in front of push. */
export type ExporterHelper<S extends Signal> = Component & Consumer<SignalData[S]>;

/** Wraps `push` with the shared queue, retry and timeout behaviour. */
export function createExporterHelper<S extends Signal>(options: ExporterHelperOptions<S>): ExporterHelper<S> {
  const { settings, signal, config, push } = options;
  let stopped = false;
  return {
    capabilities: { mutatesData: false },
    async start(_host: Host) {},
    async shutdown() {
      stopped = true;
    },
    async consume(batch) {
      if (stopped) throw errors.STITCH_ERR_SHUTDOWN([settings.id]);
      const items = countItems(signal, batch);
      const abort = AbortSignal.timeout(config.timeout);
      await push(batch, abort);
      settings.telemetry.sent(signal, items);
    },
  };
}
