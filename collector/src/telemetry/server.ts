/**
 * Serves the collector's own metrics in the Prometheus text format at `/metrics`
 * (default 127.0.0.1:8888, `service.telemetry.metrics`).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { errors } from '../errors.js';
import type { SelfTelemetry } from './self-metrics.js';

/** A running self-metrics endpoint. */
export interface MetricsServer {
  /** `http://host:port/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the endpoint; rejects with STITCH_ERR_LISTEN when the address is taken. */
export async function startMetricsServer(telemetry: SelfTelemetry, host: string, port: number): Promise<MetricsServer> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', telemetry.registry.contentType);
    return telemetry.metrics();
  });
  try {
    await app.listen({ host, port });
  } catch (err) {
    throw errors.STITCH_ERR_LISTEN(['service.telemetry.metrics', `${host}:${port}`, (err as Error).message], { cause: err });
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shownHost}:${actualPort}/metrics`, close: () => app.close() };
}
