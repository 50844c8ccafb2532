/**
 * Certificates generated at test time with the `openssl` CLI (Debian's openssl package; CI
 * installs it with the base system): a CA, a server certificate for 127.0.0.1 / localhost, a
 * client certificate signed by the same CA (mTLS), and a client certificate from a second,
 * untrusted CA. EC P-256 keys, so generation takes milliseconds. Nothing is committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Paths of the generated files, and their PEM contents for clients. */
export interface TestCerts {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** A client certificate signed by a CA the server does not trust. */
  rogueCertFile: string;
  rogueKeyFile: string;
  pem(file: string): Buffer;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args[0]} failed (the security tests need the openssl CLI): ${e.stderr?.toString() ?? e.message}`);
  }
}

function keyPair(dir: string, name: string): string {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  return join(dir, `${name}.key`);
}

function selfSignedCa(dir: string, name: string): void {
  keyPair(dir, name);
  openssl(
    ['req', '-x509', '-new', '-key', `${name}.key`, '-sha256', '-days', '2', '-subj', `/CN=${name}`, '-out', `${name}.crt`],
    dir,
  );
}

function leaf(dir: string, name: string, ca: string, ext: string): void {
  keyPair(dir, name);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
}

/** Generates a fresh CA, server, client and rogue client certificate in a temporary directory. */
export function generateCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-certs-'));
  selfSignedCa(dir, 'ca');
  selfSignedCa(dir, 'rogue-ca');
  leaf(
    dir,
    'server',
    'ca',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  const clientExt = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n';
  leaf(dir, 'client', 'ca', clientExt);
  leaf(dir, 'rogue', 'rogue-ca', clientExt);
  const f = (n: string) => join(dir, n);
  return {
    dir,
    caFile: f('ca.crt'),
    serverCertFile: f('server.crt'),
    serverKeyFile: f('server.key'),
    clientCertFile: f('client.crt'),
    clientKeyFile: f('client.key'),
    rogueCertFile: f('rogue.crt'),
    rogueKeyFile: f('rogue.key'),
    pem: (file) => readFileSync(file),
  };
}
