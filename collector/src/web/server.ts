/**
 * The local correlated view: three static files (HTML, CSS, JS; no build step) and a JSON API,
 * mounted on a fastify instance by the `local` exporter. Static files are read once at mount and
 * served from memory with an ETag; every response carries a strict Content-Security-Policy (no
 * inline script, same-origin only), so even a rendering bug could not run injected script — the
 * page itself renders all data as text nodes.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** What the view reads; the local exporter implements it over its store. */
export interface LocalViewSource {
  /** The overview the page refreshes (JSON-serialisable). */
  overview(): unknown;
  /** Everything about one ID, or undefined when nothing matches. */
  search(id: string): unknown | undefined;
}

/** The longest ID a search accepts (request IDs are at most 128 characters). */
export const MAX_SEARCH_LENGTH = 256;

/**
 * The static files sit in collector/web (package assets, like proto/ and config/) and are not
 * compiled: the same relative path finds them from src/web (tests) and dist/web (the build).
 */
const STATIC_DIR = new URL('../../web/', import.meta.url);

const FILES: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/style.css': 'style.css',
  '/favicon.svg': 'favicon.svg',
};

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** Headers on every response of the view. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** Loads the static files (call from the component's start: a missing file fails the start). */
export async function loadStaticFiles(): Promise<Map<string, StaticFile>> {
  const out = new Map<string, StaticFile>();
  for (const [route, name] of Object.entries(FILES)) {
    const body = await readFile(fileURLToPath(new URL(name, STATIC_DIR)));
    const ext = name.slice(name.lastIndexOf('.') + 1);
    out.set(route, { body, type: TYPES[ext] as string, etag: `"${createHash('sha1').update(body).digest('base64url')}"` });
  }
  return out;
}

/** Adds the view's routes to `app`: `/`, `/app.js`, `/style.css`, `/favicon.svg`, `/api/v1/local/overview`, `/api/v1/local/search?id=`. */
export async function mountLocalView(app: FastifyInstance, source: LocalViewSource): Promise<void> {
  const files = await loadStaticFiles();
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });
  for (const [route, file] of files) {
    app.get(route, async (request, reply) => {
      reply.header('content-type', file.type).header('cache-control', 'no-cache').header('etag', file.etag);
      if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
      return reply.send(file.body);
    });
  }
  app.get('/api/v1/local/overview', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return reply.send(source.overview());
  });
  app.get<{ Querystring: { id?: string } }>('/api/v1/local/search', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const id = (request.query.id ?? '').trim();
    if (id === '') return reply.code(400).send({ error: 'give an id: ?id=<request_id, rid or trace_id>' });
    if (id.length > MAX_SEARCH_LENGTH) {
      return reply.code(400).send({ error: `an id is at most ${MAX_SEARCH_LENGTH} characters, got ${id.length}` });
    }
    const found = source.search(id);
    if (found === undefined) {
      return reply.code(404).send({ error: `nothing with request_id, rid or trace_id ${JSON.stringify(id)} is held here` });
    }
    return reply.send(found);
  });
}
