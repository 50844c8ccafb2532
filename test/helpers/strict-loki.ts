/**
 * A strict Loki push receiver for tests (Loki cannot run here). It speaks Loki's published push
 * API, `POST /loki/api/v1/push`, in both of its encodings:
 * - `application/x-protobuf`: `logproto.PushRequest` (test/helpers/loki-push.proto, written from
 *   grafana/loki pkg/push/push.proto) compressed with BLOCK snappy;
 * - `application/json`: `{"streams":[{"stream":{…},"values":[["<ns>","line",{metadata}]]}]}`;
 * each optionally with `Content-Encoding: gzip`. It rejects, with Loki's 400 messages
 * (pkg/validation), what a default-configured Loki 3.x rejects: an unparsable selector or label
 * name, an empty label set, duplicate label names, more than 15 labels, over-long label names or
 * values, timestamps older than `reject_old_samples_max_age` (7 days; so also timestamp 0) or
 * newer than now + `creation_grace_period` (10 minutes), lines over `max_line_size` (256 KB),
 * too much structured metadata, framed snappy. Stricter than Loki on purpose: entries of one
 * stream must be in non-decreasing timestamp order within a request, and one invalid stream fails
 * the whole request (Loki keeps the valid ones), so a test notices every bad entry.
 *
 * Accepted entries are stored for assertions (`streams()`, `entries()`); `script()` queues canned
 * answers (500, 429 with Retry-After…) for the next requests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gunzipSync, inflateSync } from 'node:zlib';
import protobuf from 'protobufjs';
import snappy from 'snappy';

/** Loki's defaults (limits_config), overridable per test. */
export interface StrictLokiOptions {
  /** `max_label_names_per_series`, default 15. */
  maxLabelNames?: number;
  /** `max_label_name_length`, default 1024. */
  maxLabelNameLength?: number;
  /** `max_label_value_length`, default 2048. */
  maxLabelValueLength?: number;
  /** `max_line_size`, default 256 KB. */
  maxLineSize?: number;
  /** `reject_old_samples_max_age`, default 7 days. */
  rejectOldSamplesMaxAgeMs?: number;
  /** `creation_grace_period`, default 10 minutes. */
  creationGracePeriodMs?: number;
  /** `max_structured_metadata_entries_count`, default 128. */
  maxStructuredMetadataEntries?: number;
  /** `max_structured_metadata_size`, default 64 KB. */
  maxStructuredMetadataSize?: number;
  /** Largest accepted body before decompression, default 16 MiB. */
  maxBodyBytes?: number;
  /** Multi-tenant mode (`auth_enabled: true`): a request without X-Scope-OrgID gets 401. */
  requireTenant?: boolean;
  /** The clock, in ms since the epoch. */
  now?: () => number;
}

