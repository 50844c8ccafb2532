/**
 * The built-in component factories. `stitch components`, config validation and the README's
 * component table all read this list; add a component by adding its factory here.
 */
import type { ComponentKind, Factory } from './component/component.js';
import { countConnectorFactory } from './connectors/count/factory.js';
import { spanMetricsConnectorFactory } from './connectors/spanmetrics/factory.js';
import { debugExporterFactory } from './exporters/debug/factory.js';
import { localExporterFactory } from './exporters/local/factory.js';
import { lokiExporterFactory } from './exporters/loki/factory.js';
import { otlpExporterFactory } from './exporters/otlp/factory.js';
import { otlpHttpExporterFactory } from './exporters/otlphttp/factory.js';
import { prometheusExporterFactory } from './exporters/prometheus/factory.js';
import { prometheusRemoteWriteExporterFactory } from './exporters/prometheus-remote-write/factory.js';
import { bearerTokenAuthFactory } from './extensions/bearertokenauth/factory.js';
import { correlationExtensionFactory } from './extensions/correlation/factory.js';
import { fileStorageFactory } from './extensions/file-storage/factory.js';
import { healthCheckExtensionFactory } from './extensions/health-check/factory.js';
import { attributesProcessorFactory } from './processors/attributes/factory.js';
import { batchProcessorFactory } from './processors/batch/factory.js';
import { cardinalityLimiterProcessorFactory } from './processors/cardinality-limiter/factory.js';
import { correlationProcessorFactory } from './processors/correlation/factory.js';
import { filterProcessorFactory } from './processors/filter/factory.js';
import { k8sAttributesProcessorFactory } from './processors/k8s-attributes/factory.js';
import { memoryLimiterProcessorFactory } from './processors/memory-limiter/factory.js';
import { resourceProcessorFactory } from './processors/resource/factory.js';
import { filelogFactory } from './receivers/filelog/factory.js';
import { otlpReceiverFactory } from './receivers/otlp/factory.js';
import { prometheusRemoteWriteReceiverFactory } from './receivers/prometheus-remote-write/factory.js';
import { tapExtensionFactory } from './tap/factory.js';

/** Every factory Stitch ships, in the order `stitch components` lists them. */
export const builtinFactories: readonly Factory[] = [
  // receivers
  filelogFactory,
  otlpReceiverFactory,
  prometheusRemoteWriteReceiverFactory,
  // processors
  attributesProcessorFactory,
  batchProcessorFactory,
  cardinalityLimiterProcessorFactory,
  correlationProcessorFactory,
  filterProcessorFactory,
  k8sAttributesProcessorFactory,
  memoryLimiterProcessorFactory,
  resourceProcessorFactory,
  // connectors
  countConnectorFactory,
  spanMetricsConnectorFactory,
  // exporters
  debugExporterFactory,
  localExporterFactory,
  lokiExporterFactory,
  otlpExporterFactory,
  otlpHttpExporterFactory,
  prometheusExporterFactory,
  prometheusRemoteWriteExporterFactory,
  // extensions
  bearerTokenAuthFactory,
  correlationExtensionFactory,
  fileStorageFactory,
  healthCheckExtensionFactory,
  tapExtensionFactory,
];

/** Factories indexed by kind and type. */
export class FactoryRegistry {
  private readonly byKind = new Map<ComponentKind, Map<string, Factory>>();

  constructor(factories: readonly Factory[] = builtinFactories) {
    for (const f of factories) {
      let m = this.byKind.get(f.kind);
      if (!m) this.byKind.set(f.kind, (m = new Map()));
      if (m.has(f.type)) throw new Error(`duplicate ${f.kind} factory ${f.type}`);
      m.set(f.type, f);
    }
  }

  /** The factory of a kind and type, or undefined when Stitch does not support it. */
  get(kind: ComponentKind, type: string): Factory | undefined {
    return this.byKind.get(kind)?.get(type);
  }

  /** Supported types of a kind, sorted (for error messages and `stitch components`). */
  types(kind: ComponentKind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])].sort();
  }

  /** Every factory. */
  all(): Factory[] {
    return [...this.byKind.values()].flatMap((m) => [...m.values()]);
  }
}
