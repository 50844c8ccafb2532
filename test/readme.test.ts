/** The README's component table is generated from the registry; this keeps the two in sync. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { componentsMarkdown } from '../collector/src/cli/components.js';
import { FactoryRegistry } from '../collector/src/registry.js';

describe('README', () => {
  it('lists exactly the registered components (run `node scripts/update-readme.mjs` after a build to refresh)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.split('<!-- components:start -->')[1]?.split('<!-- components:end -->')[0]?.trim();
    // biome pads Markdown tables; compare cells, not padding.
    const cells = (md: string | undefined) =>
      (md ?? '')
        .split('\n')
        .map((row) => row.split('|').map((c) => c.trim().replace(/^-+$/, '---')))
        .map((row) => row.join('|'));
    expect(cells(table)).toEqual(cells(componentsMarkdown(new FactoryRegistry())));
  });

  it('shows the two commands first', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const firstCode = readme.split('```')[1] ?? '';
    expect(firstCode).toContain('npm ci && npm start');
    expect(firstCode).toContain('npm test');
  });
});

describe('README configuration example', () => {
  it('is a valid Stitch config', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadConfig, formatProblem } = await import('../collector/src/config/index.js');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const yaml = readme.split('## Configuration')[1]?.split('```yaml\n')[1]?.split('```')[0];
    expect(yaml).toBeTruthy();
    const file = join(mkdtempSync(join(tmpdir(), 'stitch-readme-')), 'config.yaml');
    writeFileSync(file, yaml as string);
    const result = loadConfig({
      files: [file],
      env: { PROMETHEUS_REMOTE_WRITE_URL: 'http://127.0.0.1:9090/api/v1/write' },
      registry: new FactoryRegistry(),
    });
    expect(result.problems.map(formatProblem)).toEqual([]);
  });
});
