/**
 * Starts Debian's `prometheus` binary for end-to-end tests: its own free loopback port, a
 * temporary data directory and config file, the remote-write receiver and the exemplar-storage
 * and native-histograms features on. Never the system service on :9090. Every wait is bounded.
 *
 * A missing binary fails the test (CI installs it: `apt-get install prometheus`); it is never a
 * reason to skip.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../collector/src/testing/index.js';

/** A scrape job for the config file. */
export interface ScrapeJob {
  job: string;
  /** `host:port` targets. */
  targets: string[];
  interval?: string;
  metricsPath?: string;
}

/** What to start Prometheus with. */
export interface PrometheusOptions {
  scrape?: ScrapeJob[];
  /** URLs to remote-write everything to (flushed every second). */
  remoteWrite?: string[];
  /** Labels Prometheus adds to what it writes (`global.external_labels`). */
  externalLabels?: Record<string, string>;
  /** Job name under which Prometheus scrapes its own /metrics. */
  scrapeSelf?: string;
}

/** One series of an instant-query result. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
  histogram?: [number, { count: string; sum: string; buckets?: [number, string, string, string][] }];
}

/** A running Prometheus. */
export interface PrometheusHandle {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The remote-write receiver URL. */
  readonly writeUrl: string;
  /** Instant query; returns the vector. */
  query(promql: string): Promise<VectorSample[]>;
  /** `/api/v1/query_exemplars` over the last hour. */
  queryExemplars(
    promql: string,
  ): Promise<{ seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string }[] }[]>;
  /** Polls `query` until `accept` returns true for its result; rejects after `timeoutMs`. */
  waitFor(promql: string, accept: (v: VectorSample[]) => boolean, timeoutMs?: number): Promise<VectorSample[]>;
  /** Prometheus' own log output so far (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

/** The prometheus binary's version line, or throws a clear error when it is not installed. */
export function prometheusVersion(): string {
  try {
    return execFileSync('prometheus', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  } catch (err) {
    throw new Error(
      `the end-to-end tests need Debian's prometheus binary on PATH (apt-get install prometheus): ${(err as Error).message}`,
    );
  }
}

function configYaml(options: PrometheusOptions, port: number): string {
  const lines = ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1m'];
  if (options.externalLabels) {
    lines.push('  external_labels:');
    for (const [k, v] of Object.entries(options.externalLabels)) lines.push(`    ${k}: ${JSON.stringify(v)}`);
  }
  lines.push('storage:', '  exemplars:', '    max_exemplars: 100000');
  lines.push('scrape_configs:');
  const jobs = [...(options.scrape ?? [])];
  if (options.scrapeSelf) jobs.push({ job: options.scrapeSelf, targets: [`127.0.0.1:${port}`] });
  for (const job of jobs) {
    lines.push(`  - job_name: ${JSON.stringify(job.job)}`);
    lines.push(`    scrape_interval: ${job.interval ?? '1s'}`);
    if (job.metricsPath) lines.push(`    metrics_path: ${JSON.stringify(job.metricsPath)}`);
    lines.push('    static_configs:', `      - targets: ${JSON.stringify(job.targets)}`);
  }
  if (options.remoteWrite && options.remoteWrite.length > 0) {
    lines.push('remote_write:');
    for (const url of options.remoteWrite) {
      lines.push(
        `  - url: ${JSON.stringify(url)}`,
        '    send_exemplars: true',
        '    queue_config:',
        '      batch_send_deadline: 1s',
        '      min_backoff: 100ms',
        '      max_backoff: 1s',
        '      retry_on_http_429: true',
        '    metadata_config:',
        '      send_interval: 5s',
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { status: string; data: unknown; error?: string };
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? res.status}`);
  return body.data;
}

/** Starts Prometheus and waits until `/-/ready` answers 200 (at most 30 s). */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusHandle> {
  prometheusVersion();
  const dir = mkdtempSync(join(tmpdir(), 'stitch-prom-'));
  const configFile = join(dir, 'prometheus.yml');
  const port = await freePort();
  writeFileSync(configFile, configYaml(options, port));
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--enable-feature=exemplar-storage,native-histograms',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  const append = (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', () => {
      exited = true;
      resolve();
    });
  });

  const stop = async () => {
    if (!exited) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`prometheus exited during start-up:\n${log}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready within 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const query = async (promql: string) => {
    const data = (await getJson(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)) as {
      resultType: string;
      result: VectorSample[];
    };
    return data.result;
  };

  return {
    url,
    writeUrl: `${url}/api/v1/write`,
    query,
    async queryExemplars(promql) {
      const now = Date.now() / 1000;
      const q = `query=${encodeURIComponent(promql)}&start=${now - 3600}&end=${now + 60}`;
      return (await getJson(`${url}/api/v1/query_exemplars?${q}`)) as never;
    },
    async waitFor(promql, accept, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      let last: VectorSample[] = [];
      for (;;) {
        last = await query(promql);
        if (accept(last)) return last;
        if (Date.now() > end) {
          throw new Error(`timed out waiting for ${promql}; last result ${JSON.stringify(last)}\nprometheus log:\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    logs: () => log,
    stop,
  };
}
