/** The collector's configuration after loading, expansion, merging and validation. */
import type { ComponentKind, Factory } from '../component/component.js';
import type { Signal } from '../model/types.js';
import type { LogLevel } from '../telemetry/logger.js';

/** One configured component: its ID, factory and validated (defaults-applied, frozen) config. */
export interface ComponentConfig {
  /** `type` or `type/name` as written. */
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly kind: ComponentKind;
  readonly factory: Factory;
  readonly config: unknown;
}

/** A `service.pipelines` entry: `traces|metrics|logs[/name]`. */
export interface PipelineConfig {
  readonly id: string;
  readonly signal: Signal;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

/** `service.telemetry`, resolved. */
export interface TelemetryConfig {
  readonly logs: { readonly level: LogLevel };
  readonly metrics: {
    /** `none` turns the self-metrics endpoint off. */
    readonly level: 'none' | 'basic' | 'normal' | 'detailed';
    /** Where `/metrics` is served; from `address` or `readers[].pull.exporter.prometheus`. Default 127.0.0.1:8888. */
    readonly host: string;
    readonly port: number;
  };
}

/** The whole validated configuration; deep-frozen after validation. */
export interface CollectorConfig {
  readonly receivers: ReadonlyMap<string, ComponentConfig>;
  readonly processors: ReadonlyMap<string, ComponentConfig>;
  readonly exporters: ReadonlyMap<string, ComponentConfig>;
  readonly connectors: ReadonlyMap<string, ComponentConfig>;
  readonly extensions: ReadonlyMap<string, ComponentConfig>;
  readonly service: {
    readonly extensions: readonly string[];
    readonly pipelines: ReadonlyMap<string, PipelineConfig>;
    readonly telemetry: TelemetryConfig;
  };
}
