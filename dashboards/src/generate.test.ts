import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_UIDS, DATASOURCE_UIDS } from './datasources.js';
import { buildDashboards, generateFiles } from './generate.js';

const GENERATED = fileURLToPath(new URL('../generated', import.meta.url));

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [relative(GENERATED, join(dir, e.name))],
  );
}

interface AnyPanel {
  id?: number;
  type: string;
  title?: string;
  datasource?: unknown;
  targets?: { datasource?: unknown; refId?: string }[];
  fieldConfig?: { defaults?: { unit?: string } };
  panels?: AnyPanel[];
}

function panelsOf(d: { panels?: unknown[] }): AnyPanel[] {
  return ((d.panels ?? []) as AnyPanel[]).flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Every `datasource` value anywhere in a JSON tree. */
function datasourceRefs(value: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) for (const v of value) datasourceRefs(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'datasource') out.push(v);
      datasourceRefs(v, out);
    }
  }
  return out;
}

describe('generated dashboards', () => {
  it('dashboards/generated/ is what the code generates (run `npm run generate -w @stitch/dashboards` after a change)', () => {
    const files = generateFiles();
    expect(listFiles(GENERATED).sort()).toEqual(files.map((f) => f.path).sort());
    for (const f of files) expect(readFileSync(join(GENERATED, f.path), 'utf8'), f.path).toBe(f.content);
  });

  it('generation is deterministic', () => {
    expect(generateFiles({ tempo: true })).toEqual(generateFiles({ tempo: true }));
  });

  const boards = buildDashboards();
  it.each(Object.entries(boards))('%s: current schema, fixed UID, stitch tag, unique panel IDs', (key, d) => {
    expect(d.uid).toBe(DASHBOARD_UIDS[key as keyof typeof DASHBOARD_UIDS]);
    // Grafana 12's classic dashboard schema version (what Grafana 12.x writes on save).
    expect(d.schemaVersion).toBe(42);
    expect(d.tags).toContain('stitch');
    const ids = panelsOf(d).map((p) => p.id);
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(Object.entries(boards))('%s: datasources by UID only, units on every data panel, refIds set', (_key, d) => {
    const uids = new Set<string>(Object.values(DATASOURCE_UIDS));
    const refs = datasourceRefs(d);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(typeof ref).toBe('object');
      expect(uids.has((ref as { uid: string }).uid)).toBe(true);
    }
    for (const p of panelsOf(d)) {
      if (p.type === 'row' || p.type === 'text') continue;
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.refId).toMatch(/^[A-Z]$/);
      if (p.type !== 'logs') expect(p.fieldConfig?.defaults?.unit, p.title).toBeTruthy();
    }
  });

  it('the drill-down has the three ID textboxes and links to Explore and the correlation API', () => {
    const d = buildDashboards({ correlationApiUrl: 'http://collector.example:9000/' }).drilldown;
    const vars = d.templating?.list ?? [];
    for (const id of ['request_id', 'rid', 'trace_id']) expect(vars.find((v) => v.name === id)?.type).toBe('textbox');
    expect(vars.find((v) => v.name === 'correlation_api')?.query).toBe('http://collector.example:9000');
    const urls = (d.links ?? []).map((l) => l.url ?? '');
    expect(urls).toContain(`\${correlation_api}/api/v1/correlations/\${rid:percentencode}`);
    const explore = urls.find((u) => u.startsWith('/explore?') && u.includes('request_id'));
    expect(explore).toBeDefined();
    // The pane JSON decodes once Grafana has put the (percent-encoded) variable in.
    const panes = new URL(
      `http://g${(explore as string).replace(`\${request_id:percentencode}`, 'abc-123').replace(`\${__from:percentencode}`, '1').replace(`\${__to:percentencode}`, '2')}`,
    ).searchParams.get('panes');
    expect(JSON.parse(panes as string)).toEqual({
      a: {
        datasource: 'stitch-loki',
        queries: [
          {
            refId: 'A',
            datasource: { type: 'loki', uid: 'stitch-loki' },
            expr: '{service_name=~".+"} | request_id!="" | request_id="abc-123"',
            queryType: 'range',
          },
        ],
        range: { from: '1', to: '2' },
      },
    });
  });
});
