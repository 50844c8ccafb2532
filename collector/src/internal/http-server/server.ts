/**
 * A fastify server configured from the shared HTTP server options: TLS / mTLS, CORS
 * (@fastify/cors), authentication through an authenticator extension, response headers, and a
 * pass-through body parser so handlers read the raw stream with `readBody` and its limits.
 * Used by the OTLP receiver; other HTTP receivers (remote-write, health_check) can reuse it.
 */
import fastifyCors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { resolveAuthenticator, type ServerAuthenticator } from '../../component/auth.js';
import type { CreateSettings, Host } from '../../component/component.js';
import { errors, type StitchError } from '../../errors.js';
import { type HttpServerConfig, splitEndpoint } from './config.js';
import { loadServerTls } from './tls.js';

/** What `createHttpServer` needs besides the config. */
export interface HttpServerOptions {
  settings: CreateSettings;
  config: HttpServerConfig;
  host: Host;
  /**
   * Answers a request the authenticator refused (default: 401 with a JSON `{ error }`). The
   * OTLP receiver encodes a google.rpc.Status and counts the refusal here.
   */
  onUnauthenticated?: (request: FastifyRequest, reply: FastifyReply, err: StitchError) => FastifyReply | Promise<unknown>;
}

/** The server plus `listen`/`close` that follow the component lifecycle. */
export interface HttpServer {
  readonly app: FastifyInstance;
  /** Binds the endpoint; throws STITCH_ERR_LISTEN when the port is taken. Returns the bound port. */
  listen(): Promise<number>;
  /** Stops accepting, lets in-flight requests finish; idempotent. */
  close(): Promise<void>;
}

const DEFAULT_CORS_HEADERS = ['Accept', 'Content-Type', 'X-Requested-With'];

/** `https://*.example.com` → a RegExp matching that origin with any subdomain. */
function originMatcher(pattern: string): string | RegExp | true {
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return pattern;
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * Builds the fastify instance (no routes yet: the caller adds them, then calls `listen`).
 * Reads TLS files and resolves the authenticator, so call it from the component's `start`.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { settings, config, host } = options;
  const tls = await loadServerTls(settings.id, config.tls);
  const app: FastifyInstance = Fastify({
    logger: false,
    // Bodies are read by the handlers (readBody) with the configured limit.
    bodyLimit: Number.MAX_SAFE_INTEGER,
    ...(tls
      ? {
          https: {
            cert: tls.cert,
            key: tls.key,
            ...(tls.ca ? { ca: tls.ca } : {}),
            requestCert: tls.requestCert,
            rejectUnauthorized: tls.requestCert,
            minVersion: tls.minVersion,
          },
        }
      : {}),
  }) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  const cors = config.cors;
  if (cors && cors.allowed_origins.length > 0) {
    const origins = cors.allowed_origins.map(originMatcher);
    await app.register(fastifyCors, {
      origin: origins.includes(true) ? true : (origins as (string | RegExp)[]),
      allowedHeaders: cors.allowed_headers.includes('*')
        ? undefined // reflect what the browser asks for
        : [...DEFAULT_CORS_HEADERS, ...cors.allowed_headers],
      methods: ['POST'],
      ...(cors.max_age > 0 ? { maxAge: cors.max_age } : {}),
    });
  }

  const responseHeaders = Object.entries(config.response_headers);
  if (responseHeaders.length > 0) {
    app.addHook('onSend', async (_request, reply, payload) => {
      for (const [k, v] of responseHeaders) reply.header(k, v);
      return payload;
    });
  }

  let authenticator: ServerAuthenticator | undefined;
  if (config.auth) {
    authenticator = resolveAuthenticator(host, config.auth.authenticator, settings.id, 'server');
    const auth = authenticator;
    const onUnauthenticated =
      options.onUnauthenticated ??
      ((_request: FastifyRequest, reply: FastifyReply, err: StitchError) => reply.code(401).send({ error: err.message }));
    app.addHook('onRequest', async (request, reply) => {
      if (request.method === 'OPTIONS') return; // CORS preflight carries no credentials
      try {
        await auth.authenticate(request.headers);
      } catch (err) {
        const e = errors.STITCH_ERR_UNAUTHENTICATED.is(err)
          ? err
          : errors.STITCH_ERR_UNAUTHENTICATED([(err as Error).message], { cause: err });
        await onUnauthenticated(request, reply, e);
        return reply;
      }
    });
  }

  let closed = false;
  return {
    app,
    async listen() {
      const { host: bindHost, port } = splitEndpoint(config.endpoint);
      try {
        await app.listen({ host: bindHost, port });
      } catch (err) {
        throw errors.STITCH_ERR_LISTEN([settings.id, config.endpoint, (err as Error).message], { cause: err });
      }
      const addr = app.server.address();
      return typeof addr === 'object' && addr ? addr.port : port;
    },
    async close() {
      if (closed) return;
      closed = true;
      // fastify closes the connections that are idle when close() starts; requests still in
      // flight (waiting for the pipeline to drain) leave keep-alive sockets behind that would hold
      // close() open for the whole keep-alive timeout. Close those as they go idle.
      const sweep = setInterval(() => app.server.closeIdleConnections?.(), 50);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
    },
  };
}
