/**
 * The fastify adapter: `app.register(stitchFastify, options)` before declaring routes.
 *
 * Uses fastify's own hooks, no monkey-patching: a root `onRequest` hook starts the request and
 * runs the rest of the lifecycle inside the request's AsyncLocalStorage contexts; an `onRoute`
 * hook gives every route one extra route-level `onRequest` hook that stores its template on the
 * request state (fastify merges route-level and root hooks into one array, so this costs one
 * function call, where `request.routeOptions` would allocate an object per request); `onError`
 * keeps the error for `error.type`; `onResponse` / `onRequestAbort` end it. State lives in a
 * request decoration.
 */
import { REQUEST_ID_HEADER } from '@stitch/correlation';
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify';
import { createHttpCore, type HttpInstrumentationOptions, type RequestState } from '../http/core.js';

/** Options of the fastify plugin: those of every HTTP adapter. */
export type StitchFastifyOptions = HttpInstrumentationOptions;

const kState = Symbol('stitch.request');

type WithState = FastifyRequest & { [kState]: RequestState | null };

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

  fastify.addHook(
    'onResponse',
    function stitchOnResponse(request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction) {
      const state = (request as WithState)[kState];
      if (state !== null) core.end(state, state.route, reply.statusCode, reply);
      next();
    },
  );

  fastify.addHook('onRequestAbort', function stitchOnAbort(request: FastifyRequest, next: HookHandlerDoneFunction) {
    const state = (request as WithState)[kState];
    if (state !== null) core.end(state, state.route, 0, undefined, true);
    next();
  });

  done();
}

// What fastify-plugin does: hooks apply to the whole app, not only an encapsulated child context.
Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@stitch/instrumentation',
});

/**
 * The fastify plugin. Register it first: `app.register(stitchFastify, { ignorePaths: ['/healthz'] })`.
 * Routes declared before it get `http.route` = the unmatched value.
 */
export const stitchFastify: FastifyPluginCallback<StitchFastifyOptions> = plugin;
