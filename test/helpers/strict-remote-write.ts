/**
 * A remote-write 1.0 receiver for tests that is stricter than Prometheus 2.42: it answers 400
 * with a Prometheus-like message for anything a conforming sender must never send:
 * - wrong method/path, missing or wrong Content-Encoding / Content-Type /
 *   X-Prometheus-Remote-Write-Version headers, bodies that are not snappy or not a WriteRequest;
 * - series without `__name__`, labels not sorted by name, duplicate label names, invalid metric
 *   or label names, empty label values;
 * - samples (or native histograms) not in strictly increasing time order within a series, or at
 *   or before the last one accepted for that series in an earlier request;
 * - exemplars whose labels exceed Prometheus' 128-rune budget (Prometheus drops those silently).
 * A request is all or nothing, as in Prometheus. It can be scripted to answer a sequence of
 * statuses first (`[500, {status: 429, retryAfter: 1}, 400]`), and keeps what it accepted.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeWriteRequest } from '../../collector/src/model/remote-write/decode.js';
import { decompressBody } from '../../collector/src/model/remote-write/snappy.js';
import type { Label, NativeHistogram, TimeSeries } from '../../collector/src/model/remote-write/types.js';

/** One scripted answer: a status, optionally with Retry-After (seconds) and a body. */
export type ScriptedResponse = number | { status: number; retryAfter?: number; body?: string };

/** A sample the receiver accepted. */
export interface StoredSample {
  labels: Record<string, string>;
  value: number;
  timestamp: number;
}

/** An exemplar the receiver accepted. */
export interface StoredExemplar {
  seriesLabels: Record<string, string>;
  labels: Record<string, string>;
  value: number;
  timestamp: number;
}

/** A native histogram the receiver accepted. */
export interface StoredHistogram {
  labels: Record<string, string>;
  histogram: NativeHistogram;
}

/** What the receiver answered to one request. */
export interface ReceivedRequest {
  status: number;
  message: string;
  headers: http.IncomingHttpHeaders;
  series: number;
}

