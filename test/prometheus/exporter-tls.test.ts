/**
 * The prometheusremotewrite exporter over HTTPS with a private CA (`tls.ca_file`), with its
 * sender on the event loop and on its own thread (the certificate material crosses to it).
 */

import { rmSync } from 'node:fs';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusRemoteWriteConfigSchema } from '../../collector/src/exporters/prometheus-remote-write/config.js';
import { createPrometheusRemoteWriteExporter } from '../../collector/src/exporters/prometheus-remote-write/exporter.js';
import { decodeWriteRequest } from '../../collector/src/model/remote-write/decode.js';
import { decompressBody } from '../../collector/src/model/remote-write/snappy.js';
import { gaugeBatch, testHost, testSettings } from '../../collector/src/testing/index.js';
import { SENDER_HOMES, senderHome } from '../../collector/src/testing/sender-threads.js';
import { generateCerts, type TestCerts } from '../helpers/certs.js';

let certs: TestCerts;
let server: https.Server;
let url: string;
const names: string[] = [];

beforeAll(async () => {
  certs = generateCerts();
  server = https.createServer({ cert: certs.pem(certs.serverCertFile), key: certs.pem(certs.serverKeyFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void decompressBody(Buffer.concat(chunks), 1 << 20).then((raw) => {
        for (const ts of decodeWriteRequest(raw).timeseries)
          names.push(ts.labels.find((l) => l.name === '__name__')?.value ?? '');
        res.writeHead(204).end();
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/write`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(certs.dir, { recursive: true, force: true });
});

describe.each(SENDER_HOMES)('prometheusremotewrite over HTTPS, %s', (_home, value) => {
  const home = senderHome(value);
  beforeAll(home.set);
  afterAll(home.restore);

  it('trusts the configured CA and delivers; a server it cannot verify is a retryable failure', async () => {
    const start = async (tls: Record<string, unknown>) => {
      const config = prometheusRemoteWriteConfigSchema.parse({
        endpoint: url,
        tls,
        remote_write_queue: { enabled: false },
        retry_on_failure: { enabled: false },
      });
      const exporter = createPrometheusRemoteWriteExporter(testSettings('prometheusremotewrite', 'exporter'), config, [
        'metrics',
      ]);
      await exporter.start(testHost());
      return exporter;
    };
    const trusting = await start({ ca_file: certs.caFile });
    const before = names.length;
    await trusting.consumers.metrics?.consume(gaugeBatch(Date.now()));
    expect(names.slice(before)).toEqual(['queue_depth']);
    await trusting.shutdown();

    const untrusting = await start({});
    await expect(untrusting.consumers.metrics?.consume(gaugeBatch(Date.now()))).rejects.toMatchObject({
      code: 'STITCH_ERR_EXPORT_RETRYABLE',
    });
    await untrusting.shutdown();
  });
});
