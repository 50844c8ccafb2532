#!/usr/bin/env node
/**
 * The fastify hello-world the instrumentation overhead benchmark drives (one process per
 * variant, so variants never share a heap or JIT state). Prints `listening <port>` when ready.
 *
 *   node bench/instrumentation-server.mjs <bare|stitch-metrics|stitch-full|fastify-otel> <otlp-base-url>
 *
 * Uses the built package (`npm run build` first).
 */
import Fastify from 'fastify';

const [variant = 'bare', otlp = 'http://127.0.0.1:4318'] = process.argv.slice(2);
const app = Fastify({ logger: false });

if (variant === 'stitch-metrics' || variant === 'stitch-full') {
  const { setupTelemetry, stitchFastify } = await import('@stitch/instrumentation');
  setupTelemetry({ serviceName: 'bench', endpoint: otlp, logs: false, traces: variant === 'stitch-full' });
  await app.register(stitchFastify, { mode: variant === 'stitch-full' ? 'full' : 'metrics' });
} else if (variant === 'fastify-otel') {
  const { FastifyOtelInstrumentation } = await import('@fastify/otel');
  const { trace, context, propagation } = await import('@opentelemetry/api');
  const { TracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
  const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http');
  const { metrics } = await import('@opentelemetry/api');
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const provider = new TracerProvider({
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlp}/v1/traces` }) })],
  });
  trace.setGlobalTracerProvider(provider);
  metrics.setGlobalMeterProvider(
    new MeterProvider({
      readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${otlp}/v1/metrics` }) })],
    }),
  );
  const instrumentation = new FastifyOtelInstrumentation({ servername: 'bench' });
  instrumentation.setTracerProvider(provider);
  await app.register(instrumentation.plugin());
} else if (variant !== 'bare') {
  throw new Error(`unknown variant ${variant}`);
}

app.get('/hello/:name', async () => ({ hello: 'world' }));
// The driver reads the server's CPU time around a run: CPU per request is far less sensitive to
// other load on a shared machine than req/s.
app.get('/__cpu', async () => process.cpuUsage());
// Exit cleanly on SIGTERM so `node --cpu-prof` can write its profile.
process.on('SIGTERM', () => process.exit(0));
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`listening ${app.server.address().port}`);