/** One accepted entry. */
export interface StoredEntry {
  /** Nanoseconds since the epoch. */
  readonly ts: bigint;
  readonly line: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** One accepted stream (per tenant and label set). */
export interface StoredStream {
  readonly tenant: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly entries: StoredEntry[];
}

/** A canned answer for the next request. */
export interface ScriptedAnswer {
  readonly status: number;
  readonly retryAfter?: string;
  readonly body?: string;
}

/** What happened to one request. */
export interface RecordedRequest {
  readonly status: number;
  /** Loki's message for a refusal. */
  readonly message?: string;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly tenant: string | undefined;
  readonly bytes: number;
  readonly scripted: boolean;
  /** Lines in the request (0 when it could not be decoded). */
  readonly lines: number;
}

/** Label matchers for queries: exact values or regular expressions; `undefined` means "absent". */
export type Matchers = Readonly<Record<string, string | RegExp | undefined>>;

/** A running strict receiver. */
export interface StrictLoki {
  /** The push URL, `http://127.0.0.1:<port>/loki/api/v1/push`. */
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Queues canned answers, used in order by the next requests before any decoding. */
  script(...answers: ScriptedAnswer[]): void;
  /** Stops answering (connections are destroyed) until `resume()`: Loki is down. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Streams whose labels match every matcher (all streams without matchers). */
  streams(matchers?: Matchers, tenant?: string): StoredStream[];
  /** Entries of the matching streams with their labels, in timestamp order. */
  entries(matchers?: Matchers, tenant?: string): (StoredEntry & { labels: Readonly<Record<string, string>> })[];
  /** Accepted lines in total. */
  lineCount(): number;
  /** Resolves once at least `n` lines were accepted; rejects after `timeoutMs`. */
  waitForLines(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once at least `n` requests arrived; rejects after `timeoutMs`. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const PROTO = fileURLToPath(new URL('./loki-push.proto', import.meta.url));
let pushRequestType: protobuf.Type | undefined;
function pushRequest(): protobuf.Type {
  if (!pushRequestType) {
    const root = new protobuf.Root();
    root.loadSync(PROTO, { keepCase: true });
    root.resolveAll();
    pushRequestType = root.lookupType('logproto.PushRequest');
  }
  return pushRequestType;
}

/** The magic that starts a framed ("stream format") snappy body: Loki only reads the block format. */
const FRAMED_SNAPPY_MAGIC = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);

/** A refusal with Loki's status and message. */
class LokiRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface DecodedStream {
  /** The selector as sent (protobuf) or rendered (JSON), for messages. */
  readonly selector: string;
  readonly labels: [string, string][] | undefined;
  readonly parseError?: string;
  readonly entries: { ts: bigint; line: string; metadata: [string, string][] }[];
}

// ---------------------------------------------------------------- selector parsing

const NAME_RE = /[a-zA-Z_][a-zA-Z0-9_]*/y;

/**
 * Parses a stream selector `{a="b", c="d"}` the way Loki's ParseLabels does: only `=` matchers,
 * names `[a-zA-Z_][a-zA-Z0-9_]*`, values as Go quoted (or backquoted raw) strings. Duplicate names
 * are returned as they are, for the duplicate check. Throws with a parse message.
 */
export function parseSelector(text: string): [string, string][] {
  let i = 0;
  const skip = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new Error(`parse error at position ${i + 1}: ${what}`);
  };
  skip();
  if (text[i] !== '{') fail('syntax error: expected {');
  i++;
  const out: [string, string][] = [];
  skip();
  if (text[i] === '}') {
    i++;
  } else {
    for (;;) {
      skip();
      NAME_RE.lastIndex = i;
      const m = NAME_RE.exec(text);
      if (!m) fail(`syntax error: unexpected ${JSON.stringify(text[i] ?? 'end of input')}, expecting IDENTIFIER`);
      const name = (m as RegExpExecArray)[0];
      i += name.length;
      skip();
      if (text[i] !== '=' || text[i + 1] === '~' || text[i + 1] === '=')
        fail('syntax error: only = matchers are allowed in a stream selector');
      i++;
      skip();
      const [value, next] = readGoString(text, i, fail);
      i = next;
      out.push([name, value]);
      skip();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        break;
      }
      fail(`syntax error: unexpected ${JSON.stringify(text[i] ?? 'end of input')}, expecting , or }`);
    }
  }
  skip();
  if (i !== text.length) fail('syntax error: unexpected input after }');
  return out;
}

