/**
 * `stitch dashboards --out DIR` as a user runs it: the built CLI writes the same files as the
 * committed dashboards/generated/, options change what they say, and bad flags exit 2.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runStitch } from '../helpers/collector-process.js';

const GENERATED = fileURLToPath(new URL('../../dashboards/generated', import.meta.url));
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stitch-dashboards-'));
  dirs.push(d);
  return d;
}

function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(root, p), readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  return out;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('stitch dashboards', () => {
  it('writes the dashboards and provisioning files, identical to dashboards/generated/', async () => {
    const out = join(tempDir(), 'grafana');
    const p = runStitch(['dashboards', '--out', out]);
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toContain(`wrote 6 files to ${out}`);
    expect(tree(out)).toEqual(tree(GENERATED));
  });

  it('--tempo, --grafana-url and --dashboards-path change the provisioning', async () => {
    const out = tempDir();
    const p = runStitch([
      'dashboards',
      '--out',
      out,
      '--tempo',
      '--grafana-url',
      'https://grafana.example/ops',
      '--dashboards-path',
      '/etc/dashboards/stitch',
    ]);
    expect(await p.exited).toBe(0);
    const ds = parse(readFileSync(join(out, 'provisioning/datasources/stitch.yaml'), 'utf8')) as {
      datasources: { uid: string; url: string; jsonData: { exemplarTraceIdDestinations?: { url?: string }[] } }[];
    };
    expect(ds.datasources.map((d) => [d.uid, d.url])).toEqual([
      ['stitch-prometheus', `\${PROMETHEUS_URL}`],
      ['stitch-loki', `\${LOKI_URL}`],
      ['stitch-tempo', `\${TEMPO_URL}`],
    ]);
    expect(ds.datasources[0]?.jsonData.exemplarTraceIdDestinations?.[1]?.url).toMatch(
      /^https:\/\/grafana\.example\/ops\/d\/stitch-drilldown\//,
    );
    const provider = parse(readFileSync(join(out, 'provisioning/dashboards/stitch.yaml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    expect(provider.providers[0]?.options.path).toBe('/etc/dashboards/stitch');
  });

  it('exits 2 without --out or with an unknown flag', async () => {
    const missing = runStitch(['dashboards']);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toContain('--out DIR is required');
    const unknown = runStitch(['dashboards', '--out', tempDir(), '--nope']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.stderr()).toContain("Unknown option '--nope'");
  });
});
