/**
 * The component contract every receiver, processor, connector, exporter and extension follows,
 * after the OpenTelemetry Collector's component.Component and consumer.* interfaces.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Signal, SignalData } from '../model/types.js';
import type { ComponentTelemetry } from '../telemetry/self-metrics.js';

/** The five kinds of component, as the Collector's config sections name them (singular). */
export type ComponentKind = 'receiver' | 'processor' | 'connector' | 'exporter' | 'extension';

/** How mature a component's support for a signal is (the Collector's stability levels). */
export type Stability = 'development' | 'alpha' | 'beta' | 'stable' | 'deprecated';

/**
 * Lifecycle of every component: created from its config, then `start`, run, then `shutdown`.
 * - `start` returns quickly; long-running work goes to the background, tied to an AbortSignal that
 *   `shutdown` aborts. A rejected start fails the whole collector at start-up.
 * - `shutdown` is idempotent, safe without a prior `start`, stops accepting data, flushes what it
 *   holds downstream, and gives up when `signal` aborts (the drain deadline).
 */
export interface Component {
  start(host: Host): Promise<void>;
  shutdown(signal?: AbortSignal): Promise<void>;
}

/** What a consumer does to the data it is given. */
export interface Capabilities {
  /** True when the consumer edits the batch in place; fan-out then gives it its own copy. */
  readonly mutatesData: boolean;
}

/**
 * An edge of the pipeline graph. `consume` resolving means the data was accepted and the caller
 * must not touch `batch` again; awaiting it IS backpressure. It rejects with a StitchError whose
 * `retryable` tells the sender whether to retry (receivers map it to 429/503 or 400/500).
 */
export interface Consumer<T> {
  readonly capabilities: Capabilities;
  consume(batch: T, context?: ConsumeContext): Promise<void>;
}

/** Facts about where a batch came from, passed along with it (the Collector's client.Info). */
export interface ConsumeContext {
  /** The remote address of the connection that sent the data (pod association uses it). */
  readonly clientAddress?: string;
  /** Request headers, when the receiver's `include_metadata` is on (lower-case keys). */
  readonly metadata?: Readonly<Record<string, string | string[] | undefined>>;
}

/** A consumer for each signal a component handles. */
export type SignalConsumers = { [S in Signal]?: Consumer<SignalData[S]> };

/** The running collector, as components see it in `start`. */
export interface Host {
  /** A started extension by its ID (`bearertokenauth/in`), for components that use one. */
  getExtension(id: string): Component | undefined;
  /**
   * The collector's lifecycle status (`starting` → `ready` → `stopping` → `stopped`), for
   * extensions that report health. Implemented by service/status.ts `StatusBoard`.
   */
  readonly status?: {
    readonly value: 'starting' | 'ready' | 'stopping' | 'stopped';
    onChange(listener: (status: 'starting' | 'ready' | 'stopping' | 'stopped') => void): () => void;
  };
}

/** What a factory receives with the config when it creates a component. */
export interface CreateSettings {
  /** The component's ID as written in the config: `type` or `type/name`. */
  readonly id: string;
  readonly kind: ComponentKind;
  /** The pipeline this instance belongs to (processors only; others are shared). */
  readonly pipelineId?: string;
  /** A child of the collector's logger, with `kind` and `component_id` bound. */
  readonly logger: Logger;
  /** Self-telemetry with `component_id` bound. */
  readonly telemetry: ComponentTelemetry;
}

/** Fields every factory has. `C` is the validated, defaults-applied config type. */
interface FactoryBase<C> {
  readonly type: string;
  readonly kind: ComponentKind;
  /** One line for `stitch components` and the README table. */
  readonly description: string;
  /**
   * Strict schema of the config section: unknown keys fail, defaults are the Collector's.
   * `createDefaultConfig()` is `configSchema.parse({})`.
   */
  readonly configSchema: z.ZodType<C>;
  /**
   * A minimal config section (as written in YAML) that passes `configSchema`, for components whose
   * defaults alone are invalid (required options, such as memory_limiter's `check_interval`). The
   * conformance suite builds the component from it; omit it when `configSchema.parse({})` is valid.
   */
  readonly exampleConfig?: Readonly<Record<string, unknown>>;
  /**
   * Imports the implementation, when the factory loads it on demand (`component/lazy.ts`
   * `lazyImplementation`): identity, `configSchema` and defaults stay eager and light, the
   * component's modules (servers, codecs, clients) load only for a config that uses it. Whoever
   * creates components awaits it first, once per factory (`loadFactories`: the runtime, the
   * conformance suite); `create` then stays synchronous, and before that it throws
   * STITCH_ERR_COMPONENT_NOT_LOADED. Omitted by factories that import their implementation eagerly.
   */
  load?(): Promise<void>;
}

/** Creates a receiver: one instance per ID, feeding every pipeline that lists it. */
export interface ReceiverFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'receiver';
  readonly stability: Readonly<Partial<Record<Signal, Stability>>>;
  create(settings: CreateSettings, config: C, next: SignalConsumers): Component;
}

/** Creates a processor: one instance per pipeline that lists it, for that pipeline's signal. */
export interface ProcessorFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'processor';
  readonly stability: Readonly<Partial<Record<Signal, Stability>>>;
  create<S extends Signal>(
    settings: CreateSettings,
    config: C,
    signal: S,
    next: Consumer<SignalData[S]>,
  ): Component & Consumer<SignalData[S]>;
}

/** Creates an exporter: one instance per ID, exposing a consumer for each signal it is used for. */
export interface ExporterFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'exporter';
  readonly stability: Readonly<Partial<Record<Signal, Stability>>>;
  create(settings: CreateSettings, config: C, signals: readonly Signal[]): Component & { consumers: SignalConsumers };
}

/** A connector's supported signal pair. */
export interface Connection {
  readonly from: Signal;
  readonly to: Signal;
  readonly stability: Stability;
}

/** Creates a connector: an exporter in one pipeline and a receiver in another, per signal pair. */
export interface ConnectorFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'connector';
  readonly connections: readonly Connection[];
  create<F extends Signal, T extends Signal>(
    settings: CreateSettings,
    config: C,
    from: F,
    to: T,
    next: Consumer<SignalData[T]>,
  ): Component & Consumer<SignalData[F]>;
}

/** Creates an extension: health checks, authenticators, storage. */
export interface ExtensionFactory<C = unknown> extends FactoryBase<C> {
  readonly kind: 'extension';
  readonly stability: Stability;
  create(settings: CreateSettings, config: C): Component;
}

/** Any factory. */
export type Factory =
  | ReceiverFactory<any>
  | ProcessorFactory<any>
  | ExporterFactory<any>
  | ConnectorFactory<any>
  | ExtensionFactory<any>;
