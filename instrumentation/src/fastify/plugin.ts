/**
 * The fastify adapter: `await app.register(stitchFastify, options)` before declaring routes.
 *
 * Uses fastify's own hooks, no monkey-patching:
 * - a root `onRequest` hook starts the request and, when request IDs or tracing are on, runs the
 *   rest of the lifecycle inside the request's AsyncLocalStorage contexts;
 * - an `onRoute` hook gives every route one extra route-level `onRequest` hook that stores its
 *   template on the request state (fastify merges route-level and root hooks into one array, so
 *   this is one function call, where `request.routeOptions` would allocate an object per request);
 * - `onError` keeps the error for `error.type`;
 * - the request ends on the raw response's 'close' event (one shared listener; Node emits it
 *   after the response finished, or when the client went away first), not in an `onResponse`
 *   hook: measured with bench/instrumentation-overhead.mjs, an `onResponse` hook alone costs
 *   fastify ~0.8 µs per request (7% of a hello-world) because fastify then attaches and removes
 *   two response listeners and runs a hook chain per request.
 *
 * State lives in a request decoration and a symbol on the raw response.
 */
import type { ServerResponse } from 'node:http';
import { REQUEST_ID_HEADER } from '@stitch/correlation';
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify';
import { createHttpCore, type HttpCore, type HttpInstrumentationOptions, type RequestState } from '../http/core.js';

/** Options of the fastify plugin: those of every HTTP adapter. */
export type StitchFastifyOptions = HttpInstrumentationOptions;

const kState = Symbol('stitch.request');
const kResState = Symbol('stitch.state');
const kResCore = Symbol('stitch.core');

type WithState = FastifyRequest & { [kState]: RequestState | null };
type TrackedResponse = ServerResponse & { [kResState]?: RequestState; [kResCore]?: HttpCore };

function onResponseClose(this: TrackedResponse): void {
  const state = this[kResState];
  if (state === undefined || state.ended) return;
  // writableEnded: the app called end() (light-my-request's inject responses never set writableFinished).
  if (this.writableEnded) this[kResCore]!.end(state, state.route, this.statusCode, this);
  else this[kResCore]!.end(state, state.route, 0, undefined, true);
}

function plugin(fastify: FastifyInstance, options: StitchFastifyOptions, done: (err?: Error) => void): void {
  const core = createHttpCore(options, 'stitchFastify');
  fastify.decorateRequest(kState as unknown as string, null);

  fastify.addHook(
    'onRequest',
    function stitchOnRequest(request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction) {
      const raw = request.raw;
      const state = core.start(raw.method, raw.url, raw.headers, request.protocol === 'https');
      if (state === undefined) {
        next();
        return;
      }
      (request as WithState)[kState] = state;
      const res = reply.raw as TrackedResponse;
      res[kResState] = state;
      res[kResCore] = core;
      res.on('close', onResponseClose);
      if (!core.needsContext) {
        next();
        return;
      }
      if (state.requestId !== undefined) reply.header(REQUEST_ID_HEADER, state.requestId);
      if (state.traceResponse !== undefined) reply.header('traceresponse', state.traceResponse);
      core.run(state, next);
    },
  );

  fastify.addHook('onRoute', (route: RouteOptions) => {
    const template = route.url;
    const setRoute = function stitchRoute(request: FastifyRequest, _reply: FastifyReply, next: HookHandlerDoneFunction) {
      const state = (request as WithState)[kState];
      if (state !== null) state.route = template;
      next();
    };
    const existing = route.onRequest;
    route.onRequest =
      existing === undefined ? [setRoute] : Array.isArray(existing) ? [...existing, setRoute] : [existing, setRoute];
  });

  fastify.addHook(
    'onError',
    function stitchOnError(request: FastifyRequest, _reply: FastifyReply, error: Error, next: HookHandlerDoneFunction) {
      const state = (request as WithState)[kState];
      if (state !== null) state.error = error;
      next();
    },
  );

  done();
}

// What fastify-plugin does: hooks apply to the whole app, not only an encapsulated child context.
Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@stitch/instrumentation',
});

/**
 * The fastify plugin. Register it first: `await app.register(stitchFastify, { ignorePaths: ['/healthz'] })`.
 * Routes declared before it get `http.route` = the unmatched value.
 */
export const stitchFastify: FastifyPluginCallback<StitchFastifyOptions> = plugin;
