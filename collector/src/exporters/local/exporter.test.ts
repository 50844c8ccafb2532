import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Long from 'long';
import { describe, expect, it } from 'vitest';
import { correlationExtensionConfigSchema } from '../../extensions/correlation/config.js';
import { createCorrelationExtension } from '../../extensions/correlation/extension.js';
import type { LogsData } from '../../model/types.js';
import { testHost, testSettings } from '../../testing/index.js';
import { localExporterConfigSchema } from './config.js';
import { createLocalExporter } from './exporter.js';

const line = (body: string, requestId: string): LogsData => ({
  resourceLogs: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] },
      scopeLogs: [
        {
          logRecords: [
            {
              timeUnixNano: Long.fromNumber(Date.now()).multiply(1_000_000),
              severityNumber: 9,
              body: { stringValue: body },
              attributes: [{ key: 'request_id', value: { stringValue: requestId } }],
            },
          ],
        },
      ],
    },
  ],
});

function make(options: Record<string, unknown> = {}) {
  const config = localExporterConfigSchema.parse({ endpoint: '127.0.0.1:0', ...options });
  const settings = testSettings('local', 'exporter');
  return { e: createLocalExporter(settings, config, ['traces', 'metrics', 'logs']), settings };
}

describe('local exporter', () => {
  it('serves the view and its API on its endpoint, with security headers', async () => {
    const { e, settings } = make();
    await e.start(testHost());
    try {
      const base = `http://127.0.0.1:${e.port}`;
      await e.consumers.logs!.consume(line('hello', 'req-1'));
      const page = await fetch(`${base}/`);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(await page.text()).toContain('<script src="/app.js" defer></script>');
      const js = await fetch(`${base}/app.js`);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      const etag = js.headers.get('etag') as string;
      expect((await fetch(`${base}/app.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);

      const found = await fetch(`${base}/api/v1/local/search?id=req-1`);
      expect(found.status).toBe(200);
      expect(((await found.json()) as { logs: { body: string }[] }).logs.map((l) => l.body)).toEqual(['hello']);
      const missing = await fetch(`${base}/api/v1/local/search?id=req-2`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: string }).error).toContain('"req-2"');
      expect((await fetch(`${base}/api/v1/local/search?id=${'x'.repeat(300)}`)).status).toBe(400);
      expect((await fetch(`${base}/api/v1/local/search`)).status).toBe(400);

      const o = (await (await fetch(`${base}/api/v1/local/overview`)).json()) as { stats: { logs: number } };
      expect(o.stats.logs).toBe(1);
      const sent = await settings.selfTelemetry.registry.getSingleMetric('stitch_exporter_sent_items_total')?.get();
      expect(sent?.values.find((v) => v.labels.signal === 'logs')?.value).toBe(1);
    } finally {
      await e.shutdown();
    }
  });

  it('adds the correlation index answer (LogQL, PromQL) when the extension runs', async () => {
    const ext = createCorrelationExtension(testSettings('correlation', 'extension'), correlationExtensionConfigSchema.parse({}));
    ext.index.record({ requestId: 'req-9', service: 'shop', logs: 2 });
    const { e } = make();
    await e.start(testHost({ correlation: ext }));
    try {
      await e.consumers.logs!.consume(line('hi', 'req-9'));
      const body = (await (await fetch(`http://127.0.0.1:${e.port}/api/v1/local/search?id=req-9`)).json()) as {
        index: { logql: string } | null;
      };
      expect(body.index?.logql).toContain('request_id="req-9"');
    } finally {
      await e.shutdown();
    }
  });

  it('a named index extension that does not run fails the start', async () => {
    const { e } = make({ index: 'correlation/missing' });
    await expect(e.start(testHost())).rejects.toMatchObject({ code: 'STITCH_ERR_EXTENSION_UNDEFINED' });
    await e.shutdown();
  });

  it('persistence: writes a snapshot on shutdown and restores it on start', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stitch-local-')), 'store.json');
    const first = make({ persistence: { path } }).e;
    await first.start(testHost());
    await first.consumers.logs!.consume(line('kept across restarts', 'req-3'));
    await first.shutdown();
    expect(existsSync(path)).toBe(true);
    const second = make({ persistence: { path } }).e;
    await second.start(testHost());
    try {
      expect(second.store.logs.newest()?.body).toBe('kept across restarts');
    } finally {
      await second.shutdown();
    }
  });
});
