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
export {
  type Controller,
  type ControllerOptions,
  createController,
  type KubernetesObjectLike,
  parseObjectKey,
} from './k8s-reconcile/controller.js';
export { RECONCILE_TIME_BUCKETS, type ReconcileResultLabel } from './k8s-reconcile/metrics.js';
export {
  bucketRateLimiter,
  defaultControllerRateLimiter,
  exponentialFailureRateLimiter,
  maxOfRateLimiter,
  type RateLimiter,
} from './k8s-reconcile/rate-limiter.js';
export {
  objectKey,
  type Reconcile,
  type ReconcileContext,
  type ReconcileOutcome,
  type ReconcileRequest,
  type ReconcileResult,
  type WrappedReconciler,
  type WrapReconcilerOptions,
  wrapReconciler,
} from './k8s-reconcile/reconciler.js';
export { isTerminalError, TerminalError } from './k8s-reconcile/terminal-error.js';
export { WORKQUEUE_DURATION_BUCKETS, WorkQueue, type WorkQueueOptions } from './k8s-reconcile/work-queue.js';
export { exemplarJsonMetricsSerializer, exemplarsOf, withExemplars } from './metrics/exemplars.js';
export { type Exemplar, ExemplarHistogram, type HistogramDescriptor, HistogramSeries } from './metrics/histogram.js';
export { createOtlpMetricExporter, type OtlpMetricExporterOptions } from './metrics/otlp-exporter.js';
export { INSTRUMENTATION_SCOPE, StitchMetricProducer } from './metrics/producer.js';
export { instrumentListener, type NodeHttpOptions } from './node-http/listener.js';
export { createLogger, type StitchLoggerOptions, stitchMixin } from './pino/logger.js';
export type { OtlpTransportOptions } from './pino/otlp-transport.js';
export {
  type PromClientProducerOptions,
  type PromJsonMetric,
  type PromJsonValue,
  type PromRegistryLike,
  promClientProducer,
} from './prom-client/bridge.js';
export { buildResource, K8S_ENV_VARS, kubernetesAttributes, type ResourceOptions } from './setup/resource.js';
export { samplerFromEnv } from './setup/sampler.js';
export { getTelemetry, setupTelemetry, type Telemetry, type TelemetryOptions } from './setup/telemetry.js';
