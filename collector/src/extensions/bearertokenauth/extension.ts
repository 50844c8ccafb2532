/**
 * The `bearertokenauth` extension: a server authenticator that checks `<header>: <scheme> <token>`
 * on incoming requests, and a client authenticator that adds it to outgoing ones.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { ClientAuthenticator, IncomingHeaders, ServerAuthenticator } from '../../component/auth.js';
import type { CreateSettings, Host } from '../../component/component.js';
import { errors } from '../../errors.js';
import type { BearerTokenAuthConfig } from './config.js';

/** The extension instance: both a server and a client authenticator. */
export type BearerTokenAuth = ServerAuthenticator & ClientAuthenticator;

/** SHA-256 of the credentials, so comparisons are constant-time whatever the lengths. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Tokens from a file: one per non-empty line, surrounding whitespace removed. */
function parseTokens(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** Creates the extension. Tokens from `filename` are read in `start` and re-read on change. */
export function createBearerTokenAuth(settings: CreateSettings, config: BearerTokenAuthConfig): BearerTokenAuth {
  const headerName = config.header.toLowerCase();
  const prefix = config.scheme === '' ? '' : `${config.scheme} `;
  let tokens: string[] = config.token !== undefined ? [config.token] : (config.tokens ?? []);
  let expected: Buffer[] = tokens.map((t) => digest(prefix + t));
  let watcher: FSWatcher | undefined;
  let reloadTimer: NodeJS.Timeout | undefined;

  const setTokens = (next: string[]) => {
    tokens = next;
    expected = next.map((t) => digest(prefix + t));
  };

  const load = async (file: string) => {
    setTokens(parseTokens(await readFile(file, 'utf8')));
  };

  return {
    async start(_host: Host) {
      const file = config.filename;
      if (file === undefined || watcher) return;
      try {
        await load(file);
      } catch (err) {
        throw errors.STITCH_ERR_COMPONENT_START([settings.id, `cannot read token file ${file}: ${(err as Error).message}`]);
      }
      // Watch the directory, not the file: Kubernetes updates mounted secrets by swapping a
      // symlink, which a watch on the old file never reports.
      const name = basename(file);
      watcher = watch(dirname(file), (_event, changed) => {
        if (changed !== null && changed !== name && !String(changed).startsWith('..')) return;
        clearTimeout(reloadTimer);
        reloadTimer = setTimeout(() => {
          load(file).then(
            () => settings.logger.info({ file }, 'bearer token file reloaded'),
            (err: Error) =>
              settings.logger.warn({ file, err: err.message }, 'cannot re-read bearer token file; keeping the old token'),
          );
        }, 50);
        reloadTimer.unref();
      });
      watcher.unref();
    },

    async shutdown() {
      clearTimeout(reloadTimer);
      watcher?.close();
      watcher = undefined;
    },

    async authenticate(headers: IncomingHeaders) {
      const raw = headers[headerName];
      const value = Array.isArray(raw) ? raw[0] : raw;
      if (value === undefined || value === '') {
        throw errors.STITCH_ERR_UNAUTHENTICATED([`missing ${config.header} header`]);
      }
      const got = digest(value);
      let ok = false;
      // Compare against every token without stopping early, so timing says nothing about which matched.
      for (const want of expected) ok = timingSafeEqual(got, want) || ok;
      if (!ok) throw errors.STITCH_ERR_UNAUTHENTICATED([`invalid ${config.header} header`]);
    },

    async headers() {
      const token = tokens[0];
      return token === undefined ? {} : { [headerName]: prefix + token };
    },
  };
}
