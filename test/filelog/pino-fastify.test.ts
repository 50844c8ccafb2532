/**
 * End to end: a fastify app logs with real pino into a kubelet-shaped container log file
 * (`/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log`, containerd CRI lines); a `stitch collect`
 * process tails it with `filelog` (container + pino_parser) and forwards over OTLP/HTTP into an
 * OTLP receiver in this test. The records must carry severity, timestamp, trace context,
 * `request_id` and the pod's k8s resource attributes.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Fastify, { LogController } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatten } from '../../collector/src/receivers/filelog/testing.js';
import { otlpReceiverConfigSchema } from '../../collector/src/receivers/otlp/config.js';
import { createOtlpReceiver, type OtlpReceiver } from '../../collector/src/receivers/otlp/receiver.js';
import { CollectingConsumer, freePort, testHost, testSettings } from '../../collector/src/testing/index.js';
import { runStitch, type StitchProcess, writeConfig } from '../helpers/collector-process.js';

const UID = '5b0c7a2e-4c4f-4d6b-9a51-7d3e2f1c0b9a';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

let root: string;
let logFile: string;
let file: WriteStream;
let gateway: OtlpReceiver;
let stitch: StitchProcess;
const sink = { logs: new CollectingConsumer('logs') };

/**
 * What a container runtime does with stdout: each line becomes `<RFC3339Nano> stdout F <line>`.
 * Lines longer than 40 bytes are split into P/F parts here, as containerd splits long lines.
 */
function containerRuntime(out: WriteStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      let text = '';
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        const ts = new Date().toISOString().replace('Z', '123456Z');
        const parts = line.match(/.{1,40}/g) ?? [''];
        parts.forEach((p, i) => {
          text += `${ts} stdout ${i === parts.length - 1 ? 'F' : 'P'} ${p}\n`;
        });
      }
      out.write(text, cb);
    },
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'stitch-pino-'));
  const dir = join(root, 'var', 'log', 'pods', `shop_checkout-7d9f_${UID}`, 'checkout');
  await mkdir(dir, { recursive: true });
  logFile = join(dir, '0.log');
  file = createWriteStream(logFile, { flags: 'a' });

  const [httpPort, metricsPort] = [await freePort(), await freePort()];
  gateway = createOtlpReceiver(
    testSettings('otlp/gateway', 'receiver'),
    otlpReceiverConfigSchema.parse({ protocols: { http: { endpoint: `127.0.0.1:${httpPort}` } } }),
    sink,
  );
  await gateway.start(testHost());
  const config = writeConfig(`
receivers:
  filelog:
    include: [${join(root, 'var', 'log', 'pods', '*', '*', '*.log')}]
    start_at: beginning
    poll_interval: 50ms
    include_file_path: true
    include_file_name: false
    retry_on_failure:
      enabled: true
    operators:
      - type: container
        id: container-parser
      - type: pino_parser
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:${httpPort}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
  pipelines:
    logs: { receivers: [filelog], exporters: [otlphttp] }
`);
  stitch = runStitch(['collect', '--config', config]);
  await stitch.waitFor('Everything is ready', 20_000);
});

afterAll(async () => {
  await stitch?.stop();
  await gateway?.shutdown();
  file?.end();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('pino output of a fastify app through filelog', () => {
  it('arrives with severity, timestamp, trace context, request_id and k8s resource attributes', async () => {
    const logger = pino({ level: 'info' }, containerRuntime(file));
    const app = Fastify({
      loggerInstance: logger,
      requestIdHeader: 'x-request-id',
      // The wire key of DESIGN.md on every request log line; no per-request access lines.
      logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    });
    app.get('/checkout/:id', async (req, reply) => {
      req.log.info({ trace_id: TRACE_ID, span_id: SPAN_ID, trace_flags: '01', cart: req.params }, 'checkout started');
      if ((req.params as { id: string }).id === 'bad') {
        req.log.error({ trace_id: TRACE_ID, span_id: SPAN_ID, err: new Error('card declined') }, 'payment failed');
        return reply.code(402).send({ ok: false });
      }
      return { ok: true };
    });
    const before = Date.now();
    expect((await app.inject({ url: '/checkout/1', headers: { 'x-request-id': 'req-0001' } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/checkout/bad', headers: { 'x-request-id': 'req-0002' } })).statusCode).toBe(402);
    logger.warn({ reconcileID: '3f1c6c9e-0b7a-4a7e-9d5c-2f7f3b2b8a11' }, 'reconcile slow');
    await app.close();

    await sink.logs.waitForItems(4, 15_000);
    const recs = flatten(sink.logs.batches);
    expect(recs.map((r) => r.body)).toEqual(['checkout started', 'checkout started', 'payment failed', 'reconcile slow']);

    const [first, , failed, reconcile] = recs;
    expect(first).toMatchObject({ severityNumber: 9, severityText: 'info', traceId: TRACE_ID, spanId: SPAN_ID, flags: 1 });
    expect(first.attributes).toMatchObject({ request_id: 'req-0001', cart: { id: '1' }, 'log.iostream': 'stdout' });
    expect(first.attributes).not.toHaveProperty('trace_id');
    expect(first.attributes).not.toHaveProperty('msg');
    const ms = Number(BigInt(first.time) / 1_000_000n);
    expect(ms).toBeGreaterThanOrEqual(before - 5);
    expect(ms).toBeLessThanOrEqual(Date.now());

    expect(failed).toMatchObject({ severityNumber: 17, severityText: 'error', traceId: TRACE_ID });
    expect(failed.attributes.request_id).toBe('req-0002');
    expect(failed.attributes.err).toMatchObject({ type: 'Error', message: 'card declined' });

    expect(reconcile).toMatchObject({ severityNumber: 13, severityText: 'warn', traceId: '' });
    expect(reconcile.attributes.rid).toBe('3f1c6c9e-0b7a-4a7e-9d5c-2f7f3b2b8a11');
    expect(reconcile.attributes).not.toHaveProperty('reconcileID');

    for (const r of recs) {
      expect(r.resource).toMatchObject({
        'k8s.namespace.name': 'shop',
        'k8s.pod.name': 'checkout-7d9f',
        'k8s.pod.uid': UID,
        'k8s.container.name': 'checkout',
        'k8s.container.restart_count': '0',
      });
      expect(r.attributes['log.file.path']).toBe(logFile);
    }
  });
});
