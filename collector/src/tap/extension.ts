/**
 * The `tap` extension: the collector's admin endpoint for `stitch tap`, on loopback only.
 *   GET /v1/tap/points → JSON list of {pipeline, after, signal, position}
 *   GET /v1/tap?pipeline=P[&after=A][&filter=k=v ...][&limit=N] → NDJSON stream:
 *     {"tapping": {pipeline, after, signal}} first, then one TapRecord per line, and
 *     {"dropped": n} whenever records were dropped because this client read too slowly.
 * The stream ends after `limit` records, when the client goes away, or at shutdown.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Component, CreateSettings, Host } from '../component/component.js';
import { errors } from '../errors.js';
import { createHttpServer, type HttpServer } from '../internal/http-server/server.js';
import type { TapConfig } from './config.js';
import { type TapSubscription, tapHubFor } from './hub.js';
import { parseFilter, recordToJson, type TapFilter } from './render.js';

/** The running extension; `port` is the bound port once started. */
export interface TapExtension extends Component {
  readonly port: number | undefined;
}

/** Creates the extension; it binds its endpoint in `start`. */
export function createTapExtension(settings: CreateSettings, config: TapConfig): TapExtension {
  const hub = tapHubFor(settings.telemetry.registry);
  const streams = new Set<{ sub: TapSubscription; res: ServerResponse }>();
  let server: HttpServer | undefined;
  let port: number | undefined;
  let stopped = false;

  const stream = (request: FastifyRequest, reply: FastifyReply) => {
    const q = request.query as Record<string, string | string[] | undefined>;
    const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
    const pipeline = one(q.pipeline);
    const after = one(q.after);
    const limitText = one(q.limit) ?? '0';
    const filters: TapFilter[] = [];
    for (const f of [q.filter ?? []].flat()) {
      const parsed = parseFilter(f);
      if (!parsed)
        return reply.code(400).send({ code: 'STITCH_ERR_TAP_POINT', message: `filter ${JSON.stringify(f)}: expected key=value` });
      filters.push(parsed);
    }
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0)
      return reply.code(400).send({
        code: 'STITCH_ERR_TAP_POINT',
        message: `limit: expected a non-negative integer, got ${JSON.stringify(limitText)}`,
      });
    if (streams.size >= config.max_subscribers)
      return reply
        .code(503)
        .send({ code: 'STITCH_ERR_TAP_POINT', message: `already ${streams.size} taps open (max_subscribers)` });
    const sub = pipeline === undefined ? undefined : hub.subscribe(pipeline, after, filters, limit);
    if (!sub) {
      const available = hub.list().map((p) => `${p.pipeline} ${p.after}`);
      const err = errors.STITCH_ERR_TAP_POINT([
        `${pipeline ?? '(no pipeline given)'}${after === undefined ? '' : ` after ${after}`}`,
        available.join(', ') || 'none',
      ]);
      return reply.code(404).send({ code: err.code, message: err.message, available: hub.list() });
    }

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    const entry = { sub, res };
    streams.add(entry);
    let waitingForDrain = false;
    let sent = 0;
    const finish = () => {
      sub.close();
      streams.delete(entry);
      if (!res.writableEnded) res.end();
    };
    // Writes what is queued; when the socket pushes back, waits for 'drain' while the hub's
    // bounded queue absorbs (and then drops) what arrives meanwhile.
    const flush = () => {
      if (waitingForDrain || res.writableEnded) return;
      const dropped = sub.takeDropped();
      let lines = dropped > 0 ? `${JSON.stringify({ dropped })}\n` : '';
      for (const r of sub.take()) {
        lines += `${recordToJson(r)}\n`;
        sent++;
      }
      if (lines && !res.write(lines)) {
        waitingForDrain = true;
        res.once('drain', () => {
          waitingForDrain = false;
          flush();
        });
      }
      if (limit > 0 && sent >= limit) finish();
    };
    sub.onData = flush;
    res.on('close', finish);
    res.write(
      `${JSON.stringify({ tapping: { pipeline: sub.point.pipeline, after: sub.point.after, signal: sub.point.signal } })}\n`,
    );
    settings.logger.info({ pipeline: sub.point.pipeline, after: sub.point.after, limit }, 'tap opened');
    return reply;
  };

  return {
    get port() {
      return port;
    },
    async start(host: Host) {
      if (stopped || server) return;
      const srv = await createHttpServer({
        settings,
        config: { endpoint: config.endpoint, max_request_body_size: 1024, include_metadata: false, response_headers: {} },
        host,
      });
      srv.app.get('/v1/tap/points', async () => hub.list());
      srv.app.get('/v1/tap', stream);
      port = await srv.listen();
      server = srv;
    },
    async shutdown() {
      stopped = true;
      // Tap streams never end on their own; end them so the server can close.
      for (const { sub, res } of [...streams]) {
        sub.close();
        res.end();
      }
      streams.clear();
      const srv = server;
      server = undefined;
      await srv?.close();
    },
  };
}
