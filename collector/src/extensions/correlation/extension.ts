/**
 * The `correlation` extension: owns the correlation index (fed by `correlation` processors in the
 * same collector) and answers queries about it over HTTP on its own endpoint:
 * - `GET /api/v1/correlations/{id}`: what belongs to a request ID, reconcile ID or trace ID;
 * - `GET /api/v1/correlations?service=&kind=request|reconcile|trace&since=&limit=`: recent ones.
 * Handlers only read the in-memory index (synchronous, bounded work), so the API never waits on
 * or blocks the pipeline.
 */
import { CorrelationIndex, checkId, type IdKind } from '@stitch/correlation';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Component, CreateSettings, Host } from '../../component/component.js';
import { parseDuration } from '../../config/schema.js';
import { createHttpServer, type HttpServer } from '../../internal/http-server/server.js';
import type { CorrelationExtensionConfig } from './config.js';
import { renderEntry, withLinked } from './render.js';

/** Marks a component as a correlation extension, so processors can find its index. */
export const CORRELATION_INDEX = Symbol.for('stitch.correlation.index');

/** The running extension. */
export interface CorrelationExtension extends Component {
  readonly [CORRELATION_INDEX]: CorrelationIndex;
  /** The index, also readable before `start`. */
  readonly index: CorrelationIndex;
  /** The bound port once started. */
  readonly port: number | undefined;
}

/** The index of `component` when it is a correlation extension. */
export function correlationIndexOf(component: Component | undefined): CorrelationIndex | undefined {
  return (component as Partial<CorrelationExtension> | undefined)?.[CORRELATION_INDEX];
}

const KINDS: readonly IdKind[] = ['request', 'reconcile', 'trace'];
const DEFAULT_LIMIT = 50;

/** Creates the extension; the index exists from here on, the endpoint is bound in `start`. */
export function createCorrelationExtension(settings: CreateSettings, config: CorrelationExtensionConfig): CorrelationExtension {
  const index = new CorrelationIndex({ maxEntries: config.max_entries, ttlMs: config.ttl });
  let server: HttpServer | undefined;
  let port: number | undefined;
  let stopped = false;

  const t = settings.telemetry;
  t.observe('stitch_correlation_index_entries', 'IDs held in the correlation index.', () => index.stats().entries);
  t.observe(
    'stitch_correlation_index_removed_entries',
    'IDs removed from the correlation index since start, by reason (lru: full, ttl: expired).',
    () => index.stats().evictedLru,
    { reason: 'lru' },
  );
  t.observe(
    'stitch_correlation_index_removed_entries',
    'IDs removed from the correlation index since start, by reason (lru: full, ttl: expired).',
    () => index.stats().expired,
    { reason: 'ttl' },
  );

  const getOne = (request: FastifyRequest<{ Params: { '*': string } }>, reply: FastifyReply) => {
    const id = request.params['*'];
    // Any valid request ID / rid is printable ASCII of at most 128 characters; trace IDs are hex.
    if (checkId('request_id', id) !== undefined && checkId('trace_id', id.toLowerCase()) !== undefined) {
      return reply.code(400).send({ error: `not a valid request_id, rid or trace_id: ${JSON.stringify(id.slice(0, 64))}` });
    }
    const entry = index.get(id) ?? index.get(id.toLowerCase());
    if (entry === undefined) {
      return reply.code(404).send({
        error: `no request_id, rid or trace_id ${JSON.stringify(id)} seen in the last ${config.ttl / 1000}s (or it was evicted)`,
      });
    }
    return reply.send({ data: renderEntry(withLinked(entry, index), config) });
  };

  const list = (
    request: FastifyRequest<{ Querystring: { service?: string; kind?: string; since?: string; limit?: string } }>,
    reply: FastifyReply,
  ) => {
    const q = request.query;
    const problems: string[] = [];
    let kind: IdKind | undefined;
    if (q.kind !== undefined && q.kind !== '') {
      if ((KINDS as readonly string[]).includes(q.kind)) kind = q.kind as IdKind;
      else problems.push(`kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(q.kind)}`);
    }
    let sinceMs: number | undefined;
    if (q.since !== undefined && q.since !== '') {
      sinceMs = parseSince(q.since);
      if (sinceMs === undefined) {
        problems.push(`since must be a duration ("15m"), RFC 3339 time or Unix seconds, got ${JSON.stringify(q.since)}`);
      }
    }
    let limit = DEFAULT_LIMIT;
    if (q.limit !== undefined && q.limit !== '') {
      limit = Number(q.limit);
      if (!Number.isInteger(limit) || limit <= 0)
        problems.push(`limit must be a positive integer, got ${JSON.stringify(q.limit)}`);
    }
    if (problems.length > 0) return reply.code(400).send({ error: problems.join('; ') });
    const entries = index.list({
      service: q.service === '' ? undefined : q.service,
      kind,
      sinceMs,
      limit: Math.min(limit, config.max_list_limit),
    });
    return reply.send({ data: entries.map((e) => renderEntry(e, config)) });
  };

  return {
    [CORRELATION_INDEX]: index,
    index,
    get port() {
      return port;
    },
    async start(host: Host) {
      if (stopped || server) return;
      const srv = await createHttpServer({ settings, config, host });
      // A wildcard, not `:id`: fastify caps parametric segments at 100 characters, IDs go to 128.
      srv.app.get('/api/v1/correlations/*', getOne);
      srv.app.get('/api/v1/correlations', list);
      port = await srv.listen();
      server = srv;
    },
    async shutdown() {
      stopped = true;
      const srv = server;
      server = undefined;
      await srv?.close();
    },
  };
}

/** `since`: a duration back from now ("15m"), an RFC 3339 time, or Unix seconds. */
export function parseSince(text: string, now = Date.now()): number | undefined {
  const d = parseDuration(text);
  if (d !== undefined) return now - d;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}
