/**
 * Shared parts of the fault-injection scenarios: payloads whose items carry IDs, decoders that
 * read the IDs back out of what reaches a backend, a sender that behaves like a well-made OTLP
 * client (retries what the collector refuses as retryable, counts an item as sent only when the
 * collector acknowledged it), the collector's own metrics, and the figures each scenario prints.
 */
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import snappy from 'snappy';
import { decodeRequest, encodeRequest } from '../../collector/src/model/otlp-codec.js';
import { messageType } from '../../collector/src/model/proto-root.js';
import { decodeWriteRequest } from '../../collector/src/model/remote-write/decode.js';
import { decompressBody } from '../../collector/src/model/remote-write/snappy.js';
import type { Signal } from '../../collector/src/model/types.js';
import { freePort } from '../../collector/src/testing/index.js';
import { seededRandom } from '../../collector/src/testing/random.js';
import { runStitch, type StitchProcess, writeConfig } from '../helpers/collector-process.js';

/** The metric every metrics scenario sends: one gauge point per ID, labelled `seq`. */
export const PROBE_METRIC = 'rel_probe';

/** OTLP/JSON for `ids` as gauge points `rel_probe{seq=<id>} = <id>`. */
export function metricsJson(ids: readonly number[], scenario: string): string {
  const now = `${BigInt(Date.now()) * 1_000_000n}`;
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: scenario } }] },
        scopeMetrics: [
          {
            scope: { name: 'reliability' },
            metrics: [
              {
                name: PROBE_METRIC,
                gauge: {
                  dataPoints: ids.map((id) => ({
                    timeUnixNano: now,
                    asDouble: id,
                    attributes: [{ key: 'seq', value: { stringValue: String(id) } }],
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  });
}

/** OTLP/JSON for `ids` as log records whose body is `line-<id>` (plus `pad` characters), with extra resource attributes. */
export function logsJson(ids: readonly number[], scenario: string, pad = 0, resource: Record<string, string> = {}): string {
  const now = `${BigInt(Date.now()) * 1_000_000n}`;
  const padding = pad > 0 ? ` ${'x'.repeat(pad)}` : '';
  const attributes = Object.entries({ 'service.name': scenario, ...resource }).map(([key, v]) => ({
    key,
    value: { stringValue: v },
  }));
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes },
        scopeLogs: [
          {
            scope: { name: 'reliability' },
            logRecords: ids.map((id) => ({ timeUnixNano: now, body: { stringValue: `line-${id}${padding}` } })),
          },
        ],
      },
    ],
  });
}

/** The same request as OTLP protobuf, through the one codec. */
export function toProtobuf(signal: Signal, json: string): Uint8Array {
  return encodeRequest(signal, decodeRequest(signal, Buffer.from(json), 'json'), 'protobuf');
}

/** IDs in a remote-write body: `seq` of every `rel_probe` sample (one per sample). */
export async function remoteWriteIds(body: Buffer): Promise<string[]> {
  const req = decodeWriteRequest(await decompressBody(body, 64 * 1024 * 1024));
  const ids: string[] = [];
  for (const ts of req.timeseries) {
    if (!ts.labels.some((l) => l.name === '__name__' && l.value === PROBE_METRIC)) continue;
    const seq = ts.labels.find((l) => l.name === 'seq')?.value;
    if (seq !== undefined) for (let i = 0; i < ts.samples.length; i++) ids.push(seq);
  }
  return ids;
}

const lokiPush = messageType('logproto.PushRequest');

/** IDs in a Loki protobuf push body: `<id>` of every `line-<id>…` entry. */
export function lokiIds(body: Buffer): string[] {
  const raw = snappy.uncompressSync(body, { asBuffer: true }) as Buffer;
  const req = lokiPush.toObject(lokiPush.decode(raw)) as { streams?: { entries?: { line?: string }[] }[] };
  const ids: string[] = [];
  for (const s of req.streams ?? []) {
    for (const e of s.entries ?? []) {
      const m = /^line-(\d+)/.exec(e.line ?? '');
      if (m?.[1]) ids.push(m[1]);
    }
  }
  return ids;
}

/** IDs in an OTLP/HTTP protobuf logs body. */
export function otlpLogIds(body: Buffer): string[] {
  const logs = decodeRequest('logs', body, 'protobuf');
  const ids: string[] = [];
  for (const rl of logs.resourceLogs) {
    for (const sl of rl.scopeLogs) {
      for (const r of sl.logRecords) {
        const m = /^line-(\d+)/.exec(String(r.body?.stringValue ?? ''));
        if (m?.[1]) ids.push(String(Number(m[1])));
      }
    }
  }
  return ids;
}

/** The answer to one OTLP/HTTP post (status 0 = the connection failed). */
export interface PostResult {
  status: number;
  retryAfter: string | null;
  text: string;
}

/** POSTs one OTLP body; never throws (a network error is status 0). */
export async function post(url: string, body: Uint8Array | string, contentType: string, timeoutMs = 10_000): Promise<PostResult> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
  } catch (err) {
    return { status: 0, retryAfter: null, text: (err as Error).message };
  }
}

/** A sender: what an OTLP client with retries does, with counts. */
export interface Sender {
  /** IDs the collector acknowledged (200). */
  readonly acked: Set<number>;
  /** Every non-200 answer, by status (0 = connection failed). */
  readonly refusals: Map<number, number>;
  /**
   * Sends `ids` as one request, retrying 429/503/connection failures (waiting `Retry-After`,
   * capped at `maxWaitMs`) until acknowledged or `deadlineMs` passes. Returns the last status.
   */
  send(ids: number[], deadlineMs?: number): Promise<number>;
}