/** Reads a Go string literal at `i` (strconv.Unquote rules); returns its value and the next index. */
function readGoString(text: string, start: number, fail: (what: string) => never): [string, number] {
  let i = start;
  const quote = text[i];
  if (quote === '`') {
    const end = text.indexOf('`', i + 1);
    if (end < 0) fail('unterminated raw string');
    return [text.slice(i + 1, end), end + 1];
  }
  if (quote !== '"') fail('syntax error: expecting STRING');
  i++;
  let out = '';
  for (;;) {
    if (i >= text.length) fail('unterminated string');
    const c = text[i];
    if (c === '"') return [out, i + 1];
    if (c === '\n') fail('newline in string');
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = text[i + 1];
    i += 2;
    const simple: Record<string, string> = {
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      '\\': '\\',
      '"': '"',
    };
    if (e !== undefined && e in simple) {
      out += simple[e];
      continue;
    }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLen > 0) {
      const h = text.slice(i, i + hexLen);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(h)) fail(`invalid escape \\${e}${h}`);
      const cp = Number.parseInt(h, 16);
      if (e !== 'x' && ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)) fail(`invalid Unicode escape \\${e}${h}`);
      out += e === 'x' ? String.fromCharCode(cp) : String.fromCodePoint(cp);
      i += hexLen;
      continue;
    }
    if (e !== undefined && e >= '0' && e <= '7') {
      const o = text.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(o)) fail(`invalid octal escape \\${o}`);
      out += String.fromCharCode(Number.parseInt(o, 8));
      i += 2;
      continue;
    }
    fail(`invalid escape \\${e ?? ''}`);
  }
}

// ---------------------------------------------------------------- decoding

function longToBigInt(v: unknown): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string') return BigInt(v);
  const l = v as { high: number; low: number } | null | undefined;
  if (!l) return 0n;
  return (BigInt(l.high) << 32n) + BigInt(l.low >>> 0);
}

function decodeProtobuf(body: Buffer): DecodedStream[] {
  if (body.subarray(0, FRAMED_SNAPPY_MAGIC.length).equals(FRAMED_SNAPPY_MAGIC)) {
    throw new LokiRefusal(400, 'snappy: corrupt input (the body is framed snappy; Loki reads block snappy)');
  }
  let raw: Buffer;
  try {
    raw = snappy.uncompressSync(body, { asBuffer: true }) as Buffer;
  } catch (err) {
    throw new LokiRefusal(400, (err as Error).message);
  }
  let msg: {
    streams?: {
      labels?: string;
      entries?: {
        timestamp?: { seconds?: unknown; nanos?: number };
        line?: string;
        structuredMetadata?: { name?: string; value?: string }[];
      }[];
    }[];
  };
  try {
    msg = pushRequest().toObject(pushRequest().decode(raw), { defaults: true }) as typeof msg;
  } catch (err) {
    throw new LokiRefusal(400, `proto: ${(err as Error).message}`);
  }
  return (msg.streams ?? []).map((s) => {
    const selector = s.labels ?? '';
    let labels: [string, string][] | undefined;
    let parseError: string | undefined;
    try {
      labels = parseSelector(selector);
    } catch (err) {
      parseError = (err as Error).message;
    }
    return {
      selector,
      labels,
      ...(parseError !== undefined && { parseError }),
      entries: (s.entries ?? []).map((e) => {
        const seconds = longToBigInt(e.timestamp?.seconds);
        return {
          ts: seconds * 1_000_000_000n + BigInt(e.timestamp?.nanos ?? 0),
          line: e.line ?? '',
          metadata: (e.structuredMetadata ?? []).map((m) => [m.name ?? '', m.value ?? ''] as [string, string]),
        };
      }),
    };
  });
}

