import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DATASOURCE_UIDS } from './datasources.js';
import { generateFiles, LAYOUT } from './generate.js';
import { escapeProvisioning } from './provisioning.js';

interface Ds {
  name: string;
  uid: string;
  type: string;
  url: string;
  jsonData: Record<string, unknown>;
  correlations?: {
    targetUID: string;
    label: string;
    description: string;
    type: string;
    config: { field: string; target: { expr: string; datasource: { uid: string } } };
  }[];
}

function datasources(options: Parameters<typeof generateFiles>[0] = {}): Ds[] {
  const file = generateFiles(options).find((f) => f.path === LAYOUT.datasources);
  const doc = parse(file?.content ?? '') as { apiVersion: number; datasources: Ds[] };
  expect(doc.apiVersion).toBe(1);
  return doc.datasources;
}

/** Grafana's provisioning expansion: `$$` → `$`, `${NAME}` / `$NAME` → env. Returns unresolved env names too. */
function expand(s: string, env: Record<string, string>): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = s.replace(/\$\$|\$\{(\w+)\}|\$(\w+)/g, (m, a?: string, b?: string) => {
    if (m === '$$') return '$';
    const name = (a ?? b) as string;
    if (env[name] === undefined) missing.push(name);
    return env[name] ?? '';
  });
  return { value, missing };
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

const ENV = { PROMETHEUS_URL: 'http://prometheus:9090', LOKI_URL: 'http://loki:3100', TEMPO_URL: 'http://tempo:3200' };

describe('datasource provisioning', () => {
  it('parses, has the fixed UIDs, and reads URLs from the environment only', () => {
    const ds = datasources();
    expect(ds.map((d) => [d.uid, d.type])).toEqual([
      [DATASOURCE_UIDS.prometheus, 'prometheus'],
      [DATASOURCE_UIDS.loki, 'loki'],
    ]);
    expect(ds.map((d) => expand(d.url, ENV).value)).toEqual(['http://prometheus:9090', 'http://loki:3100']);
  });

  it('escapes every other $ so Grafana env expansion leaves Grafana variables intact', () => {
    for (const d of datasources({ tempo: true })) {
      for (const s of strings({ jsonData: d.jsonData, correlations: d.correlations })) {
        // Nothing but escaped dollars: expansion must not look up any environment variable.
        expect(expand(s, {}).missing, s).toEqual([]);
      }
    }
    const prom = datasources()[0] as Ds;
    const dest = (prom.jsonData.exemplarTraceIdDestinations as { name: string; url: string }[])[1] as { url: string };
    expect(expand(dest.url, {}).value).toBe(`/d/stitch-drilldown/stitch-drill-down?var-request_id=\${__value.raw}`);
    expect(escapeProvisioning({ a: ['$x', 1, null] })).toEqual({ a: ['$$x', 1, null] });
  });

  it('links exemplars on trace_id, request_id and rid (trace_id to Tempo when provisioned)', () => {
    const plain = datasources()[0]?.jsonData.exemplarTraceIdDestinations as Record<string, string>[];
    expect(plain.map((d) => d.name)).toEqual(['trace_id', 'request_id', 'rid']);
    expect(plain.every((d) => d.url?.includes('/d/stitch-drilldown/') && d.datasourceUid === undefined)).toBe(true);
    expect(plain[2]?.url).toContain(`var-rid=$\${__value.raw}`);

    const withTempo = datasources({ tempo: true, grafanaUrl: 'https://grafana.example/sub/' });
    expect(withTempo.map((d) => d.uid)).toEqual([DATASOURCE_UIDS.prometheus, DATASOURCE_UIDS.loki, DATASOURCE_UIDS.tempo]);
    const dests = withTempo[0]?.jsonData.exemplarTraceIdDestinations as Record<string, string>[];
    expect(dests[0]).toEqual({ name: 'trace_id', datasourceUid: DATASOURCE_UIDS.tempo, urlDisplayLabel: 'Trace' });
    expect(dests[1]?.url).toBe(
      `https://grafana.example/sub/d/stitch-drilldown/stitch-drill-down?var-request_id=$\${__value.raw}`,
    );
    expect(expand(withTempo[2]?.url ?? '', ENV).value).toBe('http://tempo:3200');
  });

  it('Loki derived fields match structured metadata by name (matcherType: label) for the three IDs', () => {
    for (const options of [{}, { tempo: true }]) {
      const loki = datasources(options)[1] as Ds;
      const fields = loki.jsonData.derivedFields as Record<string, string>[];
      expect(fields.map((f) => [f.name, f.matcherType, f.matcherRegex])).toEqual([
        ['trace_id', 'label', 'trace_id'],
        ['request_id', 'label', 'request_id'],
        ['rid', 'label', 'rid'],
      ]);
      for (const f of fields) expect(f.url).toContain(`$\${__value.raw}`);
    }
    const tempoField = ((datasources({ tempo: true })[1] as Ds).jsonData.derivedFields as Record<string, string>[])[0];
    expect(tempoField?.datasourceUid).toBe(DATASOURCE_UIDS.tempo);
  });

  it('correlations go from Loki fields to Prometheus, with the fields Grafana requires', () => {
    const loki = datasources()[1] as Ds;
    expect(loki.correlations?.map((c) => [c.config.field, c.targetUID, c.type])).toEqual([
      ['service_name', DATASOURCE_UIDS.prometheus, 'query'],
      ['controller', DATASOURCE_UIDS.prometheus, 'query'],
    ]);
    for (const c of loki.correlations ?? []) {
      // Grafana's provisioning reads label and description as strings (a missing one is an error).
      expect(typeof c.label).toBe('string');
      expect(typeof c.description).toBe('string');
      expect(c.config.target.datasource.uid).toBe(DATASOURCE_UIDS.prometheus);
      expect(expand(c.config.target.expr, {}).value).toContain(`\${${c.config.field}}`);
    }
  });

  it('every UID referenced anywhere is one of the fixed UIDs', () => {
    const fixed = new Set<string>(Object.values(DATASOURCE_UIDS));
    for (const d of datasources({ tempo: true })) {
      const refs: string[] = [d.uid];
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v !== null && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            if ((k === 'datasourceUid' || k === 'targetUID' || k === 'uid') && typeof x === 'string') refs.push(x);
            walk(x);
          }
        }
      };
      walk(d);
      for (const r of refs) expect(fixed.has(r), r).toBe(true);
    }
  });
});

describe('dashboard provider provisioning', () => {
  it('parses and points at the dashboards path', () => {
    const file = generateFiles({ dashboardsPath: '/etc/grafana/stitch' }).find((f) => f.path === LAYOUT.dashboardProvider);
    const doc = parse(file?.content ?? '') as {
      apiVersion: number;
      providers: { type: string; folderUid: string; options: { path: string } }[];
    };
    expect(doc.apiVersion).toBe(1);
    expect(doc.providers).toHaveLength(1);
    expect(doc.providers[0]).toMatchObject({ type: 'file', folderUid: 'stitch', options: { path: '/etc/grafana/stitch' } });
  });
});
