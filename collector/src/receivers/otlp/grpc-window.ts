/**
 * HTTP/2 flow-control windows for the OTLP/gRPC server. grpc-js leaves a server's receive
 * windows at HTTP/2's 64 KiB (its `grpc-node.flow_control_window` option is client-only; server
 * support is grpc-node PR #3058, open): a client may then have 64 KiB unread per connection, so a
 * batch of OTLP metrics (~100 KiB per 1000 points) waits for a WINDOW_UPDATE from an event loop
 * that is busy exporting. Written by hand until grpc-js takes the option: it reaches the
 * server's private map of HTTP/2 servers (checked; without it nothing changes) and raises each
 * new session's connection window and the per-stream initial window, as grpc-java's 1 MiB
 * default does (bench/README.md: OTLP/gRPC → remote-write ~0.5M → ~0.75M samples/s).
 */
import type http2 from 'node:http2';
import type * as grpc from '@grpc/grpc-js';

/** The connection window of a session (all its streams together). */
export const CONNECTION_WINDOW_BYTES = 4 * 1024 * 1024;
/** The initial window of each stream. */
export const STREAM_WINDOW_BYTES = 1024 * 1024;

/**
 * Raises the windows of sessions that `server` (bound) accepts from now on. Returns false when
 * grpc-js's internals are not the expected ones (then the windows stay at their defaults).
 */
export function raiseFlowControlWindows(server: grpc.Server): boolean {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map)) return false;
  for (const h2 of servers.keys() as Iterable<http2.Http2Server>) {
    if (typeof h2?.on !== 'function') return false;
    h2.on('session', (session: http2.ServerHttp2Session) => {
      session.settings({ initialWindowSize: STREAM_WINDOW_BYTES });
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
    });
  }
  return true;
}
