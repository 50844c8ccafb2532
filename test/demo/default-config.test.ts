/**
 * The embedded default as users run it: `stitch validate` accepts collector/config/default.yaml
 * alone and with the remote-write and Loki overlays (which need their URL variables), and
 * `stitch demo` refuses to start on a taken port, naming the port and the variable that moves it.
 */
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../collector/src/testing/index.js';
import { runStitch } from '../helpers/collector-process.js';

const CONFIG_DIR = fileURLToPath(new URL('../../collector/config/', import.meta.url));
const DEFAULT = `${CONFIG_DIR}default.yaml`;
const REMOTE_WRITE = `${CONFIG_DIR}remote-write.yaml`;
const LOKI = `${CONFIG_DIR}loki.yaml`;

describe('embedded default config', () => {
  it('stitch validate accepts default.yaml', async () => {
    const p = runStitch(['validate', '--config', DEFAULT]);
    expect(await p.exited, p.stderr()).toBe(0);
    expect(p.stdout()).toContain('configuration is valid');
  });

  it('accepts the remote-write and Loki overlays when their URLs are set', async () => {
    const p = runStitch(['validate', '--config', DEFAULT, '--config', REMOTE_WRITE, '--config', LOKI], {
      PROMETHEUS_REMOTE_WRITE_URL: 'http://127.0.0.1:9090/api/v1/write',
      LOKI_URL: 'http://127.0.0.1:3100/loki/api/v1/push',
    });
    expect(await p.exited, p.stderr()).toBe(0);
  });

  it('an overlay without its URL variable is an error naming the variable', async () => {
    const p = runStitch(['validate', '--config', DEFAULT, '--config', REMOTE_WRITE], { PROMETHEUS_REMOTE_WRITE_URL: '' });
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain('exporters.prometheusremotewrite.endpoint');
  });

  it('stitch demo on a taken port exits 1 naming the port and the variable to change', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const [grpc, http, health, self, corr, prom] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
      const p = runStitch(['demo'], {
        STITCH_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
        STITCH_OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
        STITCH_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
        STITCH_SELF_METRICS_PORT: String(self),
        STITCH_LOCAL_VIEW_ENDPOINT: `127.0.0.1:${taken}`,
        STITCH_CORRELATION_ENDPOINT: `127.0.0.1:${corr}`,
        STITCH_PROMETHEUS_ENDPOINT: `127.0.0.1:${prom}`,
      });
      expect(await p.exited).toBe(1);
      expect(p.stderr()).toContain(`port ${taken} (local view, 127.0.0.1:${taken}) is in use`);
      expect(p.stderr()).toContain('STITCH_LOCAL_VIEW_ENDPOINT');
    } finally {
      blocker.close();
    }
  });
});
