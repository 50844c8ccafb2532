/**
 * `stitch demo` the way a newcomer runs it (`npm start`), on free ports: it prints the local
 * view's URL and sample request IDs; in a real browser (Debian's chromium driven by
 * playwright-core) searching one of those IDs shows its log lines and spans; Ctrl-C (SIGINT)
 * stops it with exit 0 and leaves no child process behind. A screenshot of the page is saved
 * under test-results/.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../collector/src/testing/index.js';
import { runStitch, type StitchProcess } from '../helpers/collector-process.js';
import { launchChromium } from './chromium.js';

const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));

/** The pids of `pid`'s direct children (Linux /proc). */
function childrenOf(pid: number): number[] {
  const dir = `/proc/${pid}/task`;
  if (!existsSync(dir)) return [];
  const out: number[] = [];
  for (const tid of readdirSafe(dir)) {
    const text = readSafe(`${dir}/${tid}/children`);
    for (const p of text.split(/\s+/).filter(Boolean)) out.push(Number(p));
  }
  return out;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('stitch demo (npm start)', () => {
  let demo: StitchProcess;
  let viewUrl: string;
  let chrome: { context: BrowserContext; close(): Promise<void> } | undefined;

  beforeAll(async () => {
    const [grpc, http, health, self, view, corr, prom] = await Promise.all(Array.from({ length: 7 }, () => freePort()));
    viewUrl = `http://127.0.0.1:${view}/`;
    demo = runStitch(['demo', '--rate', '8'], {
      STITCH_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
      STITCH_OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
      STITCH_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
      STITCH_SELF_METRICS_PORT: String(self),
      STITCH_LOCAL_VIEW_ENDPOINT: `127.0.0.1:${view}`,
      STITCH_CORRELATION_ENDPOINT: `127.0.0.1:${corr}`,
      STITCH_PROMETHEUS_ENDPOINT: `127.0.0.1:${prom}`,
    });
    await demo.waitFor('Press Ctrl-C to stop.', 60_000);
  }, 90_000);

  afterAll(async () => {
    await chrome?.close();
    if (demo) await demo.stop('SIGKILL', 5000);
  });

  it('prints the URL of the local view and sample request IDs', async () => {
    expect(demo.stdout()).toContain(`local view     ${viewUrl}`);
    await demo.waitFor(/sample request_id: \S+/, 30_000);
  });

  it('in a real browser, a searched request ID shows its log lines and spans', async () => {
    const id = /sample request_id: (\S+)/.exec(demo.stdout())?.[1] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    chrome = await launchChromium();
    const page = await chrome.context.newPage();
    // No script error, and no failed request except searches for IDs whose data is still in flight.
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400 && !(r.status() === 404 && r.url().includes('/api/v1/local/search'))) {
        problems.push(`${r.status()} ${r.url()}`);
      }
    });
    await page.goto(viewUrl);
    // The overview fills in with the demo's traffic: routes (once metrics are exported) and requests.
    await page.waitForSelector('#requests tbody tr[data-id]', { timeout: 30_000 });
    await page.waitForSelector('#routes tbody tr:not(.empty)', { timeout: 30_000 });
    await page.waitForSelector('#reconciles tbody tr[data-id]', { timeout: 30_000 });

    await page.fill('#q', id);
    await page.click('#search button[type=submit]');
    await page.waitForSelector('#detail-id', { timeout: 10_000 });
    expect(await page.textContent('#detail-id')).toBe(id);
    // Logs and spans may still be in flight (batch delays): the page retries every 2 s.
    await page.waitForSelector('#detail-logs tbody tr', { timeout: 20_000 });
    await page.waitForSelector('#detail-spans .span-row', { timeout: 20_000 });
    const logLines = await page.$$eval('#detail-logs tbody tr', (rows) => rows.map((r) => r.textContent ?? ''));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.some((l) => /loaded product|listed products|added item|checkout|search for|order placed/.test(l))).toBe(true);
    const spanNames = await page.$$eval('#detail-spans .span-name', (els) => els.map((e) => e.textContent ?? ''));
    expect(spanNames.some((n) => /^(GET|POST)\b/.test(n.trim()))).toBe(true);
    expect(await page.textContent('#detail .summary')).toContain('shop-api');

    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'demo-local-view.png'), fullPage: true });

    // One click from a failed reconcile in the overview to its own page.
    await page.goto(`${viewUrl}#/`);
    await page.click('.filters[data-for=reconciles] button[data-filter=errors]');
    const failed = await page.waitForSelector('#reconciles tbody tr[data-id]', { timeout: 30_000 });
    const rid = (await failed.getAttribute('data-id')) as string;
    await failed.click();
    await page.waitForFunction(
      // Runs in the page; the test's tsconfig has no DOM types.
      (r) =>
        (
          globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }
        ).document.querySelector('#detail-id')?.textContent === r,
      rid,
      { timeout: 10_000 },
    );
    await page.waitForSelector('#detail-logs tbody tr', { timeout: 20_000 });
    await page.screenshot({ path: join(RESULTS, 'demo-failed-reconcile.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 120_000);

  it('stops on SIGINT with exit 0 and leaves no child process', async () => {
    const pid = demo.child.pid as number;
    const kids = childrenOf(pid);
    expect(kids.length).toBeGreaterThanOrEqual(2); // the demo service and the demo operator
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.stdout()).toContain('stopped after');
    const deadline = Date.now() + 5000;
    while (kids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(kids.filter(alive)).toEqual([]);
  }, 40_000);
});
