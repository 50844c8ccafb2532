/**
 * No secret in the collector's logs or self-telemetry. A collector at `logs.level: debug` holds
 * tokens in its config (receiver bearertokenauth, client bearertokenauth for otlphttp, static
 * Authorization / API-key headers for loki and prometheusremotewrite), receives requests with
 * the right token, wrong tokens and cookies (HTTP with include_metadata, and gRPC), and its
 * backends refuse with 401/403/500 so every error path logs. Afterwards none of the secrets may
 * appear in stdout, stderr or /metrics. `stitch validate` on broken configs that hold secrets
 * must not print them either.
 */
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTLP_GRPC_PATHS, rawUnaryMethod } from '../../collector/src/receivers/otlp/grpc.js';
import { runStitch, writeConfig } from '../helpers/collector-process.js';
import { logsJson, metricsJson, type RunningCollector, startCollector, toProtobuf, until } from '../reliability/harness.js';

const SECRETS = {
  receiverToken: 'rcv-9d1f0c7be23a',
  clientToken: 'out-4c8e11aa9f07',
  apiKeyHeader: 'key-77b2e0d96c15',
  lokiAuth: 'loki-5a3f9e2c8b41',
  prwAuth: 'prw-e6d48a1f0b93',
  wrongToken: 'wrong-0f9b3c6d2e7a',
  cookie: 'cookie-2b7e91c04fd5',
  grpcWrong: 'grpcwrong-8e5a1d3c7b20',
};

