/**
 * @stitch/instrumentation: one line of middleware for fastify, express, node:http and operator
 * reconcile loops — RED metrics, spans, request / reconcile IDs, exemplars and correlated pino
 * logs, pushed over OTLP. Start with {@link setupTelemetry}.
 */
export {
  type CorrelationContext,
  currentCorrelation,
  currentReconcileId,
  currentRequestId,
  runWithCorrelation,
} from './context.js';
export { type ErrorDefinition, errors, InstrumentationError, type InstrumentationErrorKind } from './errors.js';
export { type ExpressLikeRequest, type StitchExpressOptions, stitchExpress, stitchExpressErrors } from './express/middleware.js';
export { type StitchFastifyOptions, stitchFastify } from './fastify/plugin.js';
export {
  createHttpCore,
  type HttpCore,
  type HttpInstrumentationOptions,
  RequestState,
  type ResponseHeaders,
} from './http/core.js';
export {
  HTTP_SERVER_DURATION_BUCKETS,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  REDACTED_HEADERS,
  UNMATCHED_ROUTE,
} from './http/semconv.js';
export { exemplarJsonMetricsSerializer, exemplarsOf, withExemplars } from './metrics/exemplars.js';
export { type Exemplar, ExemplarHistogram, type HistogramDescriptor, HistogramSeries } from './metrics/histogram.js';
export { createOtlpMetricExporter, type OtlpMetricExporterOptions } from './metrics/otlp-exporter.js';
export { INSTRUMENTATION_SCOPE, StitchMetricProducer } from './metrics/producer.js';
export { instrumentListener, type NodeHttpOptions } from './node-http/listener.js';
export { buildResource, K8S_ENV_VARS, kubernetesAttributes, type ResourceOptions } from './setup/resource.js';
export { samplerFromEnv } from './setup/sampler.js';
export { getTelemetry, setupTelemetry, type Telemetry, type TelemetryOptions } from './setup/telemetry.js';
