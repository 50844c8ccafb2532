/**
 * The express adapter: `app.use(stitchExpress(options))` as the first middleware.
 *
 * The route template is read when the response finishes, from what express's router left on the
 * request: `req.baseUrl + req.route.path`. A router mounted at a parameterised path
 * (`app.use('/users/:id', router)`) leaves the matched path in `req.baseUrl`, not the template;
 * mount routers at static paths or pass `routeOf`. The listener functions are shared (they read
 * the response from `this`), so nothing is allocated per request besides the state.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REQUEST_ID_HEADER } from '@stitch/correlation';
import { createHttpCore, type HttpCore, type HttpInstrumentationOptions, type RequestState } from '../http/core.js';

/** The subset of express's request this adapter reads. */
export interface ExpressLikeRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
  protocol?: string;
  originalUrl?: string;
}

/** Options of the express middleware. */
export interface StitchExpressOptions extends HttpInstrumentationOptions {
  /** Overrides the route template (undefined = use express's). Called once per request at the end. */
  routeOf?: (req: ExpressLikeRequest) => string | undefined;
}

const kState = Symbol('stitch.request');
const kCore = Symbol('stitch.core');
const kRouteOf = Symbol('stitch.routeOf');

type Tracked = ServerResponse & {
  [kState]?: RequestState;
  [kCore]?: HttpCore;
  [kRouteOf]?: StitchExpressOptions['routeOf'];
};

function expressRoute(req: ExpressLikeRequest): string | undefined {
  const path = req.route?.path;
  if (path === undefined) return undefined;
  return (req.baseUrl ?? '') + (typeof path === 'string' ? path : String(path));
}

function onFinish(this: Tracked): void {
  const state = this[kState];
  if (state === undefined || state.ended) return;
  const req = this.req as ExpressLikeRequest;
  const routeOf = this[kRouteOf];
  const route = (routeOf !== undefined ? routeOf(req) : undefined) ?? expressRoute(req);
  this[kCore]!.end(state, route, this.statusCode, this);
}

function onClose(this: Tracked): void {
  const state = this[kState];
  if (state === undefined || state.ended) return;
  // 'close' before 'finish': the client went away before the response was complete.
  if (!this.writableFinished) this[kCore]!.end(state, expressRoute(this.req as ExpressLikeRequest), 0, undefined, true);
}

/** Creates the express middleware; use it before any route. */
export function stitchExpress(options: StitchExpressOptions = {}) {
  const core = createHttpCore(options, 'stitchExpress');
  const routeOf = options.routeOf;
  return function stitchMiddleware(req: ExpressLikeRequest, res: ServerResponse, next: (err?: unknown) => void): void {
    const state = core.start(req.method, req.originalUrl ?? req.url, req.headers, req.protocol === 'https');
    if (state === undefined) {
      next();
      return;
    }
    const tracked = res as Tracked;
    tracked[kState] = state;
    tracked[kCore] = core;
    if (routeOf !== undefined) tracked[kRouteOf] = routeOf;
    if (state.requestId !== undefined) res.setHeader(REQUEST_ID_HEADER, state.requestId);
    if (state.traceResponse !== undefined) res.setHeader('traceresponse', state.traceResponse);
    res.on('finish', onFinish);
    res.on('close', onClose);
    core.run(state, next);
  };
}

/**
 * Optional error middleware: `app.use(stitchExpressErrors())` after the routes, so a thrown
 * error's class name becomes `error.type` (otherwise a 5xx records its status code). Passes the
 * error on unchanged.
 */
export function stitchExpressErrors() {
  return function stitchErrorMiddleware(
    err: unknown,
    _req: IncomingMessage,
    res: ServerResponse,
    next: (err?: unknown) => void,
  ): void {
    const state = (res as Tracked)[kState];
    if (state !== undefined) state.error = err;
    next(err);
  };
}
