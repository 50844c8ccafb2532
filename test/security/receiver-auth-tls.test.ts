/**
 * Receivers under bearer-token auth, TLS and mTLS (`client_ca_file`), with certificates made at
 * test time (test/helpers/certs.ts). A real `stitch collect` serves OTLP over HTTPS and gRPC+TLS;
 * requests without a token, with a wrong token, in plain text, from a client that does not
 * trust the server, without a client certificate or with one from an untrusted CA are refused,
 * on HTTP and gRPC, and the refusals are counted.
 */
import https from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTLP_GRPC_PATHS, rawUnaryMethod } from '../../collector/src/receivers/otlp/grpc.js';
import { freePort } from '../../collector/src/testing/index.js';
import { generateCerts, type TestCerts } from '../helpers/certs.js';
import { logsJson, post, type RunningCollector, selfMetric, startCollector, toProtobuf } from '../reliability/harness.js';

const TOKEN = 'sec-token-7f3a9c2e41d8';
const body = Buffer.from(toProtobuf('logs', logsJson([1], 'security')));

interface Answer {
  status?: number;
  error?: string;
}

/** POSTs OTLP logs over HTTPS with the given trust, client certificate and headers. */
function httpsPost(
  port: number,
  options: { ca?: Buffer; cert?: Buffer; key?: Buffer; headers?: Record<string, string> },
): Promise<Answer> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/logs',
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', ...options.headers },
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.cert ? { cert: options.cert, key: options.key } : {}),
        timeout: 5000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
      },
    );
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

/** One OTLP/gRPC logs export; resolves with the status code. */
function grpcCall(target: string, credentials: grpc.ChannelCredentials, metadata: Record<string, string> = {}): Promise<number> {
  const client = new grpc.Client(target, credentials, { 'grpc.ssl_target_name_override': 'localhost' });
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  const m = rawUnaryMethod(OTLP_GRPC_PATHS.logs);
  return new Promise<number>((resolve) =>
    client.makeUnaryRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      body,
      md,
      { deadline: Date.now() + 5000 },
      (err) => {
        client.close();
        resolve(err?.code ?? grpc.status.OK);
      },
    ),
  );
}