function decodeJson(body: Buffer): DecodedStream[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new LokiRefusal(400, `loghttp.PushRequest: ${(err as Error).message}`);
  }
  const streams = (doc as { streams?: unknown }).streams;
  if (!Array.isArray(streams)) throw new LokiRefusal(400, 'loghttp.PushRequest: "streams" must be an array');
  return streams.map((s: unknown, si: number) => {
    const { stream, values } = (s ?? {}) as { stream?: unknown; values?: unknown };
    if (stream === null || typeof stream !== 'object' || Array.isArray(stream)) {
      throw new LokiRefusal(400, `streams[${si}].stream must be an object of label names to values`);
    }
    const labels: [string, string][] = [];
    let parseError: string | undefined;
    for (const [k, v] of Object.entries(stream)) {
      if (typeof v !== 'string') throw new LokiRefusal(400, `streams[${si}].stream.${k} must be a string`);
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k)) parseError ??= `invalid label name ${JSON.stringify(k)}`;
      labels.push([k, v]);
    }
    if (!Array.isArray(values)) throw new LokiRefusal(400, `streams[${si}].values must be an array`);
    const selector = `{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
    return {
      selector,
      labels: parseError === undefined ? labels : undefined,
      ...(parseError !== undefined && { parseError }),
      entries: values.map((v: unknown, vi: number) => {
        if (!Array.isArray(v) || v.length < 2 || v.length > 3 || typeof v[0] !== 'string' || typeof v[1] !== 'string') {
          throw new LokiRefusal(400, `streams[${si}].values[${vi}] must be ["<unix ns>", "<line>", {metadata}?]`);
        }
        if (!/^\d+$/.test(v[0]))
          throw new LokiRefusal(400, `streams[${si}].values[${vi}]: timestamp ${JSON.stringify(v[0])} is not a number`);
        const meta = v[2] ?? {};
        if (
          meta === null ||
          typeof meta !== 'object' ||
          Array.isArray(meta) ||
          Object.values(meta).some((x) => typeof x !== 'string')
        ) {
          throw new LokiRefusal(400, `streams[${si}].values[${vi}][2] must be an object of strings`);
        }
        return { ts: BigInt(v[0]), line: v[1], metadata: Object.entries(meta as Record<string, string>) };
      }),
    };
  });
}

// ---------------------------------------------------------------- validation

function rfc3339(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : `${ns}ns`;
}

interface Limits {
  maxLabelNames: number;
  maxLabelNameLength: number;
  maxLabelValueLength: number;
  maxLineSize: number;
  rejectOldSamplesMaxAgeMs: number;
  creationGracePeriodMs: number;
  maxStructuredMetadataEntries: number;
  maxStructuredMetadataSize: number;
}

/** Validates decoded streams as Loki's distributor would; returns Loki's messages (empty = valid). */
function validate(streams: DecodedStream[], limits: Limits, nowMs: number): string[] {
  const problems: string[] = [];
  const oldest = BigInt(nowMs - limits.rejectOldSamplesMaxAgeMs) * 1_000_000n;
  const newest = BigInt(nowMs + limits.creationGracePeriodMs) * 1_000_000n;
  const lastTs = new Map<string, bigint>();
  for (const s of streams) {
    if (s.labels === undefined) {
      problems.push(`Error parsing labels '${s.selector}' with error: ${s.parseError}`);
      continue;
    }
    if (s.labels.length === 0) {
      problems.push('error at least one label pair is required per stream');
      continue;
    }
    if (s.labels.length > limits.maxLabelNames) {
      problems.push(`entry for stream '${s.selector}' has ${s.labels.length} label names; limit ${limits.maxLabelNames}`);
      continue;
    }
    const sorted = [...s.labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    let bad = false;
    for (let i = 0; i < sorted.length && !bad; i++) {
      const [name, value] = sorted[i];
      if (name.length > limits.maxLabelNameLength) problems.push(`stream '${s.selector}' has label name too long: '${name}'`);
      else if (value.length > limits.maxLabelValueLength)
        problems.push(`stream '${s.selector}' has label value too long: '${value}'`);
      else if (i > 0 && sorted[i - 1][0] === name) problems.push(`stream '${s.selector}' has duplicate label name: '${name}'`);
      else continue;
      bad = true;
    }
    if (bad) continue;
    const key = JSON.stringify(sorted);
    for (const e of s.entries) {
      if (e.ts < oldest) {
        problems.push(
          `entry for stream '${s.selector}' has timestamp too old: ${rfc3339(e.ts)}, oldest acceptable timestamp is: ${rfc3339(oldest)}`,
        );
        continue;
      }
      if (e.ts > newest) {
        problems.push(`entry for stream '${s.selector}' has timestamp too new: ${rfc3339(e.ts)}`);
        continue;
      }
      const lineBytes = Buffer.byteLength(e.line, 'utf8');
      if (lineBytes > limits.maxLineSize) {
        problems.push(
          `max entry size '${limits.maxLineSize}' bytes exceeded for stream '${s.selector}' while adding an entry with length '${lineBytes}' bytes`,
        );
        continue;
      }
      if (e.metadata.length > limits.maxStructuredMetadataEntries) {
        problems.push(
          `stream '${s.selector}' has too many structured metadata labels: '${e.metadata.length}', limit: '${limits.maxStructuredMetadataEntries}'`,
        );
        continue;
      }
      const metaBytes = e.metadata.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
      if (metaBytes > limits.maxStructuredMetadataSize) {
        problems.push(
          `stream '${s.selector}' has structured metadata too large: '${metaBytes}' bytes, limit: '${limits.maxStructuredMetadataSize}' bytes`,
        );
        continue;
      }
      const prev = lastTs.get(key);
      if (prev !== undefined && e.ts < prev) {
        problems.push(`entry with timestamp ${rfc3339(e.ts)} ignored, reason: 'entry out of order' for stream: ${s.selector}`);
        continue;
      }
      lastTs.set(key, e.ts);
    }
  }
  return problems;
}

// ---------------------------------------------------------------- server

function matches(labels: Readonly<Record<string, string>>, matchers: Matchers | undefined): boolean {
  if (!matchers) return true;
  for (const [name, want] of Object.entries(matchers)) {
    const have = labels[name];
    if (want === undefined) {
      if (have !== undefined) return false;
    } else if (have === undefined) return false;
    else if (typeof want === 'string' ? have !== want : !want.test(have)) return false;
  }
  return true;
}

/** Starts the receiver on a free loopback port. */
export async function startStrictLoki(options: StrictLokiOptions = {}): Promise<StrictLoki> {
  const limits: Limits = {
    maxLabelNames: options.maxLabelNames ?? 15,
    maxLabelNameLength: options.maxLabelNameLength ?? 1024,
    maxLabelValueLength: options.maxLabelValueLength ?? 2048,
    maxLineSize: options.maxLineSize ?? 256 * 1024,
    rejectOldSamplesMaxAgeMs: options.rejectOldSamplesMaxAgeMs ?? 7 * 24 * 3600 * 1000,
    creationGracePeriodMs: options.creationGracePeriodMs ?? 10 * 60 * 1000,
    maxStructuredMetadataEntries: options.maxStructuredMetadataEntries ?? 128,
    maxStructuredMetadataSize: options.maxStructuredMetadataSize ?? 64 * 1024,
  };
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const now = options.now ?? Date.now;
  const scripted: ScriptedAnswer[] = [];
  const requests: RecordedRequest[] = [];
  const stored = new Map<string, StoredStream>();
  let lines = 0;
  let paused = false;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size <= maxBody) chunks.push(c);
    }
    const contentType = req.headers['content-type'];
    const contentEncoding = req.headers['content-encoding'];
    const tenantHeader = req.headers['x-scope-orgid'];
    const tenant = Array.isArray(tenantHeader) ? tenantHeader[0] : tenantHeader;
    const record = (status: number, extra: { message?: string; scripted?: boolean; lines?: number } = {}) =>
      requests.push({
        status,
        contentType,
        contentEncoding,
        tenant,
        bytes: size,
        scripted: extra.scripted ?? false,
        lines: extra.lines ?? 0,
        ...(extra.message !== undefined && { message: extra.message }),
      });
    const answer = (status: number, message?: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(message === undefined ? undefined : `${message}\n`);
    };

    const canned = scripted.shift();
    if (canned) {
      record(canned.status, { scripted: true, ...(canned.body !== undefined && { message: canned.body }) });
      answer(
        canned.status,
        canned.body ?? http.STATUS_CODES[canned.status],
        canned.retryAfter ? { 'retry-after': canned.retryAfter } : {},
      );
      return;
    }
    try {
      if (req.method !== 'POST' || req.url?.split('?')[0] !== '/loki/api/v1/push')
        throw new LokiRefusal(404, '404 page not found');
      if (options.requireTenant && !tenant) throw new LokiRefusal(401, 'no org id');
      if (size > maxBody) throw new LokiRefusal(413, `request body too large: ${size} bytes, limit ${maxBody}`);
      let body = Buffer.concat(chunks);
      if (contentEncoding === 'gzip') body = gunzipSync(body);
      else if (contentEncoding === 'deflate') body = inflateSync(body);
      else if (contentEncoding !== undefined && contentEncoding !== '') {
        throw new LokiRefusal(415, `Content-Encoding "${contentEncoding}" not supported`);
      }
      const media = contentType?.split(';')[0].trim().toLowerCase();
      let streams: DecodedStream[];
      if (media === 'application/x-protobuf') streams = decodeProtobuf(body);
      else if (media === 'application/json') streams = decodeJson(body);
      else throw new LokiRefusal(415, `unsupported Content-Type ${JSON.stringify(contentType ?? '')}`);
      const count = streams.reduce((n, s) => n + s.entries.length, 0);
      const problems = validate(streams, limits, now());
      if (problems.length > 0) {
        const message = problems.length === 1 ? problems[0] : `${problems[0]}\n(${problems.length} errors in total)`;
        record(400, { message, lines: count });
        answer(400, message);
        return;
      }
      for (const s of streams) {
        const labels = Object.fromEntries([...(s.labels ?? [])].sort(([a], [b]) => (a < b ? -1 : 1)));
        const key = `${tenant ?? ''}\u0000${JSON.stringify(labels)}`;
        let target = stored.get(key);
        if (!target) stored.set(key, (target = { tenant, labels, entries: [] }));
        for (const e of s.entries) target.entries.push({ ts: e.ts, line: e.line, metadata: Object.fromEntries(e.metadata) });
        lines += s.entries.length;
      }
      record(204, { lines: count });
      answer(204);
    } catch (err) {
      const status = err instanceof LokiRefusal ? err.status : 400;
      const message = (err as Error).message;
      record(status, { message });
      answer(status, message);
    }
  };

  const server = http.createServer((req, res) => {
    if (paused) {
      req.socket.destroy();
      return;
    }
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) {
        res.writeHead(500);
        res.end(err.message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const select = (matchers?: Matchers, tenant?: string) =>
    [...stored.values()].filter((s) => (tenant === undefined || s.tenant === tenant) && matches(s.labels, matchers));

  const waitUntil = async (ok: () => boolean, what: () => string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`strict-loki: timed out waiting for ${what()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  return {
    url: `http://127.0.0.1:${port}/loki/api/v1/push`,
    port,
    requests,
    script: (...answers) => {
      scripted.push(...answers);
    },
    async pause() {
      paused = true;
      server.closeIdleConnections();
    },
    async resume() {
      paused = false;
    },
    streams: select,
    entries: (matchers, tenant) =>
      select(matchers, tenant)
        .flatMap((s) => s.entries.map((e) => ({ ...e, labels: s.labels })))
        .sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0)),
    lineCount: () => lines,
    waitForLines: (n, timeoutMs = 10_000) =>
      waitUntil(
        () => lines >= n,
        () => `${n} lines (have ${lines})`,
        timeoutMs,
      ),
    waitForRequests: (n, timeoutMs = 10_000) =>
      waitUntil(
        () => requests.length >= n,
        () => `${n} requests (have ${requests.length})`,
        timeoutMs,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
