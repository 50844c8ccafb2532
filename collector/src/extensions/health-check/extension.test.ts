import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusBoard } from '../../service/status.js';
import { freePort, testHost, testSettings } from '../../testing/index.js';
import { healthCheckConfigSchema } from './config.js';
import { createHealthCheck, goDuration, type HealthCheckExtension } from './extension.js';

const running: HealthCheckExtension[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.shutdown()));
});

async function start(raw: Record<string, unknown>, board?: StatusBoard) {
  const port = await freePort();
  const config = healthCheckConfigSchema.parse({ endpoint: `127.0.0.1:${port}`, ...raw });
  const ext = createHealthCheck(testSettings('health_check', 'extension'), config);
  running.push(ext);
  await ext.start(board ? { ...testHost(), status: board } : testHost());
  return { ext, base: `http://127.0.0.1:${port}` };
}

describe('health_check extension', () => {
  it('defaults to localhost:13133 and path /', () => {
    const c = healthCheckConfigSchema.parse({});
    expect(c.endpoint).toBe('localhost:13133');
    expect(c.path).toBe('/');
    expect(c.check_collector_pipeline).toEqual({ enabled: false, interval: 300_000, exporter_failure_threshold: 5 });
  });

  it('answers 503 while the collector starts, 200 once ready, 503 again while it stops', async () => {
    const board = new StatusBoard();
    const { base } = await start({}, board);
    let res = await fetch(base);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'Server not available', upSince: '0001-01-01T00:00:00Z', uptime: '' });

    board.set('ready');
    res = await fetch(base);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as { status: string; upSince: string; uptime: string };
    expect(body.status).toBe('Server available');
    expect(Date.now() - Date.parse(body.upSince)).toBeLessThan(5000);
    expect(body.uptime).toMatch(/^\d+(\.\d+)?m?s$/);

    board.set('stopping');
    expect((await fetch(base)).status).toBe(503);
  });

  it('serves the configured response_body strings', async () => {
    const board = new StatusBoard();
    const { base } = await start({ response_body: { healthy: 'I am fine', unhealthy: 'not yet' } }, board);
    let res = await fetch(base);
    expect([res.status, await res.text()]).toEqual([503, 'not yet']);
    board.set('ready');
    res = await fetch(base);
    expect([res.status, await res.text()]).toEqual([200, 'I am fine']);
  });

  it('serves only its path; a path ending in / covers what is below it', async () => {
    const { base } = await start({ path: '/health/status' });
    expect((await fetch(`${base}/health/status`)).status).toBe(200);
    expect((await fetch(`${base}/other`)).status).toBe(404);
    await Promise.all(running.splice(0).map((e) => e.shutdown()));
    const sub = await start({ path: '/health/' });
    expect((await fetch(`${sub.base}/health/live`)).status).toBe(200);
    expect((await fetch(`${sub.base}/metrics`)).status).toBe(404);
  });

  it('releases its port on shutdown; shutdown is idempotent and safe without start', async () => {
    const { ext, base } = await start({});
    expect((await fetch(base)).status).toBe(200);
    await ext.shutdown();
    await ext.shutdown();
    await expect(fetch(base)).rejects.toThrow();
    const never = createHealthCheck(testSettings('health_check', 'extension'), healthCheckConfigSchema.parse({}));
    await never.shutdown();
  });

  it('fails to start with STITCH_ERR_LISTEN when the port is taken', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const ext = createHealthCheck(
        testSettings('health_check', 'extension'),
        healthCheckConfigSchema.parse({ endpoint: `127.0.0.1:${port}` }),
      );
      await expect(ext.start(testHost())).rejects.toMatchObject({ code: 'STITCH_ERR_LISTEN' });
      await ext.shutdown();
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it.each([
    [{ path: 'health' }, 'path', /must start with \//],
    [
      { check_collector_pipeline: { exporter_failure_threshold: 0 } },
      'check_collector_pipeline.exporter_failure_threshold',
      /positive/,
    ],
    [{ endpoint: 'localhost' }, 'endpoint', /host:port/],
    [{ response_body: { healthy: 'ok', sick: 'no' } }, 'response_body', /sick/],
  ])('rejects %j', (raw, path, message) => {
    const r = healthCheckConfigSchema.safeParse(raw);
    expect(r.success).toBe(false);
    const issue = r.error?.issues[0];
    expect(issue?.path.join('.')).toBe(path);
    expect(`${issue?.message} ${JSON.stringify(issue)}`).toMatch(message);
  });

  it('formats uptime as Go durations', () => {
    expect(goDuration(250)).toBe('250ms');
    expect(goDuration(1500)).toBe('1.5s');
    expect(goDuration(3_723_500)).toBe('1h2m3.5s');
  });
});