describe('receiver security: bearer token, TLS, mTLS', () => {
  let certs: TestCerts;
  let collector: RunningCollector;
  let ports: { tlsHttp: number; tlsGrpc: number; mtlsHttp: number; mtlsGrpc: number };

  beforeAll(async () => {
    certs = generateCerts();
    ports = { tlsHttp: await freePort(), tlsGrpc: await freePort(), mtlsHttp: await freePort(), mtlsGrpc: await freePort() };
    const tls = `{ cert_file: ${certs.serverCertFile}, key_file: ${certs.serverKeyFile} }`;
    const mtls = `{ cert_file: ${certs.serverCertFile}, key_file: ${certs.serverKeyFile}, client_ca_file: ${certs.caFile} }`;
    collector = await startCollector(
      `
extensions:
  bearertokenauth/in:
    token: \${env:OTLP_TOKEN}
receivers:
  otlp/tls:
    protocols:
      http: { endpoint: 127.0.0.1:${ports.tlsHttp}, tls: ${tls}, auth: { authenticator: bearertokenauth/in } }
      grpc: { endpoint: 127.0.0.1:${ports.tlsGrpc}, tls: ${tls}, auth: { authenticator: bearertokenauth/in } }
  otlp/mtls:
    protocols:
      http: { endpoint: 127.0.0.1:${ports.mtlsHttp}, tls: ${mtls} }
      grpc: { endpoint: 127.0.0.1:${ports.mtlsGrpc}, tls: ${mtls} }
exporters:
  debug: {}
service:
  extensions: [bearertokenauth/in]
  telemetry: { metrics: { address: "{METRICS}" } }
  pipelines:
    logs: { receivers: [otlp/tls, otlp/mtls], exporters: [debug] }
`,
      { env: { OTLP_TOKEN: TOKEN } },
    );
  });
  afterAll(async () => {
    await collector?.process.stop();
  });

  it('HTTPS + bearer token: only the right token over a verified TLS connection gets in', async () => {
    const ca = certs.pem(certs.caFile);
    const before = await selfMetric(collector.metricsUrl, 'stitch_receiver_refused_requests_total', {
      reason: 'unauthenticated',
    });
    expect(await httpsPost(ports.tlsHttp, { ca, headers: { authorization: `Bearer ${TOKEN}` } })).toEqual({ status: 200 });
    expect(await httpsPost(ports.tlsHttp, { ca })).toEqual({ status: 401 });
    expect(await httpsPost(ports.tlsHttp, { ca, headers: { authorization: `Bearer ${TOKEN}x` } })).toEqual({ status: 401 });
    expect(await httpsPost(ports.tlsHttp, { ca, headers: { authorization: TOKEN } })).toEqual({ status: 401 }); // no scheme
    expect(await httpsPost(ports.tlsHttp, { ca, headers: { authorization: `Basic ${TOKEN}` } })).toEqual({ status: 401 });
    // A client that does not trust the server's CA never sends the token.
    expect((await httpsPost(ports.tlsHttp, { headers: { authorization: `Bearer ${TOKEN}` } })).error).toMatch(
      /CERT|SELF_SIGNED|UNABLE/,
    );
    // Plain HTTP to the TLS port gets no OTLP answer.
    const plain = await post(`http://127.0.0.1:${ports.tlsHttp}/v1/logs`, body, 'application/x-protobuf', 3000);
    expect(plain.status === 0 || plain.status === 400).toBe(true);
    expect(
      (await selfMetric(collector.metricsUrl, 'stitch_receiver_refused_requests_total', { reason: 'unauthenticated' })) - before,
    ).toBe(4);
  });

  it('gRPC + TLS + bearer token: missing or wrong tokens are UNAUTHENTICATED, plaintext is refused', async () => {
    const creds = grpc.credentials.createSsl(certs.pem(certs.caFile));
    const target = `127.0.0.1:${ports.tlsGrpc}`;
    expect(await grpcCall(target, creds, { authorization: `Bearer ${TOKEN}` })).toBe(grpc.status.OK);
    expect(await grpcCall(target, creds)).toBe(grpc.status.UNAUTHENTICATED);
    expect(await grpcCall(target, creds, { authorization: `Bearer not-${TOKEN}` })).toBe(grpc.status.UNAUTHENTICATED);
    expect(await grpcCall(target, grpc.credentials.createInsecure(), { authorization: `Bearer ${TOKEN}` })).toBe(
      grpc.status.UNAVAILABLE,
    );
    // Not trusting the server: the handshake fails before any metadata is sent.
    expect(await grpcCall(target, grpc.credentials.createSsl(), { authorization: `Bearer ${TOKEN}` })).toBe(
      grpc.status.UNAVAILABLE,
    );
    expect(
      await selfMetric(collector.metricsUrl, 'stitch_receiver_refused_requests_total', {
        reason: 'unauthenticated',
        transport: 'grpc',
      }),
    ).toBe(2);
  });

  it('mTLS (client_ca_file): a client certificate from the trusted CA is required, on HTTP and gRPC', async () => {
    const ca = certs.pem(certs.caFile);
    const client = { cert: certs.pem(certs.clientCertFile), key: certs.pem(certs.clientKeyFile) };
    const rogue = { cert: certs.pem(certs.rogueCertFile), key: certs.pem(certs.rogueKeyFile) };
    expect(await httpsPost(ports.mtlsHttp, { ca, ...client })).toEqual({ status: 200 });
    expect((await httpsPost(ports.mtlsHttp, { ca })).status).toBeUndefined();
    expect((await httpsPost(ports.mtlsHttp, { ca, ...rogue })).status).toBeUndefined();

    const target = `127.0.0.1:${ports.mtlsGrpc}`;
    expect(await grpcCall(target, grpc.credentials.createSsl(ca, client.key, client.cert))).toBe(grpc.status.OK);
    expect(await grpcCall(target, grpc.credentials.createSsl(ca))).toBe(grpc.status.UNAVAILABLE);
    expect(await grpcCall(target, grpc.credentials.createSsl(ca, rogue.key, rogue.cert))).toBe(grpc.status.UNAVAILABLE);
    // The collector kept serving throughout.
    expect(await httpsPost(ports.mtlsHttp, { ca, ...client })).toEqual({ status: 200 });
    expect(collector.process.child.exitCode).toBeNull();
  });
});