/** A sender of `signal` to an OTLP/HTTP URL (protobuf bodies built by `build`). */
export function createSender(
  url: string,
  build: (ids: number[]) => Uint8Array,
  options: { maxWaitMs?: number; onRefusal?: (r: PostResult) => void } = {},
): Sender {
  const acked = new Set<number>();
  const refusals = new Map<number, number>();
  return {
    acked,
    refusals,
    async send(ids, deadlineMs = 30_000) {
      const body = build(ids);
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        const r = await post(url, body, 'application/x-protobuf');
        if (r.status === 200) {
          for (const id of ids) acked.add(id);
          return 200;
        }
        refusals.set(r.status, (refusals.get(r.status) ?? 0) + 1);
        options.onRefusal?.(r);
        if (![0, 429, 503].includes(r.status) || Date.now() > deadline) return r.status;
        const asked = r.retryAfter ? Number(r.retryAfter) * 1000 : 100;
        await new Promise((res) => setTimeout(res, Math.min(asked, options.maxWaitMs ?? 250)));
      }
    },
  };
}

/** Sums every sample of a self-metric whose labels contain all of `labels`. */
export async function selfMetric(metricsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** A collector started from a YAML template with `{OTLP_HTTP}`, `{OTLP_GRPC}`, `{METRICS}` ports filled in. */
export interface RunningCollector {
  process: StitchProcess;
  otlpHttp: string;
  otlpGrpc: string;
  metricsUrl: string;
  configFile: string;
  ports: { http: number; grpc: number; metrics: number };
}

/** Writes the config and starts `stitch collect`; waits until it is ready. */
export async function startCollector(
  yaml: string,
  options: { ports?: RunningCollector['ports']; env?: Record<string, string>; configFile?: string } = {},
): Promise<RunningCollector> {
  const ports = options.ports ?? { http: await freePort(), grpc: await freePort(), metrics: await freePort() };
  const text = yaml
    .replaceAll('{OTLP_HTTP}', `127.0.0.1:${ports.http}`)
    .replaceAll('{OTLP_GRPC}', `127.0.0.1:${ports.grpc}`)
    .replaceAll('{METRICS}', `127.0.0.1:${ports.metrics}`);
  const configFile = options.configFile ?? writeConfig(text);
  const process = runStitch(['collect', '--config', configFile], options.env);
  await process.waitFor('Everything is ready', 20_000);
  return {
    process,
    otlpHttp: `http://127.0.0.1:${ports.http}`,
    otlpGrpc: `127.0.0.1:${ports.grpc}`,
    metricsUrl: `http://127.0.0.1:${ports.metrics}/metrics`,
    configFile,
    ports,
  };
}

/** What every scenario prints and records. */
export interface Figures {
  sent: number;
  delivered: number;
  duplicates: number;
  lost: number;
  /** Items refused for good on purpose (a permanent 400, a corrupted record), counted by the collector. */
  rejected?: number;
  /** Wall time of the scenario in ms. */
  ms: number;
  /** Anything else worth a column (retry intervals, RSS, …). */
  notes?: string;
}

/**
 * Compares what was acknowledged to the sender with what the backend accepted (`delivered`:
 * ID → times accepted). `expectedMissing` are IDs that may legitimately be absent (rejected
 * permanently on purpose); any other acknowledged ID not delivered is `lost`.
 */
export function figures(
  sent: Iterable<number | string>,
  delivered: Map<string, number>,
  t0: number,
  expectedMissing: Set<string> = new Set(),
): Figures {
  const ids = [...sent].map(String);
  let lost = 0;
  let got = 0;
  for (const id of ids) {
    if (delivered.has(id)) got++;
    else if (!expectedMissing.has(id)) lost++;
  }
  let duplicates = 0;
  for (const id of ids) duplicates += Math.max(0, (delivered.get(id) ?? 0) - 1);
  return { sent: ids.length, delivered: got, duplicates, lost, ms: Date.now() - t0 };
}

/** Where the last run's figures are appended (one JSON line per scenario), for docs/reliability.md. */
export const FIGURES_FILE = process.env.STITCH_RELIABILITY_FIGURES ?? join(tmpdir(), 'stitch-reliability-figures.jsonl');

/** Prints `reliability <scenario>: sent=… delivered=… duplicates=… lost=…` and records the figures. */
export function report(scenario: string, f: Figures): void {
  const extra = f.rejected !== undefined ? ` rejected=${f.rejected}` : '';
  const notes = f.notes ? ` (${f.notes})` : '';
  console.log(
    `reliability ${scenario}: sent=${f.sent} delivered=${f.delivered} duplicates=${f.duplicates} lost=${f.lost}${extra} time=${f.ms}ms${notes}`,
  );
  try {
    appendFileSync(FIGURES_FILE, `${JSON.stringify({ scenario, at: new Date().toISOString(), ...f })}\n`);
  } catch {
    // The figures file is a convenience for the report; the printed line is the record.
  }
}

/** Waits until `check` resolves true; rejects with `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `[from, from+1, …, from+n-1]` */
export function range(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

/** A small seeded PRNG (mulberry32): the fuzz and corpus inputs are the same on every run. */
export { seededRandom };

/** `n` incompressible bytes from a seed. */
export function seededBytes(n: number, seed: number): Buffer {
  const rnd = seededRandom(seed);
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}
