/**
 * The express adapter: `app.use(stitchExpress(options))` as the first middleware.
 *
 * The route template is `req.baseUrl + req.route.path` as they were when express's router picked
 * the route: an accessor on the request instance (shared getter/setter functions, no library code
 * touched) notes `baseUrl` when the router assigns `req.route`, because by the time the response
 * finishes an error passing back through a nested router has already restored `baseUrl`. A router
 * mounted at a parameterised path (`app.use('/users/:id', router)`) has the matched path in
 * `baseUrl`, not the template; mount routers at static paths or pass `routeOf`. The response
 * listeners are shared too (they read the response from `this`).
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
const kRoute = Symbol('stitch.route');
const kRouteBase = Symbol('stitch.routeBase');
const kCore = Symbol('stitch.core');
const kRouteOf = Symbol('stitch.routeOf');

type Tracked = ServerResponse & {
  [kState]?: RequestState;
  [kCore]?: HttpCore;
  [kRouteOf]?: StitchExpressOptions['routeOf'];
};

type RouteTracked = ExpressLikeRequest & { [kRoute]?: { path?: unknown }; [kRouteBase]?: string };

function getRoute(this: RouteTracked) {
  return this[kRoute];
}

function setRoute(this: RouteTracked, route: { path?: unknown }) {
  this[kRoute] = route;
  this[kRouteBase] = this.baseUrl;
}

const ROUTE_ACCESSOR: PropertyDescriptor = { get: getRoute, set: setRoute, configurable: true, enumerable: true };

function expressRoute(req: RouteTracked): string | undefined {
  const path = req[kRoute]?.path ?? req.route?.path;
  if (path === undefined) return undefined;
  return (req[kRouteBase] ?? req.baseUrl ?? '') + (typeof path === 'string' ? path : String(path));
}

/** The one response listener: 'close' follows the finished response, or an early disconnect. */
function onClose(this: Tracked): void {
  const state = this[kState];
  if (state === undefined || state.ended) return;
  const req = this.req as ExpressLikeRequest;
  if (!this.writableEnded) {
    this[kCore]!.end(state, expressRoute(req), 0, undefined, true);
    return;
  }
  const routeOf = this[kRouteOf];
  const route = (routeOf !== undefined ? routeOf(req) : undefined) ?? expressRoute(req);
  this[kCore]!.end(state, route, this.statusCode, this);
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
    Object.defineProperty(req, 'route', ROUTE_ACCESSOR);
    const tracked = res as Tracked;
    tracked[kState] = state;
    tracked[kCore] = core;
    if (routeOf !== undefined) tracked[kRouteOf] = routeOf;
    if (state.requestId !== undefined) res.setHeader(REQUEST_ID_HEADER, state.requestId);
    if (state.traceResponse !== undefined) res.setHeader('traceresponse', state.traceResponse);
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
