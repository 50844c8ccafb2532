/**
 * The `prometheus` (pull) exporter: holds the latest sample of every series it received and
 * serves them on `GET /metrics` at its `endpoint`, for Prometheus to scrape. OTLP → Prometheus
 * naming, labels, buckets and target_info are the prometheusremotewrite exporter's translator
 * (one set of rules for push and pull); this file only keeps the latest value per series, expires
 * quiet series after `metric_expiration`, and writes the text format (./exposition.ts).
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Component, Consumer, CreateSettings, Host, SignalConsumers } from '../../component/component.js';
import { errors } from '../../errors.js';
import { createHttpServer, type HttpServer } from '../../internal/http-server/server.js';
import { countDataPoints } from '../../model/count.js';
import { isStaleNaN } from '../../model/remote-write/types.js';
import type { MetricsData, Signal } from '../../model/types.js';
import { createTranslator } from '../prometheus-remote-write/translate.js';
import type { PrometheusExporterConfig } from './config.js';
import {
  type Family,
  familyOf,
  type HeldSeries,
  OPENMETRICS_CONTENT_TYPE,
  orderOf,
  renderExposition,
  TEXT_CONTENT_TYPE,
} from './exposition.js';

/** Most series held; new series beyond it are dropped and counted (`cardinality_limit`). */
export const MAX_HELD_SERIES = 200_000;
/** Bodies larger than this are gzipped for scrapers that accept it. */
const GZIP_MIN_BYTES = 1024;
// Async: a scrape of many series is megabytes, and gzipSync would stall every pipeline meanwhile.
const gzipAsync = promisify(gzip);

/** The running exporter. */
export interface PrometheusExporter extends Component {
  readonly consumers: SignalConsumers;
  /** The bound port once started. */
  readonly port: number | undefined;
  /** The exposition as a scrape would get it (tests). */
  render(openMetrics?: boolean): string;
}

/** Test hooks. */
export interface PrometheusExporterDeps {
  now?: () => number;
}

/** Creates the exporter (metrics only); the endpoint is bound in `start`. */
export function createPrometheusExporter(
  settings: CreateSettings,
  config: PrometheusExporterConfig,
  _signals: readonly Signal[],
  deps: PrometheusExporterDeps = {},
): PrometheusExporter {
  const now = deps.now ?? Date.now;
  const t = settings.telemetry;
  const translator = createTranslator({
    namespace: config.namespace,
    addMetricSuffixes: config.add_metric_suffixes,
    externalLabels: config.const_labels,
    resourceToTelemetry: config.resource_to_telemetry_conversion.enabled,
    excludeServiceAttributes: false,
    targetInfo: true,
    exportCreatedMetric: false,
    sendMetadata: true, // the families' TYPE and HELP
    exponentialHistograms: 'classic', // the text formats have no native histograms
  });
  const families = new Map<string, Family>();
  const held = new Map<string, HeldSeries & { updatedMs: number }>();
  t.observe('stitch_exporter_prometheus_series', 'Series served by the prometheus exporter.', () => held.size);
  t.observe(
    'stitch_exporter_prometheus_families',
    'Metric families (HELP/TYPE) the prometheus exporter remembers.',
    () => families.size,
  );

  let server: HttpServer | undefined;
  let port: number | undefined;
  let stopped = false;

  function expire(): void {
    const cutoff = now() - config.metric_expiration;
    const live = new Set<string>();
    for (const [key, s] of held) {
      if (s.updatedMs < cutoff) held.delete(key);
      else live.add(s.family);
    }
    // Families without a held series go too: the map stays bounded by the held series (distinct
    // metric names would otherwise pile up), and a renamed metric does not leave its HELP behind.
    for (const name of families.keys()) if (!live.has(name)) families.delete(name);
  }

  function consume(batch: MetricsData): void {
    const points = countDataPoints(batch);
    const tr = translator.translate(batch);
    for (const m of tr.metadata) {
      families.set(m.metricFamilyName, { name: m.metricFamilyName, type: m.type, help: m.help });
    }
    const at = now();
    let overflow = 0;
    for (let i = 0; i < tr.series.length; i++) {
      const ts = tr.series[i];
      const key = tr.keys[i];
      const sample = ts.samples[ts.samples.length - 1];
      if (sample === undefined) continue;
      if (isStaleNaN(sample.value)) {
        held.delete(key); // the sender marked the series as ended
        continue;
      }
      let h = held.get(key);
      if (h === undefined) {
        if (held.size >= MAX_HELD_SERIES) {
          overflow++;
          continue;
        }
        const nameLabel = ts.labels.find((l) => l.name === '__name__');
        const name = nameLabel?.value ?? '';
        const labels = ts.labels.filter((l) => l.name !== '__name__');
        const family = familyOf(name, families);
        h = {
          family,
          name,
          labels,
          value: 0,
          timestampMs: 0,
          exemplar: undefined,
          updatedMs: at,
          ...orderOf(name, family, labels),
        };
        held.set(key, h);
      }
      h.value = sample.value;
      h.timestampMs = sample.timestamp;
      h.updatedMs = at;
      const e = ts.exemplars[ts.exemplars.length - 1];
      if (e !== undefined) h.exemplar = e;
    }
    const unsupported = tr.unsupportedPoints + tr.invalidPoints;
    if (unsupported > 0) t.dropped('metrics', unsupported, 'unsupported_data');
    if (overflow > 0) t.dropped('metrics', overflow, 'cardinality_limit');
    if (points - unsupported > 0) t.sent('metrics', points - unsupported);
  }

  const render = (openMetrics = false) => {
    expire();
    return renderExposition(held.values(), families, {
      openMetrics: openMetrics && config.enable_open_metrics,
      sendTimestamps: config.send_timestamps,
    });
  };

  const consumer: Consumer<MetricsData> = {
    capabilities: { mutatesData: false },
    async consume(batch) {
      if (stopped) throw errors.STITCH_ERR_SHUTDOWN([settings.id]);
      consume(batch);
    },
  };

  return {
    consumers: { metrics: consumer },
    get port() {
      return port;
    },
    render,
    async start(host: Host) {
      if (stopped || server) return;
      const srv = await createHttpServer({ settings, config, host });
      srv.app.get('/metrics', async (request, reply) => {
        const accept = request.headers.accept ?? '';
        const openMetrics = config.enable_open_metrics && accept.includes('application/openmetrics-text');
        const text = render(openMetrics);
        reply.header('content-type', openMetrics ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE);
        const body = Buffer.from(text);
        if (body.length >= GZIP_MIN_BYTES && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
          return reply.header('content-encoding', 'gzip').send(await gzipAsync(body));
        }
        return reply.send(body);
      });
      port = await srv.listen();
      server = srv;
    },
    async shutdown() {
      stopped = true;
      const srv = server;
      server = undefined;
      await srv?.close();
    },
  };
}
