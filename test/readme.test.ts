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
