import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FactoryRegistry } from '../registry.js';
import { formatProblem, loadConfig } from './index.js';

function load(yaml: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'stitch-cfg-')), 'config.yaml');
  writeFileSync(file, yaml);
  return loadConfig({ files: [file], env: {}, registry: new FactoryRegistry() }).problems.map(formatProblem);
}

describe('config with the built-in components', () => {
  it('suggests the closest key inside blocks whose schema is preprocessed (otlp protocols)', () => {
    const problems = load(`receivers:
  otlp:
    protocols:
      http:
        endpont: 127.0.0.1:4318
exporters:
  debug:
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [debug]
`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /config\.yaml:5:9: receivers\.otlp\.protocols\.http\.endpont: unknown key "endpont" \(did you mean "endpoint"\?\)/,
    );
  });

  it('the shipped default config is valid', () => {
    const file = new URL('../../config/default.yaml', import.meta.url).pathname;
    expect(loadConfig({ files: [file], env: {}, registry: new FactoryRegistry() }).problems.map(formatProblem)).toEqual([]);
  });
});
