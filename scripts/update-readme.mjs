#!/usr/bin/env node
// Regenerates the component table in README.md from the collector's registry (run after a build:
// `npm run build && node scripts/update-readme.mjs`). test/readme.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { componentsMarkdown } from '../collector/dist/cli/components.js';
import { FactoryRegistry } from '../collector/dist/registry.js';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const start = '<!-- components:start -->';
const end = '<!-- components:end -->';
const i = readme.indexOf(start);
const j = readme.indexOf(end);
if (i === -1 || j === -1) throw new Error('README.md has no components markers');
const table = componentsMarkdown(new FactoryRegistry());
writeFileSync(file, `${readme.slice(0, i + start.length)}\n${table}\n${readme.slice(j)}`);
console.log('README.md component table updated');
