/**
 * Options of the `prometheus` (pull) exporter, named and defaulted as the Collector contrib
 * exporter (exporter/prometheusexporter/config.go): the confighttp server fields with a required
 * `endpoint`, `namespace`, `const_labels`, `send_timestamps`, `metric_expiration`,
 * `resource_to_telemetry_conversion`, `enable_open_metrics`, `add_metric_suffixes`.
 */
import { duration, hostPort, type Infer, z } from '../../config/schema.js';
import { httpServerFields } from '../../internal/http-server/config.js';

/** The strict schema of the `prometheus` exporter section. */
export const prometheusExporterConfigSchema = z.strictObject({
  ...httpServerFields(''),
  /** Where /metrics is served (`host:port`). Required, as in the Collector. */
  endpoint: hostPort,
  /** Prefix for every metric name (`<namespace>_<name>`). */
  namespace: z.string().default(''),
  /** Labels added to every series unless the series already has them. */
  const_labels: z.record(z.string(), z.string()).default({}),
  /** Serve each sample with its own timestamp (otherwise Prometheus uses the scrape time). */
  send_timestamps: z.boolean().default(false),
  /** A series not updated for this long is no longer served. */
  metric_expiration: duration('5m').refine((ms) => ms > 0, 'metric_expiration must be positive'),
  resource_to_telemetry_conversion: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
  /** Answer scrapes that accept OpenMetrics in OpenMetrics (the only text format with exemplars). */
  enable_open_metrics: z.boolean().default(false),
  /** Add unit and `_total` suffixes to metric names (the OpenTelemetry → Prometheus rules). */
  add_metric_suffixes: z.boolean().default(true),
});

/** The parsed `prometheus` exporter config. */
export type PrometheusExporterConfig = Infer<typeof prometheusExporterConfigSchema>;
