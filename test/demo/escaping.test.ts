/**
 * The local view renders what senders send as text: a log line, a route and an attribute that
 * contain HTML (`<img src=x onerror=…>`, `<script>`) are shown verbatim and create no element,
 * in a real browser (Debian's chromium). Data goes in through the collector's OTLP receiver, as
 * any hostile client could send it.
 */
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../collector/src/config/index.js';
import { FactoryRegistry } from '../../collector/src/registry.js';
import { type RunningCollector, startCollector } from '../../collector/src/service/collector.js';
import { createLogger } from '../../collector/src/telemetry/logger.js';
import { freePort } from '../../collector/src/testing/index.js';
import { launchChromium } from './chromium.js';

const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '<script>window.__pwned=2</script>';
const REQUEST_ID = 'html-0001';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

const str = (stringValue: string) => ({ stringValue });

describe('local view escapes what it renders', () => {
  let collector: RunningCollector;
  let otlp: string;
  let view: string;
  let chrome: { context: BrowserContext; close(): Promise<void> };

  beforeAll(async () => {
    const [http, viewPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort()]);
    otlp = `http://127.0.0.1:${http}`;
    view = `http://127.0.0.1:${viewPort}/`;
    const yaml = `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${http}
exporters:
  local:
    endpoint: 127.0.0.1:${viewPort}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    traces: { receivers: [otlp], exporters: [local] }
    logs: { receivers: [otlp], exporters: [local] }
`;
    const { config, problems } = loadConfig({ files: ['escaping.yaml'], registry: new FactoryRegistry(), readFile: () => yaml });
    expect(problems).toEqual([]);
    collector = await startCollector({ config: config!, logger: createLogger('silent') });
    chrome = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chrome?.close();
    await collector?.shutdown(5000);
  });

  it('shows a log line with <img onerror> and a <script> route as text, creating no element', async () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const resource = { attributes: [{ key: 'service.name', value: str(`shop ${SCRIPT}`) }] };
    const post = (path: string, body: unknown) =>
      fetch(`${otlp}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const logs = await post('/v1/logs', {
      resourceLogs: [
        {
          resource,
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: String(now),
                  severityNumber: 17,
                  severityText: 'ERROR',
                  body: str(`user searched for ${IMG}`),
                  traceId: TRACE_ID,
                  attributes: [
                    { key: 'request_id', value: str(REQUEST_ID) },
                    { key: 'q', value: str(IMG) },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    expect(logs.status).toBe(200);
    const traces = await post('/v1/traces', {
      resourceSpans: [
        {
          resource,
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE_ID,
                  spanId: '00f067aa0ba902b7',
                  name: `GET ${SCRIPT}`,
                  kind: 2,
                  startTimeUnixNano: String(now),
                  endTimeUnixNano: String(now + 5_000_000n),
                  attributes: [
                    { key: 'request_id', value: str(REQUEST_ID) },
                    { key: 'http.route', value: str(`/search/${IMG}`) },
                    { key: 'http.request.method', value: str('GET') },
                    { key: 'http.response.status_code', value: { intValue: '500' } },
                  ],
                  status: { code: 2 },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(traces.status).toBe(200);

    const page = await chrome.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${view}#/id/${REQUEST_ID}`);
    await page.waitForSelector('#detail-logs tbody tr', { timeout: 15_000 });
    await page.waitForSelector('#requests tbody tr[data-id]', { timeout: 15_000 });

    // The markup is there, as text, in the log line, its attribute, the span and the overview row.
    expect(await page.textContent('#detail-logs tbody')).toContain(`user searched for ${IMG}`);
    expect(await page.textContent('#detail-logs tbody')).toContain(`q=${IMG}`);
    expect(await page.textContent('#detail-spans')).toContain(`GET ${SCRIPT}`);
    expect(await page.textContent('#requests tbody')).toContain(`/search/${IMG}`);
    // …and it created nothing: no <img>, no injected <script>, nothing ran.
    expect(await page.$$eval('img', (els) => els.length)).toBe(0);
    expect(await page.$$eval('script', (els) => els.map((e) => e.getAttribute('src')))).toEqual(['/app.js']);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(problems).toEqual([]);
  }, 60_000);

  it('serves the page with a CSP that forbids inline script', async () => {
    const res = await fetch(view);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
