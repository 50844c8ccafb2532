/**
 * The OTLP/HTTP metric exporter Stitch uses: the SDK's `@opentelemetry/exporter-metrics-otlp-http`
 * assembled from the same parts (export delegate, retrying transport, env configuration:
 * OTEL_EXPORTER_OTLP_[METRICS_]ENDPOINT / HEADERS / TIMEOUT / COMPRESSION and the temporality
 * preference) with one difference: its serializer adds exemplars (./exemplars.ts). It always
 * sends OTLP/JSON, as that package does.
 */
import { OTLPMetricExporterBase, type OTLPMetricExporterOptions } from '@opentelemetry/exporter-metrics-otlp-http';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
  type OTLPExporterNodeConfigBase,
} from '@opentelemetry/otlp-exporter-base/node-http';
import { MetricsExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { exemplarJsonMetricsSerializer } from './exemplars.js';

/** Options: those of the SDK's OTLPMetricExporter (url, headers, timeoutMillis, temporalityPreference, …). */
export type OtlpMetricExporterOptions = OTLPMetricExporterOptions & OTLPExporterNodeConfigBase;

/** Creates the exemplar-carrying OTLP/HTTP JSON metric exporter. */
export function createOtlpMetricExporter(options: OtlpMetricExporterOptions = {}): PushMetricExporter {
  const delegate = createOtlpHttpExportDelegate(
    convertLegacyHttpOptions(options, 'METRICS', 'v1/metrics', { 'Content-Type': 'application/json' }),
    exemplarJsonMetricsSerializer,
    'stitch_otlp_http_metric_exporter',
    MetricsExporterMetricsHelper,
    options.selfObsMeterProvider,
  );
  return new OTLPMetricExporterBase(delegate, options);
}
