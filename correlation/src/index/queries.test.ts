import { describe, expect, it } from 'vitest';
import { seriesRef } from './correlation-index.js';
import { exploreUrl, logqlFor, promqlFor } from './queries.js';

describe('queries', () => {
  it('builds LogQL on structured metadata, never on stream labels', () => {
    expect(logqlFor({ key: 'request_id', id: 'req-1', service: 'checkout' })).toBe(
      '{service_name="checkout"} | request_id="req-1"',
    );
    expect(logqlFor({ key: 'rid', id: 'r-1', service: undefined })).toBe('{service_name=~".+"} | rid="r-1"');
    expect(logqlFor({ key: 'trace_id', id: 'ab', service: 'we"ird' })).toBe('{service_name="we\\"ird"} | trace_id="ab"');
  });

  it('builds a PromQL selector with escaped label values', () => {
    const s = seriesRef('http_server_request_duration_seconds', { job: 'shop/a', http_route: '/x"y' }, '_bucket');
    expect(promqlFor(s)).toBe('http_server_request_duration_seconds_bucket{http_route="/x\\"y",job="shop/a"}');
  });

  it('builds Grafana Explore URLs with a panes JSON', () => {
    const url = exploreUrl('https://grafana.example.com/', 1, {
      datasource: { type: 'loki', uid: 'stitch-loki' },
      query: { expr: '{service_name="a"} | request_id="r"' },
      from: 1000,
      to: 'now',
    });
    const u = new URL(url);
    expect(u.pathname).toBe('/explore');
    expect(u.searchParams.get('schemaVersion')).toBe('1');
    expect(u.searchParams.get('orgId')).toBe('1');
    expect(JSON.parse(u.searchParams.get('panes')!)).toEqual({
      stitch: {
        datasource: 'stitch-loki',
        queries: [{ refId: 'A', datasource: { type: 'loki', uid: 'stitch-loki' }, expr: '{service_name="a"} | request_id="r"' }],
        range: { from: '1000', to: 'now' },
      },
    });
  });
});