describe('no secrets in logs or self-telemetry', () => {
  let backend: http.Server;
  let seenByBackend: string[];
  let collector: RunningCollector;

  beforeAll(async () => {
    seenByBackend = [];
    // Every backend refuses: 401, 403 or 500 in turn, so the exporters' error paths run and log.
    let n = 0;
    backend = http.createServer((req, res) => {
      seenByBackend.push(JSON.stringify(req.headers));
      req.resume();
      const status = [401, 403, 500][n++ % 3] as number;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`refused (${status})`);
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(backend.address() as { port: number }).port}`;
    const retry = 'retry_on_failure: { initial_interval: 50ms, max_interval: 100ms, max_elapsed_time: 1s }';
    collector = await startCollector(`
extensions:
  bearertokenauth/in:
    token: ${SECRETS.receiverToken}
  bearertokenauth/out:
    token: ${SECRETS.clientToken}
receivers:
  otlp:
    protocols:
      http: { endpoint: "{OTLP_HTTP}", include_metadata: true, auth: { authenticator: bearertokenauth/in } }
      grpc: { endpoint: "{OTLP_GRPC}", include_metadata: true, auth: { authenticator: bearertokenauth/in } }
exporters:
  otlphttp:
    endpoint: ${url}
    headers: { X-Api-Key: ${SECRETS.apiKeyHeader} }
    auth: { authenticator: bearertokenauth/out }
    ${retry}
  loki:
    endpoint: ${url}/loki/api/v1/push
    headers: { Authorization: "Bearer ${SECRETS.lokiAuth}" }
    ${retry}
  prometheusremotewrite:
    endpoint: ${url}/api/v1/write
    headers: { Authorization: "Bearer ${SECRETS.prwAuth}" }
    ${retry}
  debug: { verbosity: detailed }
service:
  extensions: [bearertokenauth/in, bearertokenauth/out]
  telemetry:
    logs: { level: debug }
    metrics: { address: "{METRICS}" }
  pipelines:
    logs: { receivers: [otlp], exporters: [otlphttp, loki, debug] }
    metrics: { receivers: [otlp], exporters: [prometheusremotewrite, debug] }
`);
  });
  afterAll(async () => {
    await collector?.process.stop();
    await new Promise<void>((r) => backend.close(() => r()));
  });

  it('never prints or exports a token, an Authorization header or a cookie', async () => {
    const logs = Buffer.from(toProtobuf('logs', logsJson([1, 2], 'secrets')));
    const metrics = Buffer.from(toProtobuf('metrics', metricsJson([1, 2], 'secrets')));
    const send = (path: string, b: Buffer, headers: Record<string, string>) =>
      fetch(`${collector.otlpHttp}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', ...headers },
        body: b,
      }).then((r) => r.status);
    const good = { authorization: `Bearer ${SECRETS.receiverToken}`, cookie: `session=${SECRETS.cookie}` };
    expect(await send('/v1/logs', logs, good)).toBe(200);
    expect(await send('/v1/metrics', metrics, good)).toBe(200);
    expect(await send('/v1/logs', logs, { authorization: `Bearer ${SECRETS.wrongToken}`, cookie: `s=${SECRETS.cookie}` })).toBe(
      401,
    );
    expect(await send('/v1/logs', logs, { authorization: SECRETS.wrongToken })).toBe(401);
    expect(await send('/v1/logs', logs, { 'proxy-authorization': `Basic ${SECRETS.wrongToken}` })).toBe(401);

    const client = new grpc.Client(collector.otlpGrpc, grpc.credentials.createInsecure());
    const m = rawUnaryMethod(OTLP_GRPC_PATHS.logs);
    const call = (token: string) =>
      new Promise<number>((resolve) => {
        const md = new grpc.Metadata();
        md.set('authorization', `Bearer ${token}`);
        md.set('cookie', `session=${SECRETS.cookie}`);
        client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, logs, md, (err) => resolve(err?.code ?? 0));
      });
    expect(await call(SECRETS.receiverToken)).toBe(grpc.status.OK);
    expect(await call(SECRETS.grpcWrong)).toBe(grpc.status.UNAUTHENTICATED);
    client.close();

    // Let every exporter fail and give up (max_elapsed_time 1s): their error logs are written.
    await until('all three exporters tried', () => seenByBackend.length >= 6, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    const metricsText = await (await fetch(collector.metricsUrl)).text();
    await collector.process.stop();
    const everything = `${collector.process.stdout()}\n${collector.process.stderr()}\n${metricsText}`;

    // The secrets did their job: the backend saw the configured credentials…
    const sent = seenByBackend.join('\n');
    for (const s of [SECRETS.clientToken, SECRETS.apiKeyHeader, SECRETS.lokiAuth, SECRETS.prwAuth]) expect(sent).toContain(s);
    // …and the logs are substantial, with every exporter's refusal in them (so "absent" means something).
    for (const id of ['"component_id":"loki"', '"component_id":"otlphttp"', '"component_id":"prometheusremotewrite"']) {
      expect(everything).toContain(id);
    }
    expect(everything).toContain('unauthenticated');
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(everything.includes(secret), `${name} leaked:\n${everything.split('\n').find((l) => l.includes(secret))}`).toBe(
        false,
      );
    }
  });

  it('stitch validate does not echo secrets from a broken config', async () => {
    const secret = 'cfg-3e9a7d1c5b82';
    const cases = [
      // both token and filename set
      `extensions:\n  bearertokenauth:\n    token: ${secret}\n    filename: /nonexistent\n`,
      // a header value of the wrong type
      `exporters:\n  loki:\n    endpoint: http://127.0.0.1:1/loki/api/v1/push\n    headers: { Authorization: [Bearer, ${secret}] }\n`,
      // a token that is a number-like string in a list where a string is expected
      `extensions:\n  bearertokenauth:\n    tokens: ${secret}\n`,
      // an unknown key next to a token
      `extensions:\n  bearertokenauth:\n    token: ${secret}\n    scheme_typo: Bearer\n`,
    ];
    for (const yaml of cases) {
      const p = runStitch(['validate', '--config', writeConfig(yaml)]);
      expect(await p.exited).toBe(1);
      const out = p.stdout() + p.stderr();
      expect(out.length).toBeGreaterThan(0);
      expect(out.includes(secret), `secret printed:\n${out}`).toBe(false);
    }
  });
});
