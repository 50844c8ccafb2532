/**
 * `stitch tap`: prints, live, a sample of what passes one point of a running collector's
 * pipeline, read from the `tap` extension's loopback endpoint. One readable line per span, data
 * point or log record, or the records as JSON lines with `--json`. Notices (what is tapped,
 * records dropped because this terminal reads too slowly) go to stderr.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TAP_ENDPOINT } from '../tap/config.js';
import { formatRecord, parseFilter, type TapRecord } from '../tap/render.js';

/** `stitch tap --help`. */
export const TAP_HELP = `Usage:
  stitch tap --pipeline PIPELINE [--after receiver|PROCESSOR] [--filter key=value ...] [--limit N] [--json] [--endpoint HOST:PORT]

Prints live samples of what passes a point of a running collector's pipeline:
  --pipeline   the pipeline ID, e.g. metrics or logs/k8s (required)
  --after      "receiver" (the pipeline entry) or a processor ID of that pipeline; default: after the last processor
  --filter     key=value on a resource or item attribute, or name=...; repeat to require several
  --limit      stop after N records (default: run until Ctrl-C)
  --json       one JSON object per line instead of the readable form
  --endpoint   the collector's tap extension (default ${DEFAULT_TAP_ENDPOINT})

The collector must run the Stitch-only \`tap\` extension:
  extensions: { tap: {} }
  service: { extensions: [tap] }
`;

/** Where output goes (tests pass their own). */
export interface TapIo {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  /** Aborts the tap (the CLI wires SIGINT to it). */
  readonly signal?: AbortSignal;
}

/** Runs `stitch tap` with its own arguments; resolves to the exit code (0 ok, 1 failure, 2 usage). */
export async function runTap(argv: string[], io: TapIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  let values: {
    pipeline?: string;
    after?: string;
    filter?: string[];
    limit?: string;
    json?: boolean;
    endpoint?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        pipeline: { type: 'string', short: 'p' },
        after: { type: 'string', short: 'a' },
        filter: { type: 'string', multiple: true, short: 'f' },
        limit: { type: 'string', short: 'n' },
        json: { type: 'boolean' },
        endpoint: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usage(io, (err as Error).message);
  }
  if (values.help) {
    io.out.write(TAP_HELP);
    return 0;
  }
  if (!values.pipeline) return usage(io, '--pipeline is required');
  const limit = values.limit === undefined ? 0 : Number(values.limit);
  if (!Number.isInteger(limit) || (limit < 1 && values.limit !== undefined))
    return usage(io, `--limit: expected a positive integer, got "${values.limit}"`);
  for (const f of values.filter ?? []) if (!parseFilter(f)) return usage(io, `--filter: expected key=value, got "${f}"`);

  const endpoint = values.endpoint ?? DEFAULT_TAP_ENDPOINT;
  const url = new URL(`http://${endpoint}/v1/tap`);
  url.searchParams.set('pipeline', values.pipeline);
  if (values.after) url.searchParams.set('after', values.after);
  if (limit > 0) url.searchParams.set('limit', String(limit));
  for (const f of values.filter ?? []) url.searchParams.append('filter', f);

  let res: Response;
  try {
    res = await fetch(url, { ...(io.signal ? { signal: io.signal } : {}) });
  } catch (err) {
    if (io.signal?.aborted) return 0;
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    io.err.write(
      `stitch tap: cannot reach the tap endpoint at ${endpoint} (${cause}); is the collector running with the \`tap\` extension in service.extensions?\n`,
    );
    return 1;
  }
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => ({}))) as { message?: string; code?: string };
    io.err.write(`stitch tap: ${body.message ?? `HTTP ${res.status}`}${body.code ? ` [${body.code}]` : ''}\n`);
    return 1;
  }

  const decoder = new TextDecoder();
  let pending = '';
  const handle = (line: string) => {
    if (!line) return;
    const msg = JSON.parse(line) as
      | TapRecord
      | { tapping: { pipeline: string; after: string; signal: string } }
      | { dropped: number };
    if ('tapping' in msg) {
      io.err.write(`tapping ${msg.tapping.signal} pipeline ${msg.tapping.pipeline} after ${msg.tapping.after}\n`);
    } else if ('dropped' in msg) {
      io.err.write(`(${msg.dropped} records dropped: this terminal read too slowly)\n`);
    } else {
      io.out.write(`${values.json ? line : formatRecord(msg)}\n`);
    }
  };
  try {
    for await (const chunk of res.body) {
      pending += decoder.decode(chunk as Uint8Array, { stream: true });
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        handle(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
    }
    handle(pending);
  } catch (err) {
    if (io.signal?.aborted) return 0;
    io.err.write(`stitch tap: the stream ended: ${(err as Error).message}\n`);
    return 1;
  }
  return 0;
}

function usage(io: TapIo, message: string): number {
  io.err.write(`stitch tap: ${message}\nRun "stitch tap --help" for usage.\n`);
  return 2;
}

/** The `stitch tap` entry point of the CLI: stdout/stderr, Ctrl-C or SIGTERM ends the tap cleanly. */
export async function tapCommand(argv: string[]): Promise<number> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runTap(argv, { out: process.stdout, err: process.stderr, signal: abort.signal });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
