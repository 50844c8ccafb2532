/**
 * The `local` exporter: keeps recent spans, log lines and metric series in a bounded in-process
 * store and serves the local correlated view (../../web) and its JSON API on its own `endpoint`,
 * the way the `prometheus` exporter serves what it holds on /metrics. It is the sink of Stitch's
 * embedded default, for a laptop with no backend.
 *
 * Consuming is synchronous work bounded per item (flatten into the store); nothing is queued, so
 * there is no exporterhelper: the store cannot fail and never blocks the pipeline.
 */
import { type CorrelationIndex, logqlFor, promqlFor } from '@stitch/correlation';
import type { Component, Consumer, CreateSettings, Host, SignalConsumers } from '../../component/component.js';
import { errors } from '../../errors.js';
import { correlationIndexOf } from '../../extensions/correlation/extension.js';
import { withLinked } from '../../extensions/correlation/render.js';
import { createHttpServer, type HttpServer } from '../../internal/http-server/server.js';
import { countItems } from '../../model/count.js';
import type { LogsData, MetricsData, Signal, SignalData, TracesData } from '../../model/types.js';
import { mountLocalView } from '../../web/server.js';
import type { LocalExporterConfig } from './config.js';
import { overview, search } from './queries.js';
import { loadSnapshot, saveSnapshot } from './snapshot.js';
import { type IngestResult, LocalStore } from './store.js';

/** The correlation extension ID used when `index` is not set (if one runs). */
const DEFAULT_INDEX_EXTENSION = 'correlation';
/** How often expired items are forgotten. */
const PRUNE_INTERVAL_MS = 5_000;

/** The running exporter. */
export interface LocalExporter extends Component {
  readonly consumers: SignalConsumers;
  readonly store: LocalStore;
  /** The bound port of the view once started. */
  readonly port: number | undefined;
}

/** Test hooks. */
export interface LocalExporterDeps {
  now?: () => number;
}

/** Creates the exporter; the store exists from here on, the view is bound in `start`. */
export function createLocalExporter(
  settings: CreateSettings,
  config: LocalExporterConfig,
  signals: readonly Signal[],
  deps: LocalExporterDeps = {},
): LocalExporter {
  const now = deps.now ?? Date.now;
  const store = new LocalStore({
    maxSpans: config.max_spans,
    maxLogs: config.max_logs,
    maxSeries: config.max_series,
    retentionMs: config.retention,
    maxValueLength: config.max_value_length,
  });
  const t = settings.telemetry;
  const observe = (what: 'spans' | 'logs' | 'series', help: string) => {
    t.observe(`stitch_exporter_local_${what}`, help, () => store.stats()[what]);
  };
  observe('spans', 'Spans held by the local exporter.');
  observe('logs', 'Log records held by the local exporter.');
  observe('series', 'Metric series held by the local exporter.');

  let server: HttpServer | undefined;
  let port: number | undefined;
  let index: CorrelationIndex | undefined;
  let stopped = false;
  let started = false;
  let pruneTimer: NodeJS.Timeout | undefined;
  let snapshotTimer: NodeJS.Timeout | undefined;
  let saving: Promise<void> | undefined;

  const ingest: { [S in Signal]: (data: SignalData[S], rx: number) => IngestResult } = {
    traces: (d: TracesData, rx) => store.addTraces(d, rx),
    logs: (d: LogsData, rx) => store.addLogs(d, rx),
    metrics: (d: MetricsData, rx) => store.addMetrics(d, rx),
  };

  function consumerFor<S extends Signal>(signal: S): Consumer<SignalData[S]> {
    return {
      capabilities: { mutatesData: false },
      async consume(batch) {
        if (stopped) throw errors.STITCH_ERR_SHUTDOWN([settings.id]);
        const r = ingest[signal](batch, now());
        const items = countItems(signal, batch);
        if (r.unsupported > 0) t.dropped(signal, r.unsupported, 'unsupported_data');
        if (items - r.unsupported > 0) t.sent(signal, items - r.unsupported);
      },
    };
  }

  const consumers: SignalConsumers = {};
  for (const s of signals) (consumers as Record<Signal, Consumer<never>>)[s] = consumerFor(s) as Consumer<never>;

  /** The correlation index's view of an ID: counts and ready-made queries for Loki/Prometheus. */
  function fromIndex(id: string) {
    const entry = index?.get(id) ?? index?.get(id.toLowerCase());
    if (index === undefined || entry === undefined) return null;
    const e = withLinked(entry, index);
    return {
      logs: { count: e.logCount, errors: e.errorLogCount },
      spans: { count: e.spanCount, errors: e.errorSpanCount },
      logql: logqlFor(e),
      promql: e.series.map(promqlFor),
    };
  }

  const save = async () => {
    const path = config.persistence?.path;
    if (path === undefined || saving) return;
    saving = saveSnapshot(store, path, now())
      .catch((err: unknown) => settings.logger.warn({ err, path }, 'local store snapshot failed'))
      .finally(() => {
        saving = undefined;
      });
    await saving;
  };

  return {
    consumers,
    store,
    get port() {
      return port;
    },
    async start(host: Host) {
      if (stopped || started) return;
      started = true;
      const ext = host.getExtension(config.index ?? DEFAULT_INDEX_EXTENSION);
      if (config.index !== undefined && ext === undefined) throw errors.STITCH_ERR_EXTENSION_UNDEFINED([config.index]);
      index = correlationIndexOf(ext);
      if (config.persistence) {
        try {
          const loaded = await loadSnapshot(store, config.persistence.path, now());
          if (loaded) settings.logger.info({ ...loaded, path: config.persistence.path }, 'local store restored from snapshot');
        } catch (err) {
          settings.logger.warn({ err, path: config.persistence.path }, 'local store snapshot unreadable; starting empty');
        }
        snapshotTimer = setInterval(() => void save(), config.persistence.interval);
        snapshotTimer.unref();
      }
      const srv = await createHttpServer({ settings, config, host });
      await mountLocalView(srv.app, {
        overview: () => overview(store, now()),
        search: (id) => {
          const found = search(store, id, now());
          return found === undefined ? undefined : { ...found, index: fromIndex(id) };
        },
      });
      port = await srv.listen();
      server = srv;
      pruneTimer = setInterval(() => store.prune(now()), PRUNE_INTERVAL_MS);
      pruneTimer.unref();
    },
    async shutdown() {
      if (stopped) return;
      stopped = true;
      clearInterval(pruneTimer);
      clearInterval(snapshotTimer);
      const srv = server;
      server = undefined;
      await srv?.close();
      if (started && config.persistence) {
        await saving;
        await save();
      }
    },
  };
}
