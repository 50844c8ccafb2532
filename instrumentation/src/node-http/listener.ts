/**
 * The node:http adapter: `http.createServer(instrumentListener(handler, options))`.
 * node:http has no router, so the route template comes from `options.route(req)` (your own
 * matcher), else every request gets the unmatched value. Works for https.createServer too.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { REQUEST_ID_HEADER } from '@stitch/correlation';
import { createHttpCore, type HttpCore, type HttpInstrumentationOptions, type RequestState } from '../http/core.js';

/** Options of the node:http wrapper. */
export interface NodeHttpOptions extends HttpInstrumentationOptions {
  /**
   * Returns the route template of a request (`/items/:id`), or undefined when it matches none.
   * Called once per request, when the response finishes. Must return templates, never raw paths.
   */
  route?: (req: IncomingMessage) => string | undefined;
}

const kState = Symbol('stitch.request');
const kCore = Symbol('stitch.core');
const kRoute = Symbol('stitch.route');

type Tracked = ServerResponse & {
  [kState]?: RequestState;
  [kCore]?: HttpCore;
  [kRoute]?: NodeHttpOptions['route'];
};

function routeOf(res: Tracked): string | undefined {
  const fn = res[kRoute];
  return fn === undefined ? undefined : fn(res.req);
}

/** The one response listener: 'close' follows the finished response, or an early disconnect. */
function onClose(this: Tracked): void {
  const state = this[kState];
  if (state === undefined || state.ended) return;
  if (this.writableEnded) this[kCore]!.end(state, routeOf(this), this.statusCode, this);
  else this[kCore]!.end(state, routeOf(this), 0, undefined, true);
}

/** Wraps a request listener; the listener runs inside the request's contexts. */
export function instrumentListener<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse>(
  listener: (req: Req, res: Res) => void,
  options: NodeHttpOptions = {},
): (req: Req, res: Res) => void {
  const core = createHttpCore(options, 'instrumentListener');
  const route = options.route;
  return function stitchListener(req: Req, res: Res): void {
    const state = core.start(req.method, req.url, req.headers, (req.socket as TLSSocket).encrypted === true);
    if (state === undefined) {
      listener(req, res);
      return;
    }
    const tracked = res as Tracked;
    tracked[kState] = state;
    tracked[kCore] = core;
    if (route !== undefined) tracked[kRoute] = route;
    if (state.requestId !== undefined) res.setHeader(REQUEST_ID_HEADER, state.requestId);
    if (state.traceResponse !== undefined) res.setHeader('traceresponse', state.traceResponse);
    res.on('close', onClose);
    core.run(state, listener, req, res);
  };
}
