import { seriesRef } from '@stitch/correlation';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, testHost, testSettings } from '../../testing/index.js';
import { correlationExtensionConfigSchema } from './config.js';
import { type CorrelationExtension, createCorrelationExtension, parseSince } from './extension.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const REQ = '0f8fad5b-d9cb-469f-a165-70867728950e';
const RID = '8e3a2b1c-0000-4000-8000-000000000001';

const running: CorrelationExtension[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.shutdown()));
});

async function start(raw: Record<string, unknown> = {}) {
  const port = await freePort();
  const ext = createCorrelationExtension(
    testSettings('correlation', 'extension'),
    correlationExtensionConfigSchema.parse({ endpoint: `127.0.0.1:${port}`, ...raw }),
  );
  running.push(ext);
  await ext.start(testHost());
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  return { ext, get };
}

describe('correlation extension', () => {
  it('defaults to loopback port 13180, 20000 entries, 1h TTL', () => {
    const c = correlationExtensionConfigSchema.parse({});
    expect([c.endpoint, c.max_entries, c.ttl]).toEqual(['127.0.0.1:13180', 20_000, 3_600_000]);
  });

  it('answers GET /api/v1/correlations/{id} with linked entities and ready-made queries', async () => {
    const { ext, get } = await start();
    const series = seriesRef('http_server_request_duration_seconds', { job: 'shop/checkout', http_route: '/cart' }, '_bucket');
    ext.index.record({
      requestId: REQ,
      traceId: TRACE,
      service: 'checkout',
      namespace: 'shop',
      pod: 'checkout-1',
      logs: 3,
      errorLogs: 1,
    });
    ext.index.record({ requestId: REQ, traceId: TRACE, spans: 1, series: [series] });

    const { status, body } = await get(`/api/v1/correlations/${REQ}`);
    expect(status).toBe(200);
    expect(body.data).toMatchObject({
      id: REQ,
      key: 'request_id',
      kind: 'request',
      service: 'checkout',
      namespace: 'shop',
      pod: 'checkout-1',
      logs: { count: 3, errors: 1 },
      spans: { count: 1, errors: 0 },
      trace_ids: [TRACE],
      request_ids: [REQ],
      series: [
        {
          name: 'http_server_request_duration_seconds',
          labels: { http_route: '/cart', job: 'shop/checkout' },
          promql: 'http_server_request_duration_seconds_bucket{http_route="/cart",job="shop/checkout"}',
        },
      ],
      queries: {
        logql: `{service_name="checkout"} | request_id="${REQ}"`,
        promql: ['http_server_request_duration_seconds_bucket{http_route="/cart",job="shop/checkout"}'],
      },
    });
    expect(body.data.links).toBeUndefined();
    // the trace ID answers too, with what its request knows (service, series)
    const trace = await get(`/api/v1/correlations/${TRACE.toUpperCase()}`);
    expect(trace.body.data).toMatchObject({ kind: 'trace', request_ids: [REQ], service: 'checkout' });
    expect(trace.body.data.series).toHaveLength(1);
  });

  it('adds Grafana Explore links when grafana is configured', async () => {
    const { ext, get } = await start({
      grafana: {
        url: 'https://grafana.example.com',
        datasources: { loki: 'stitch-loki', prometheus: 'stitch-prom', tempo: 'stitch-tempo' },
      },
    });
    ext.index.record({
      rid: RID,
      traceId: TRACE,
      service: 'widget-operator',
      logs: 1,
      series: [seriesRef('controller_runtime_reconcile_time_seconds', { controller: 'widgets' }, '_bucket')],
    });
    const { body } = await get(`/api/v1/correlations/${RID}`);
    const panes = (url: string) => JSON.parse(new URL(url).searchParams.get('panes')!).stitch;
    expect(panes(body.data.links.logs)).toMatchObject({
      datasource: 'stitch-loki',
      queries: [{ datasource: { type: 'loki', uid: 'stitch-loki' }, expr: `{service_name="widget-operator"} | rid="${RID}"` }],
    });
    expect(panes(body.data.links.traces[0]).queries[0]).toMatchObject({ queryType: 'traceql', query: TRACE });
    expect(panes(body.data.series[0].explore_url).queries[0]).toMatchObject({
      datasource: { type: 'prometheus', uid: 'stitch-prom' },
      expr: 'controller_runtime_reconcile_time_seconds_bucket{controller="widgets"}',
      exemplar: true,
    });
  });

  it('answers 404 for unknown IDs and 400 for hostile ones', async () => {
    const { get } = await start();
    const unknown = await get('/api/v1/correlations/nobody-sent-this');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no request_id, rid or trace_id "nobody-sent-this"/);
    expect((await get(`/api/v1/correlations/${'x'.repeat(10_000)}`)).status).toBe(400);
    expect((await get('/api/v1/correlations/a%22b')).status).toBe(400);
    expect((await get(`/api/v1/correlations/${'r'.repeat(128)}`)).status).toBe(404); // long but valid
  });

  it('lists recent IDs, newest first, by service, kind, since and limit', async () => {
    const { ext, get } = await start();
    ext.index.record({ requestId: 'r1', service: 'a' });
    ext.index.record({ rid: 'c1', service: 'op' });
    ext.index.record({ requestId: 'r2', service: 'a', traceId: TRACE });
    const ids = async (q: string) => ((await get(`/api/v1/correlations${q}`)).body.data as { id: string }[]).map((d) => d.id);
    expect(await ids('')).toEqual([TRACE, 'r2', 'c1', 'r1']);
    expect(await ids('?kind=request')).toEqual(['r2', 'r1']);
    expect(await ids('?kind=reconcile&service=op')).toEqual(['c1']);
    expect(await ids('?service=a&limit=1')).toEqual([TRACE]);
    expect(await ids('?service=a&kind=request&limit=1')).toEqual(['r2']);
    expect(await ids('?since=1m')).toHaveLength(4);
    const bad = await get('/api/v1/correlations?kind=pods&limit=-1&since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(
      /kind must be one of request, reconcile, trace.*since must be.*limit must be a positive integer/,
    );
  });

  it('parses since as a duration, RFC 3339 or Unix seconds', () => {
    expect(parseSince('15m', 1_000_000_000)).toBe(1_000_000_000 - 900_000);
    expect(parseSince('2024-01-01T00:00:00Z')).toBe(Date.UTC(2024, 0, 1));
    expect(parseSince('1700000000')).toBe(1_700_000_000_000);
    expect(parseSince('soon')).toBeUndefined();
  });

  it('releases its port on shutdown; shutdown is idempotent and safe without start', async () => {
    const { ext, get } = await start();
    expect((await get('/api/v1/correlations')).status).toBe(200);
    await ext.shutdown();
    await ext.shutdown();
    await expect(get('/api/v1/correlations')).rejects.toThrow();
    await createCorrelationExtension(
      testSettings('correlation', 'extension'),
      correlationExtensionConfigSchema.parse({}),
    ).shutdown();
  });
});