/** The running receiver. */
export interface StrictRemoteWrite {
  readonly url: string;
  readonly samples: StoredSample[];
  readonly exemplars: StoredExemplar[];
  readonly histograms: StoredHistogram[];
  /** Every request in arrival order, with the answer given. */
  readonly requests: ReceivedRequest[];
  /** Answers the next requests with these statuses (before any validation), in order. */
  script(responses: ScriptedResponse[]): void;
  /** Samples of the series whose `__name__` is `name` (and whose labels include `match`). */
  samplesOf(name: string, match?: Record<string, string>): StoredSample[];
  /** Resolves once at least `n` samples were accepted; rejects after `timeoutMs`. */
  waitForSamples(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MAX_BODY = 64 * 1024 * 1024;
const EXEMPLAR_MAX_LABEL_RUNES = 128;

class Rejection extends Error {}

function labelString(labels: readonly Label[]): string {
  return `{${labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ')}}`;
}

function validateLabels(labels: readonly Label[]): void {
  if (labels.length === 0) throw new Rejection('series has no labels');
  let hasName = false;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as Label;
    if (l.name === '__name__') {
      hasName = true;
      if (!METRIC_NAME_RE.test(l.value)) throw new Rejection(`invalid metric name: ${JSON.stringify(l.value)}`);
    } else if (!LABEL_NAME_RE.test(l.name)) {
      throw new Rejection(`invalid label name: ${JSON.stringify(l.name)} in ${labelString(labels)}`);
    }
    if (l.value === '') throw new Rejection(`empty value for label ${JSON.stringify(l.name)} in ${labelString(labels)}`);
    if (i > 0) {
      const prev = (labels[i - 1] as Label).name;
      if (prev === l.name) throw new Rejection(`duplicate label name ${JSON.stringify(l.name)} in ${labelString(labels)}`);
      if (prev > l.name) throw new Rejection(`labels not sorted: ${JSON.stringify(prev)} before ${JSON.stringify(l.name)}`);
    }
  }
  if (!hasName) throw new Rejection(`series without __name__: ${labelString(labels)}`);
}

function runes(s: string): number {
  return Array.from(s).length;
}

function toRecord(labels: readonly Label[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) out[l.name] = l.value;
  return out;
}

/** Starts the receiver on a free loopback port. */
export async function startStrictRemoteWrite(): Promise<StrictRemoteWrite> {
  const samples: StoredSample[] = [];
  const exemplars: StoredExemplar[] = [];
  const histograms: StoredHistogram[] = [];
  const requests: ReceivedRequest[] = [];
  const script: ScriptedResponse[] = [];
  /** Last accepted timestamp per series (label string). */
  const last = new Map<string, number>();

  const validate = (series: readonly TimeSeries[]) => {
    // Check everything first: a request is accepted or rejected as a whole.
    const pending = new Map<string, number>();
    for (const ts of series) {
      validateLabels(ts.labels);
      const key = labelString(ts.labels);
      let prev = pending.get(key) ?? last.get(key) ?? Number.NEGATIVE_INFINITY;
      const points = [...ts.samples, ...ts.histograms].map((p) => p.timestamp);
      if (ts.samples.length > 0 && ts.histograms.length > 0) {
        throw new Rejection(`series ${key} carries both float samples and histograms`);
      }
      for (const t of points) {
        if (t === prev) throw new Rejection(`duplicate sample for timestamp ${t} in series ${key}`);
        if (t < prev) throw new Rejection(`out of order sample: timestamp ${t} is before ${prev} in series ${key}`);
        prev = t;
      }
      pending.set(key, prev);
      for (const e of ts.exemplars) {
        const n = e.labels.reduce((acc, l) => acc + runes(l.name) + runes(l.value), 0);
        if (n > EXEMPLAR_MAX_LABEL_RUNES) {
          throw new Rejection(`exemplar label set of ${n} runes exceeds ${EXEMPLAR_MAX_LABEL_RUNES}: ${labelString(e.labels)}`);
        }
      }
    }
    return pending;
  };

  const handle = async (
    req: http.IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; message: string; series: number }> => {
    if (req.method !== 'POST' || req.url !== '/api/v1/write') return { status: 404, message: 'not found', series: 0 };
    if (req.headers['content-encoding'] !== 'snappy') {
      throw new Rejection(`expected Content-Encoding: snappy, got ${JSON.stringify(req.headers['content-encoding'])}`);
    }
    const type = req.headers['content-type'] ?? '';
    if (type !== 'application/x-protobuf' && !type.startsWith('application/x-protobuf;')) {
      throw new Rejection(`expected Content-Type: application/x-protobuf, got ${JSON.stringify(type)}`);
    }
    const version = req.headers['x-prometheus-remote-write-version'];
    if (typeof version !== 'string' || !version.startsWith('0.1.')) {
      throw new Rejection(`expected X-Prometheus-Remote-Write-Version: 0.1.0, got ${JSON.stringify(version)}`);
    }
    let decoded: ReturnType<typeof decodeWriteRequest>;
    try {
      decoded = decodeWriteRequest(await decompressBody(body, MAX_BODY));
    } catch (err) {
      throw new Rejection((err as Error).message);
    }
    const pending = validate(decoded.timeseries);
    for (const [k, t] of pending) last.set(k, t);
    for (const ts of decoded.timeseries) {
      const labels = toRecord(ts.labels);
      for (const s of ts.samples) samples.push({ labels, value: s.value, timestamp: s.timestamp });
      for (const h of ts.histograms) histograms.push({ labels, histogram: h });
      for (const e of ts.exemplars) {
        exemplars.push({ seriesLabels: labels, labels: toRecord(e.labels), value: e.value, timestamp: e.timestamp });
      }
    }
    return { status: 204, message: '', series: decoded.timeseries.length };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const respond = (status: number, message: string, series: number, retryAfter?: number) => {
        requests.push({ status, message, headers: req.headers, series });
        if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(message === '' ? undefined : `${message}\n`);
      };
      const scripted = script.shift();
      if (scripted !== undefined) {
        const s = typeof scripted === 'number' ? { status: scripted } : scripted;
        respond(s.status, s.body ?? `scripted ${s.status}`, 0, s.retryAfter);
        return;
      }
      handle(req, Buffer.concat(chunks)).then(
        (r) => respond(r.status, r.message, r.series),
        (err: unknown) => respond(err instanceof Rejection ? 400 : 500, (err as Error).message, 0),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    samples,
    exemplars,
    histograms,
    requests,
    script(responses) {
      script.push(...responses);
    },
    samplesOf(name, match = {}) {
      return samples.filter((s) => s.labels.__name__ === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
    },
    async waitForSamples(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (samples.length < n) {
        if (Date.now() > deadline) {
          throw new Error(
            `timed out waiting for ${n} samples, have ${samples.length}; requests: ${JSON.stringify(requests.map((r) => [r.status, r.message]))}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
