/**
 * The debug exporter: writes what it receives to stdout, as a one-line summary per batch
 * (basic), about one line per record (normal) or every field (detailed), in the Collector's
 * debug exporter formats. For looking at data while setting a pipeline up, not for production.
 */
import { once } from 'node:events';
import type { Component, Consumer, CreateSettings, Host, SignalConsumers } from '../../component/component.js';
import { errors } from '../../errors.js';
import { countDataPoints, countItems } from '../../model/count.js';
import type { LogsData, MetricsData, Signal, SignalData, TracesData } from '../../model/types.js';
import type { DebugConfig } from './config.js';
import { detailedLogs, detailedMetrics, detailedTraces } from './detailed.js';
import { normalLogs, normalMetrics, normalTraces } from './normal.js';

/** Where the output goes; `write` returning false means "wait for drain" (a stream's contract). */
export interface DebugOutput {
  write(text: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** Test hooks. */
export interface DebugExporterDeps {
  output?: DebugOutput;
  /** Clock for timestamps and sampling ticks. */
  now?: () => number;
}

const MESSAGES: Record<Signal, string> = { traces: 'Traces', metrics: 'Metrics', logs: 'Logs' };

/** The summary fields of a batch, as the Collector names them. */
function summary(signal: Signal, batch: SignalData[Signal]): Record<string, number> {
  if (signal === 'traces') {
    const d = batch as TracesData;
    return { 'resource spans': d.resourceSpans.length, spans: countItems('traces', d) };
  }
  if (signal === 'metrics') {
    const d = batch as MetricsData;
    let metrics = 0;
    for (const rm of d.resourceMetrics) for (const sm of rm.scopeMetrics) metrics += sm.metrics.length;
    return { 'resource metrics': d.resourceMetrics.length, metrics, 'data points': countDataPoints(d) };
  }
  const d = batch as LogsData;
  return { 'resource logs': d.resourceLogs.length, 'log records': countItems('logs', d) };
}

const LAYOUTS = {
  normal: { traces: normalTraces, metrics: normalMetrics, logs: normalLogs },
  detailed: { traces: detailedTraces, metrics: detailedMetrics, logs: detailedLogs },
} as const;

/** zap's console encoding of fields: `{"k": v, "k2": v2}`. */
function fields(f: Record<string, string | number>): string {
  return `{${Object.entries(f)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(', ')}}`;
}

/**
 * zap's sampler, as the Collector configures it: per one-second tick and per message, the first
 * `initial` entries are written, then every `thereafter`-th. Here the message is the signal's
 * summary line, and a sampled-out batch skips its record lines too.
 */
class Sampler {
  private tick = -1;
  private readonly counts = new Map<Signal, number>();
  constructor(
    private readonly initial: number,
    private readonly thereafter: number,
  ) {}
  allow(signal: Signal, nowMs: number): boolean {
    const tick = Math.floor(nowMs / 1000);
    if (tick !== this.tick) {
      this.tick = tick;
      this.counts.clear();
    }
    const n = (this.counts.get(signal) ?? 0) + 1;
    this.counts.set(signal, n);
    if (n <= this.initial) return true;
    return this.thereafter > 0 && (n - this.initial) % this.thereafter === 0;
  }
}

/** The debug exporter instance: a consumer per signal it is used for. */
export type DebugExporter = Component & { consumers: SignalConsumers };

/** Creates the debug exporter. */
export function createDebugExporter(
  settings: CreateSettings,
  config: DebugConfig,
  signals: readonly Signal[],
  deps: DebugExporterDeps = {},
): DebugExporter {
  const output: DebugOutput = deps.output ?? process.stdout;
  const now = deps.now ?? Date.now;
  const sampler = new Sampler(config.sampling_initial, config.sampling_thereafter);
  let stopped = false;
  let draining: Promise<unknown> | undefined;

  function entry(signal: Signal, message: string, extra: Record<string, number>): string {
    if (!config.use_internal_logger) {
      const body = message.endsWith('\n') ? message.slice(0, -1) : message;
      return Object.keys(extra).length > 0 ? `${body}\t${fields(extra)}\n` : `${body}\n`;
    }
    return `${new Date(now()).toISOString()}\tinfo\t${message}\t${fields({ kind: 'exporter', data_type: signal, name: settings.id, ...extra })}\n`;
  }

  function consumerFor<S extends Signal>(signal: S): Consumer<SignalData[S]> {
    return {
      capabilities: { mutatesData: false },
      async consume(batch) {
        if (stopped) throw errors.STITCH_ERR_SHUTDOWN([settings.id]);
        const items = countItems(signal, batch);
        if (sampler.allow(signal, now())) {
          let text = entry(signal, MESSAGES[signal], summary(signal, batch));
          if (config.verbosity !== 'basic') {
            const layout = LAYOUTS[config.verbosity][signal] as (d: SignalData[S]) => string;
            text += entry(signal, layout(batch), {});
          }
          // Honour the stream's backpressure: a slow pipe on stdout holds the pipeline back
          // rather than buffering output without bound.
          if (draining) await draining;
          if (!output.write(text)) {
            draining = new Promise<void>((resolve) => output.once('drain', resolve)).finally(() => {
              draining = undefined;
            });
          }
        }
        settings.telemetry.sent(signal, items);
      },
    };
  }

  const consumers: SignalConsumers = {};
  for (const s of signals) (consumers as Record<Signal, Consumer<never>>)[s] = consumerFor(s) as Consumer<never>;

  return {
    consumers,
    async start(_host: Host) {},
    async shutdown(abort?: AbortSignal) {
      stopped = true;
      if (draining) await Promise.race([draining, ...(abort ? [once(abort, 'abort')] : [])]);
    },
  };
}
