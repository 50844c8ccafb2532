/**
 * The health_check extension: an HTTP endpoint for Kubernetes liveness/readiness probes. It
 * answers 200 while the collector is ready (every component started) and 503 while it starts or
 * shuts down, reading the status the collector runtime publishes on `host.status`.
 */
import type { FastifyReply } from 'fastify';
import type { Component, CreateSettings, Host } from '../../component/component.js';
import { createHttpServer, type HttpServer } from '../../internal/http-server/server.js';
import type { HealthCheckConfig } from './config.js';

type Status = NonNullable<Host['status']>['value'];

/** Go's time.Duration.String() for a non-negative number of milliseconds: `1h2m3.5s`, `250ms`. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Number(ms.toFixed(6))}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Number(((ms % 60_000) / 1000).toFixed(9));
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}

/** The running extension; `port` is the bound port once started (useful with port 0). */
export interface HealthCheckExtension extends Component {
  readonly port: number | undefined;
}

/** Creates the extension; it binds its endpoint in `start`. */
export function createHealthCheck(settings: CreateSettings, config: HealthCheckConfig): HealthCheckExtension {
  let server: HttpServer | undefined;
  let port: number | undefined;
  let status: Status = 'starting';
  let upSince: Date | undefined;
  let unsubscribe: (() => void) | undefined;
  let stopped = false;

  const setStatus = (s: Status) => {
    if (s === 'ready' && status !== 'ready') upSince = new Date();
    if (s !== status) settings.logger.info({ status: s }, 'health check status changed');
    status = s;
  };

  return {
    get port() {
      return port;
    },
    async start(host: Host) {
      if (stopped || server) return;
      if (config.check_collector_pipeline.enabled) {
        settings.logger.warn(
          'check_collector_pipeline is deprecated in the Collector and not supported by Stitch; health reflects the collector status only',
        );
      }
      const srv = await createHttpServer({ settings, config, host });
      const handler = (_req: unknown, reply: FastifyReply) => {
        const ready = status === 'ready';
        reply.code(ready ? 200 : 503);
        if (config.response_body) {
          return reply
            .type('text/plain; charset=utf-8')
            .send(ready ? config.response_body.healthy : config.response_body.unhealthy);
        }
        const body = ready
          ? {
              status: 'Server available',
              upSince: upSince?.toISOString(),
              uptime: goDuration(Date.now() - (upSince?.getTime() ?? 0)),
            }
          : { status: 'Server not available', upSince: '0001-01-01T00:00:00Z', uptime: '' };
        return reply.type('application/json').send(JSON.stringify(body));
      };
      srv.app.get(config.path, handler);
      if (config.path.endsWith('/')) srv.app.get(`${config.path}*`, handler);
      port = await srv.listen();
      server = srv;
      if (host.status) {
        setStatus(host.status.value);
        unsubscribe = host.status.onChange(setStatus);
      } else {
        // A host without a lifecycle (tests, embedding): healthy while the extension runs.
        setStatus('ready');
      }
    },
    async shutdown() {
      stopped = true;
      unsubscribe?.();
      unsubscribe = undefined;
      status = 'stopping';
      const srv = server;
      server = undefined;
      await srv?.close();
    },
  };
}
