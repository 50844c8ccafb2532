/**
 * The collector at run time: extensions, the pipeline graph and the self-metrics endpoint,
 * started and stopped in the right order. `stitch collect` is a thin shell around this; tests
 * and `stitch demo` use it in-process.
 */
import type { Logger } from 'pino';
import type { Component, ExtensionFactory, Factory, Host } from '../component/component.js';
import { loadFactories } from '../component/lazy.js';
import type { CollectorConfig } from '../config/types.js';
import { errors } from '../errors.js';
import { buildGraph, type PipelineGraph } from '../pipeline/graph.js';
import { createLogger } from '../telemetry/logger.js';
import { SelfTelemetry } from '../telemetry/self-metrics.js';
import { type MetricsServer, startMetricsServer } from '../telemetry/server.js';
import { type CollectorStatus, StatusBoard } from './status.js';

/** Options for starting a collector in this process. */
export interface StartCollectorOptions {
  readonly config: CollectorConfig;
  /** Defaults to a pino logger at `service.telemetry.logs.level` writing to stderr. */
  readonly logger?: Logger;
  /** Defaults to a fresh registry with process metrics. */
  readonly telemetry?: SelfTelemetry;
}

/** A started collector. */
export interface RunningCollector {
  readonly graph: PipelineGraph;
  readonly telemetry: SelfTelemetry;
  readonly logger: Logger;
  /** `http://host:port/metrics` of the self-metrics endpoint, unless `level: none`. */
  readonly metricsUrl: string | undefined;
  /** The collector's lifecycle status, as health_check reports it. */
  readonly status: StatusBoard;
  /**
   * Graceful shutdown: receivers stop accepting, every stage drains downstream, exporters flush,
   * then extensions stop. Gives up on draining after `timeoutMs`. Idempotent.
   */
  shutdown(timeoutMs?: number): Promise<void>;
}

/** The default drain deadline of a graceful shutdown. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 15_000;

/** The factories of the components `config` runs: service extensions and what pipelines list. */
export function usedFactories(config: CollectorConfig): Factory[] {
  const used = new Set<Factory>();
  const add = (c: { factory: Factory } | undefined) => {
    if (c) used.add(c.factory);
  };
  for (const id of config.service.extensions) add(config.extensions.get(id));
  for (const p of config.service.pipelines.values()) {
    for (const id of p.receivers) add(config.receivers.get(id) ?? config.connectors.get(id));
    for (const id of p.processors) add(config.processors.get(id));
    for (const id of p.exporters) add(config.exporters.get(id) ?? config.connectors.get(id));
  }
  return [...used];
}

/**
 * Starts extensions (in `service.extensions` order), then the pipelines downstream-first, then
 * the self-metrics endpoint. On any start failure, stops what started and rejects.
 */
export async function startCollector(options: StartCollectorOptions): Promise<RunningCollector> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.service.telemetry.logs.level);
  const telemetry = options.telemetry ?? new SelfTelemetry();
  const status = new StatusBoard();
  const extensions = new Map<string, Component>();
  const host: Host & { status: StatusBoard } = { getExtension: (id) => extensions.get(id), status };

  const stopExtensions = async (signal?: AbortSignal) => {
    for (const [id, ext] of [...extensions].reverse()) {
      try {
        await ext.shutdown(signal);
      } catch (err) {
        logger.error({ err, component_id: id }, 'extension failed to shut down cleanly');
      }
    }
  };

  // Implementations load on demand (component/lazy.ts): only what this config runs, before any create.
  await loadFactories(usedFactories(config));

  for (const id of config.service.extensions) {
    const c = config.extensions.get(id);
    if (!c) throw errors.STITCH_ERR_EXTENSION_UNDEFINED([id]);
    const ext = (c.factory as ExtensionFactory).create(
      {
        id,
        kind: 'extension',
        logger: logger.child({ kind: 'extension', component_id: id }),
        telemetry: telemetry.forComponent(id),
      },
      c.config,
    );
    try {
      await ext.start(host);
    } catch (err) {
      await stopExtensions(AbortSignal.timeout(5000));
      throw errors.STITCH_ERR_COMPONENT_START([`extension/${id}`, (err as Error).message], { cause: err });
    }
    extensions.set(id, ext);
  }

  let graph: PipelineGraph;
  try {
    graph = buildGraph({ config, logger, telemetry });
    await graph.startAll(host);
  } catch (err) {
    await stopExtensions(AbortSignal.timeout(5000));
    throw err;
  }

  let metricsServer: MetricsServer | undefined;
  const metricsCfg = config.service.telemetry.metrics;
  if (metricsCfg.level !== 'none') {
    try {
      metricsServer = await startMetricsServer(telemetry, metricsCfg.host, metricsCfg.port);
    } catch (err) {
      await graph.shutdownAll(AbortSignal.timeout(5000));
      await stopExtensions(AbortSignal.timeout(5000));
      throw err;
    }
  }
  status.set('ready');
  logger.info(
    { pipelines: [...config.service.pipelines.keys()], metrics: metricsServer?.url },
    'Everything is ready. Begin running and processing data.',
  );

  let stopping: Promise<void> | undefined;
  return {
    graph,
    telemetry,
    logger,
    status,
    metricsUrl: metricsServer?.url,
    shutdown(timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS) {
      stopping ??= (async () => {
        status.set('stopping');
        logger.info({ timeout_ms: timeoutMs }, 'shutting down: draining pipelines');
        const deadline = AbortSignal.timeout(timeoutMs);
        await graph.shutdownAll(deadline);
        await stopExtensions(deadline);
        await metricsServer?.close();
        status.set('stopped');
        logger.info('shutdown complete');
        logger.flush?.();
      })();
      return stopping;
    },
  };
}

export type { CollectorStatus };
