#!/usr/bin/env node
/**
 * A discarding backend for the harness, run as its own process: a remote-write endpoint
 * (POST /api/v1/write, snappy + protobuf) or a Loki push endpoint (POST /loki/api/v1/push,
 * protobuf + snappy or JSON) that counts what it received (samples or log lines) and answers
 * 204. Counting walks the protobuf without building objects, so the sink stays cheap.
 *
 *   node bench/lib/sink.mjs   (forked; reports {port} then answers {type:'count'} messages)
 */
import http from 'node:http';
import snappy from 'snappy';
import { countLokiEntries, countRemoteWriteSamples } from './wire.mjs';

let samples = 0;
let series = 0;
let lines = 0;
let requests = 0;
let bytes = 0;
let bad = 0;

function onBody(req, body) {
  requests++;
  bytes += body.length;
  const url = req.url ?? '';
  try {
    if (url.startsWith('/api/v1/write')) {
      const c = countRemoteWriteSamples(snappy.uncompressSync(body));
      samples += c.samples;
      series += c.series;
    } else if (url.startsWith('/loki/api/v1/push')) {
      if ((req.headers['content-type'] ?? '').includes('json')) {
        const doc = JSON.parse(body.toString('utf8'));
        for (const s of doc.streams ?? []) lines += s.values?.length ?? 0;
      } else lines += countLokiEntries(snappy.uncompressSync(body));
    }
  } catch {
    bad++;
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    onBody(req, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    res.writeHead(204);
    res.end();
  });
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => process.send?.({ type: 'port', port: server.address().port }));
process.on('message', (m) => {
  if (m?.type === 'count') process.send?.({ type: 'count', samples, series, lines, requests, bytes, bad });
});
process.on('disconnect', () => process.exit(0));
