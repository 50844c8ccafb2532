/**
 * The smallest OTLP/HTTP endpoint: keeps every decoded metrics request (the collector's codec,
 * as the real receiver decodes them) and answers 200 to traces and logs.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeRequest, encodeResponse, type OtlpEncoding } from '../../../collector/src/model/otlp-codec.js';
import type { MetricsData, Signal } from '../../../collector/src/model/types.js';

/** A running capture endpoint. */
export interface OtlpCapture {
  /** Base URL (`http://127.0.0.1:port`). */
  readonly url: string;
  readonly metrics: MetricsData[];
  close(): Promise<void>;
}

const SIGNALS: Record<string, Signal> = { '/v1/metrics': 'metrics', '/v1/traces': 'traces', '/v1/logs': 'logs' };

/** Starts the endpoint on a free loopback port. */
export async function startOtlpCapture(): Promise<OtlpCapture> {
  const metrics: MetricsData[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const signal = SIGNALS[req.url ?? ''];
      const encoding: OtlpEncoding = String(req.headers['content-type']).includes('json') ? 'json' : 'protobuf';
      if (signal === undefined) {
        res.writeHead(404).end();
        return;
      }
      if (signal === 'metrics') metrics.push(decodeRequest('metrics', Buffer.concat(chunks), encoding));
      res.writeHead(200, { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' });
      res.end(encodeResponse(signal, encoding));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    metrics,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
