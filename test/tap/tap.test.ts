/**
 * `stitch tap` against a running collector, both as a user runs them (two `stitch` processes):
 * what passes a point is printed live, filtered, limited, readable or JSON; an unknown point is
 * an error that lists the available ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../collector/src/testing/index.js';
import { runStitch, type StitchProcess, writeConfig } from '../helpers/collector-process.js';

let collector: StitchProcess;
let otlpPort: number;
let tapPort: number;

async function postLogs(service: string, records: { body: string; severity: number }[]): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${otlpPort}/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeLogs: [{ logRecords: records.map((r) => ({ body: { stringValue: r.body }, severityNumber: r.severity })) }],
        },
      ],
    }),
  });
  expect(res.status).toBe(200);
}

/** Starts `stitch tap`, waits until it is subscribed, then sends data until it exits (bounded). */
async function tap(args: string[], send: () => Promise<void>): Promise<StitchProcess> {
  const p = runStitch(['tap', '--endpoint', `127.0.0.1:${tapPort}`, ...args]);
  await p.waitFor('tapping ');
  const deadline = Date.now() + 15_000;
  let done = false;
  void p.exited.then(() => {
    done = true;
  });
  while (!done && Date.now() < deadline) {
    await send();
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(await p.stop('SIGINT')).toBe(0);
  return p;
}

beforeAll(async () => {
  otlpPort = await freePort();
  tapPort = await freePort();
  const file = writeConfig(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
processors:
  filter/drop_debug:
    logs:
      log_record:
        - severity_number < SEVERITY_NUMBER_INFO
  attributes/tag:
    actions:
      - { key: stage, value: tagged, action: upsert }
exporters:
  debug:
extensions:
  tap:
    endpoint: 127.0.0.1:${tapPort}
service:
  extensions: [tap]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      processors: [filter/drop_debug, attributes/tag]
      exporters: [debug]
`);
  collector = runStitch(['collect', '--config', file]);
  await collector.waitFor('Everything is ready');
});

afterAll(async () => {
  await collector?.stop('SIGTERM');
});

describe('stitch tap', () => {
  it('prints readable lines of what passes a processor, filtered and limited', async () => {
    const p = await tap(
      ['--pipeline', 'logs', '--after', 'filter/drop_debug', '--filter', 'service.name=checkout', '--limit', '2'],
      async () => {
        await postLogs('other', [{ body: 'not this service', severity: 9 }]);
        await postLogs('checkout', [
          { body: 'debug noise', severity: 5 },
          { body: 'order placed', severity: 9 },
          { body: 'payment taken', severity: 13 },
        ]);
      },
    );
    expect(p.stderr()).toContain('tapping logs pipeline logs after filter/drop_debug');
    const lines = p.stdout().trim().split('\n');
    // The filter dropped the debug record before this point; attributes/tag comes after it.
    expect(lines).toEqual([
      expect.stringMatching(/^\S+ logs after filter\/drop_debug checkout \| 9 "order placed"$/),
      expect.stringMatching(/^\S+ logs after filter\/drop_debug checkout \| 13 "payment taken"$/),
    ]);
  });

  it('prints JSON lines with --json, by default after the last processor', async () => {
    const p = await tap(['--pipeline', 'logs', '--json', '--limit', '1'], () =>
      postLogs('checkout', [{ body: 'shipped', severity: 9 }]),
    );
    const record = JSON.parse(p.stdout().trim());
    expect(record).toMatchObject({
      signal: 'logs',
      pipeline: 'logs',
      after: 'attributes/tag',
      name: 'shipped',
      resource: { 'service.name': 'checkout' },
      attributes: { stage: 'tagged' },
    });
  });

  it('refuses an unknown point and lists the available ones', async () => {
    const p = runStitch(['tap', '--endpoint', `127.0.0.1:${tapPort}`, '--pipeline', 'logs', '--after', 'batch']);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toContain(
      'no tap point logs after batch; available: logs receiver, logs filter/drop_debug, logs attributes/tag [STITCH_ERR_TAP_POINT]',
    );
  });

  it('says what to do when no tap endpoint is listening', async () => {
    const p = runStitch(['tap', '--endpoint', `127.0.0.1:${await freePort()}`, '--pipeline', 'logs']);
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(/cannot reach the tap endpoint .* `tap` extension in service.extensions/);
  });
});
