/**
 * `setupTelemetry()`: the OpenTelemetry SDK wired the way Stitch expects, in one call.
 *
 * - metrics: MeterProvider + PeriodicExportingMetricReader + the exemplar-carrying OTLP/HTTP
 *   exporter (../metrics/otlp-exporter.ts); Stitch's own histograms join through a MetricProducer;
 * - traces: TracerProvider + BatchSpanProcessor + OTLP/HTTP trace exporter (protobuf unless
 *   OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL=http/json), sampler from OTEL_TRACES_SAMPLER; the HTTP
 *   server spans take the lean path (../trace/span-sink.ts: encoded per request, exported with
 *   the SDK's OTLP transport) unless custom span processors, a custom span exporter or http/json
 *   is configured, which then see the server spans as SDK spans;
 * - logs: LoggerProvider + BatchLogRecordProcessor + OTLP/HTTP log exporter (same protocol rule);
 * - endpoint, headers, timeouts from the standard OTEL_EXPORTER_OTLP_* variables (read by the
 *   SDK exporters), resource from OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES and the
 *   Kubernetes downward API (./resource.ts);
 * - W3C trace-context + baggage propagation and the AsyncLocalStorage context manager that shares
 *   its store with the correlation context (../context.ts), registered globally unless
 *   `registerGlobals: false`.
 *
 * Tests inject exporters or readers and call `flush()`; nothing needs a sleep.
 */
