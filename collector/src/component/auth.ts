/**
 * Authenticator extensions, after the Collector's extensionauth.Server / extensionauth.HTTPClient.
 * A receiver or exporter names one with `auth: { authenticator: <extension id> }` and looks it up
 * through `Host.getExtension` in its `start` (see `resolveAuthenticator`).
 */
import { errors } from '../errors.js';
import type { Component, Host } from './component.js';

/** Incoming request headers or gRPC metadata, lower-case keys. */
export type IncomingHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Checks incoming requests. Receivers call `authenticate` once per request before reading the
 * body; it resolves when the caller may proceed and rejects with STITCH_ERR_UNAUTHENTICATED
 * otherwise (receivers answer 401 / UNAUTHENTICATED). It must not log per request.
 */
export interface ServerAuthenticator extends Component {
  authenticate(headers: IncomingHeaders): Promise<void>;
}

/**
 * Adds credentials to outgoing requests. Exporters call `headers()` per request (it may change
 * when a token file is re-read) and add the result to the HTTP headers or gRPC metadata.
 */
export interface ClientAuthenticator extends Component {
  headers(): Promise<Readonly<Record<string, string>>>;
}

/** True when the extension can authenticate incoming requests. */
export function isServerAuthenticator(ext: unknown): ext is ServerAuthenticator {
  return typeof (ext as ServerAuthenticator | undefined)?.authenticate === 'function';
}

/** True when the extension can add credentials to outgoing requests. */
export function isClientAuthenticator(ext: unknown): ext is ClientAuthenticator {
  return typeof (ext as ClientAuthenticator | undefined)?.headers === 'function';
}

/**
 * Looks up the authenticator `id` for component `owner` at start. Throws STITCH_ERR_EXTENSION_UNDEFINED
 * when it is not configured, STITCH_ERR_CONFIG_INVALID_VALUE when it cannot play the asked role.
 */
export function resolveAuthenticator(host: Host, id: string, owner: string, role: 'server'): ServerAuthenticator;
export function resolveAuthenticator(host: Host, id: string, owner: string, role: 'client'): ClientAuthenticator;
export function resolveAuthenticator(
  host: Host,
  id: string,
  owner: string,
  role: 'server' | 'client',
): ServerAuthenticator | ClientAuthenticator {
  const ext = host.getExtension(id);
  if (ext === undefined) throw errors.STITCH_ERR_EXTENSION_UNDEFINED([id], { path: `${owner}.auth.authenticator` });
  if (role === 'server' ? isServerAuthenticator(ext) : isClientAuthenticator(ext)) {
    return ext as ServerAuthenticator | ClientAuthenticator;
  }
  throw errors.STITCH_ERR_CONFIG_INVALID_VALUE([`extension ${JSON.stringify(id)} is not a ${role} authenticator`], {
    path: `${owner}.auth.authenticator`,
  });
}
