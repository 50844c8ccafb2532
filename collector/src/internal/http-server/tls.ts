/**
 * Reads the Collector's TLS blocks (configtls) into Node TLS options, for HTTP and gRPC servers
 * and clients alike. Files are read once, when the component starts.
 */
import { readFile } from 'node:fs/promises';
import type { SecureContextOptions } from 'node:tls';
import { errors } from '../../errors.js';
import type { TlsServerConfig } from './config.js';

/** PEM material for a server. `requestCert` is set when `client_ca_file` asks for mTLS. */
export interface ServerTlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  requestCert: boolean;
  minVersion: SecureContextOptions['minVersion'];
}

/** A client TLS block, as exporters parse it (configtls.ClientConfig). */
export interface TlsClientConfig {
  insecure: boolean;
  insecure_skip_verify: boolean;
  ca_file?: string | undefined;
  cert_file?: string | undefined;
  key_file?: string | undefined;
  server_name_override?: string | undefined;
  min_version: '1.2' | '1.3';
}

/** PEM material for a client; `ca` undefined means the system roots. */
export interface ClientTlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
  minVersion: SecureContextOptions['minVersion'];
}

async function read(owner: string, option: string, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw errors.STITCH_ERR_COMPONENT_START([owner, `cannot read ${option} ${file}: ${(err as Error).message}`]);
  }
}

/**
 * Loads a server TLS block; undefined when TLS is off (no block). Throws STITCH_ERR_COMPONENT_START
 * when a file is missing or cert_file/key_file is not set.
 */
export async function loadServerTls(owner: string, tls: TlsServerConfig | undefined): Promise<ServerTlsMaterial | undefined> {
  if (tls === undefined) return undefined;
  if (tls.cert_file === undefined || tls.key_file === undefined) {
    throw errors.STITCH_ERR_COMPONENT_START([owner, 'tls needs both cert_file and key_file']);
  }
  const material: ServerTlsMaterial = {
    cert: await read(owner, 'tls.cert_file', tls.cert_file),
    key: await read(owner, 'tls.key_file', tls.key_file),
    requestCert: tls.client_ca_file !== undefined,
    minVersion: `TLSv${tls.min_version}` as SecureContextOptions['minVersion'],
  };
  if (tls.client_ca_file !== undefined) material.ca = await read(owner, 'tls.client_ca_file', tls.client_ca_file);
  return material;
}

/** Loads a client TLS block; undefined when `insecure` turns TLS off. */
export async function loadClientTls(owner: string, tls: TlsClientConfig): Promise<ClientTlsMaterial | undefined> {
  if (tls.insecure) return undefined;
  const material: ClientTlsMaterial = {
    rejectUnauthorized: !tls.insecure_skip_verify,
    minVersion: `TLSv${tls.min_version}` as SecureContextOptions['minVersion'],
  };
  if (tls.ca_file !== undefined) material.ca = await read(owner, 'tls.ca_file', tls.ca_file);
  if (tls.cert_file !== undefined) material.cert = await read(owner, 'tls.cert_file', tls.cert_file);
  if (tls.key_file !== undefined) material.key = await read(owner, 'tls.key_file', tls.key_file);
  if (tls.server_name_override !== undefined) material.servername = tls.server_name_override;
  return material;
}