import { type Attributes, type Logger, logs, type Meter, metrics, propagation, type Tracer, trace } from '@opentelemetry/api';
import {
  CompositePropagator,
  getNumberFromEnv,
  getStringFromEnv,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import {
  BatchLogRecordProcessor,
  LoggerProvider,
  type LogRecordExporter,
  type LogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  type IMetricReader,
  InstrumentType,
  MeterProvider,
  type MetricProducer,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import {
  BatchSpanProcessor,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { registerStitchContextManager } from '../context.js';
import { errors } from '../errors.js';
import { createOtlpMetricExporter } from '../metrics/otlp-exporter.js';
import { INSTRUMENTATION_SCOPE, StitchMetricProducer } from '../metrics/producer.js';
import { createSpanSink, type SpanSink } from '../trace/span-sink.js';
import { buildResource } from './resource.js';
import { type InlineSampler, inlineSamplerKind, samplerFromEnv } from './sampler.js';

/** Options of {@link setupTelemetry}. Everything is optional; the environment fills the rest. */
export interface TelemetryOptions {
  /** `service.name` (OTEL_SERVICE_NAME wins when set). */
  serviceName?: string;
  /** `service.version`. */
  serviceVersion?: string;
  /** Extra resource attributes (OTEL_RESOURCE_ATTRIBUTES wins on conflicts). */
  resourceAttributes?: Attributes;
  /**
   * Base OTLP/HTTP URL (`http://127.0.0.1:4318`); `/v1/metrics`, `/v1/traces`, `/v1/logs` are
   * appended. Default: OTEL_EXPORTER_OTLP_[SIGNAL_]ENDPOINT, else `http://localhost:4318`.
   */
  endpoint?: string;
  /** Extra export headers (default: OTEL_EXPORTER_OTLP_[SIGNAL_]HEADERS). */
  headers?: Record<string, string>;
  /** Metric export interval. Default OTEL_METRIC_EXPORT_INTERVAL, else 60000. */
  metricExportIntervalMs?: number;
  /** Export traces. Default true unless OTEL_TRACES_EXPORTER=none. */
  traces?: boolean;
  /** Export logs (the OTLP logger provider). Default true unless OTEL_LOGS_EXPORTER=none. */
  logs?: boolean;
  /** Replaces the OTLP metric exporter (in-memory exporters in tests). */
  metricExporter?: PushMetricExporter;
  /**
   * Builds the metric readers instead of the default periodic one (e.g. an in-memory reader in
   * tests). `producers` holds Stitch's histogram producer plus `metricProducers`: pass them to
   * each reader's `metricProducers`, or Stitch's histograms are not exported.
   */
  metricReaders?: (producers: MetricProducer[]) => IMetricReader[];
  /** Extra metric producers for the default reader (e.g. `promClientProducer(registry)`). */
  metricProducers?: MetricProducer[];
  /** Extra SDK views. */
  views?: ViewOptions[];
  /** Replaces the OTLP span exporter. */
  spanExporter?: SpanExporter;
  /** Replaces the batch span processor entirely. */
  spanProcessors?: SpanProcessor[];
  /** Default: from OTEL_TRACES_SAMPLER (parentbased_always_on). */
  sampler?: Sampler;
  /** Replaces the OTLP log exporter. */
  logExporter?: LogRecordExporter;
  /** Replaces the batch log processor entirely. */
  logProcessors?: LogRecordProcessor[];
  /** Register providers, propagator and context manager as the process-wide globals. Default true. */
  registerGlobals?: boolean;
}

/** A running telemetry setup. The HTTP adapters and the reconcile wrapper record into it. */
export interface Telemetry {
  readonly serviceName: string;
  readonly resource: Resource;
  readonly meterProvider: MeterProvider;
  readonly tracerProvider: TracerProvider;
  readonly loggerProvider: LoggerProvider;
  /** The `@stitch/instrumentation` meter (SDK instruments). */
  readonly meter: Meter;
  /** The `@stitch/instrumentation` tracer. */
  readonly tracer: Tracer;
  /** The `@stitch/instrumentation` OTel logger (OTLP log records). */
  readonly logger: Logger;
  /** Stitch's exemplar histograms; add it to a custom reader's `metricProducers`. */
  readonly metricProducer: StitchMetricProducer;
  /** False when traces are disabled: adapters then skip span work entirely. */
  readonly tracesEnabled: boolean;
  /** Exports everything buffered now (metrics are collected first). Resolves when the exports finished. */
  flush(): Promise<void>;
  /** Flushes, then stops every provider and releases the globals it registered. Idempotent. */
  shutdown(): Promise<void>;
}

let current: Telemetry | undefined;

/** What the HTTP adapters need for lean server spans (internal; not part of the public API). */
export interface LeanTracing {
  readonly sink: SpanSink;
  readonly sampler: Sampler;
  /** Decide inline instead of calling `sampler.shouldSample`. */
  readonly inlineSampler: InlineSampler | undefined;
  /** The global propagator is Stitch's W3C trace-context + baggage one: skip extraction when neither header is present. */
  readonly w3cPropagation: boolean;
}

const LEAN = new WeakMap<Telemetry, LeanTracing>();

/** The lean tracing setup of `telemetry`, or undefined when server spans must be SDK spans. */
export function leanTracing(telemetry: Telemetry): LeanTracing | undefined {
  return LEAN.get(telemetry);
}

/** The telemetry set up last and not shut down yet (what adapters use when given none). */
export function getTelemetry(): Telemetry | undefined {
  return current;
}

/** Like {@link getTelemetry}, but throws STITCH_ERR_INSTR_NO_TELEMETRY when there is none. */
export function requireTelemetry(who: string, explicit?: Telemetry): Telemetry {
  const t = explicit ?? current;
  if (t === undefined) throw errors.STITCH_ERR_INSTR_NO_TELEMETRY([who]);
  return t;
}

/**
 * OTLP/HTTP encoding of a signal: OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL,
 * else the spec's default `http/protobuf` (also the cheaper one: the SDK's protobuf serializer
 * writes directly, where JSON builds an object tree per span first). Metrics are always JSON
 * (see ../metrics/otlp-exporter.ts).
 */
function useJson(signal: 'TRACES' | 'LOGS'): boolean {
  const p =
    getStringFromEnv(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`) ??
    getStringFromEnv('OTEL_EXPORTER_OTLP_PROTOCOL') ??
    'http/protobuf';
  return p === 'http/json';
}

function signalUrl(endpoint: string | undefined, path: string): string | undefined {
  return endpoint === undefined ? undefined : `${endpoint.replace(/\/+$/, '')}/${path}`;
}

/** Sets up metrics, traces and logs export; see the module comment. Call once at startup, before creating middleware. */
export function setupTelemetry(options: TelemetryOptions = {}): Telemetry {
  const resource = buildResource({
    serviceName: options.serviceName,
    serviceVersion: options.serviceVersion,
    attributes: options.resourceAttributes,
  });
  const headers = options.headers;

  // Metrics.
  const intervalMs = options.metricExportIntervalMs ?? getNumberFromEnv('OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000;
  if (!(intervalMs > 0)) throw errors.STITCH_ERR_INSTR_OPTION(['metricExportIntervalMs', `must be > 0, got ${intervalMs}`]);
  const metricExporter =
    options.metricExporter ?? createOtlpMetricExporter({ url: signalUrl(options.endpoint, 'v1/metrics'), headers });
  const metricProducer = new StitchMetricProducer();
  const producers = [...(options.metricProducers ?? []), metricProducer];
  const readers = options.metricReaders?.(producers) ?? [
    new PeriodicExportingMetricReader({
      exporter: metricExporter,
      exportIntervalMillis: intervalMs,
      exportTimeoutMillis: Math.min(intervalMs, 30_000),
      metricProducers: producers,
    }),
  ];
  // Stitch's histograms aggregate themselves, so they must follow the reader's temporality choice.
  metricProducer.temporality =
    readers[0]?.selectAggregationTemporality(InstrumentType.HISTOGRAM) ?? AggregationTemporality.CUMULATIVE;
  const meterProvider = new MeterProvider({ resource, readers, views: options.views ?? [] });

  // Traces.
  const tracesEnabled = options.traces ?? getStringFromEnv('OTEL_TRACES_EXPORTER') !== 'none';
  const spanProcessors = !tracesEnabled
    ? []
    : (options.spanProcessors ?? [
        new BatchSpanProcessor({
          exporter:
            options.spanExporter ??
            new (useJson('TRACES') ? JsonTraceExporter : ProtoTraceExporter)({
              url: signalUrl(options.endpoint, 'v1/traces'),
              headers,
            }),
        }),
      ]);
  const sampler = options.sampler ?? samplerFromEnv();
  const tracerProvider = new TracerProvider({ resource, sampler, spanProcessors });
  // Lean server spans need to own the export: not when the app replaces processors or the
  // exporter (they must see every span), nor for http/json (the lean encoder writes protobuf).
  const spanSink =
    tracesEnabled &&
    options.spanProcessors === undefined &&
    options.spanExporter === undefined &&
    !useJson('TRACES') &&
    !resource.asyncAttributesPending
      ? createSpanSink({ resource, scope: INSTRUMENTATION_SCOPE, url: signalUrl(options.endpoint, 'v1/traces'), headers })
      : undefined;

  // Logs.
  const logsEnabled = options.logs ?? getStringFromEnv('OTEL_LOGS_EXPORTER') !== 'none';
  const logProcessors = !logsEnabled
    ? []
    : (options.logProcessors ?? [
        new BatchLogRecordProcessor({
          exporter:
            options.logExporter ??
            new (useJson('LOGS') ? JsonLogExporter : ProtoLogExporter)({ url: signalUrl(options.endpoint, 'v1/logs'), headers }),
        }),
      ]);
  const loggerProvider = new LoggerProvider({ resource, processors: logProcessors });

  const undo: (() => void)[] = [];
  let w3cPropagation = false;
  if (options.registerGlobals ?? true) {
    if (trace.setGlobalTracerProvider(tracerProvider)) undo.push(() => trace.disable());
    if (metrics.setGlobalMeterProvider(meterProvider)) undo.push(() => metrics.disable());
    if (logs.setGlobalLoggerProvider(loggerProvider)) undo.push(() => logs.disable());
    const propagator = new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
    if (propagation.setGlobalPropagator(propagator)) {
      w3cPropagation = true;
      undo.push(() => propagation.disable());
    }
    const undoContext = registerStitchContextManager();
    if (undoContext !== undefined) undo.push(undoContext);
  }

  let shutdownPromise: Promise<void> | undefined;
  const telemetry: Telemetry = {
    serviceName: String(resource.attributes[ATTR_SERVICE_NAME] ?? 'unknown_service:node'),
    resource,
    meterProvider,
    tracerProvider,
    loggerProvider,
    meter: meterProvider.getMeter(INSTRUMENTATION_SCOPE.name, INSTRUMENTATION_SCOPE.version),
    tracer: tracerProvider.getTracer(INSTRUMENTATION_SCOPE.name, INSTRUMENTATION_SCOPE.version),
    logger: loggerProvider.getLogger(INSTRUMENTATION_SCOPE.name, INSTRUMENTATION_SCOPE.version),
    metricProducer,
    tracesEnabled,
    async flush() {
      // Spans and logs first: an exemplar may point at a span, so let the span land no later than the metric.
      await Promise.all([tracerProvider.forceFlush(), spanSink?.forceFlush(), loggerProvider.forceFlush()]);
      await meterProvider.forceFlush();
    },
    shutdown() {
      shutdownPromise ??= (async () => {
        if (current === telemetry) current = undefined;
        await Promise.allSettled([tracerProvider.shutdown(), spanSink?.shutdown(), loggerProvider.shutdown()]);
        await Promise.allSettled([meterProvider.shutdown()]);
        for (const u of undo.reverse()) u();
      })();
      return shutdownPromise;
    },
  };
  if (spanSink !== undefined) {
    LEAN.set(telemetry, { sink: spanSink, sampler, inlineSampler: inlineSamplerKind(sampler), w3cPropagation });
  }
  current = telemetry;
  return telemetry;
}
