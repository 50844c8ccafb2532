import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { filelogConfigSchema } from './config.js';
import { SUPPORTED_OPERATORS } from './operators/config.js';

function issues(input: unknown): string[] {
  const r = filelogConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('filelog config', () => {
  it('has the Collector defaults', () => {
    const c = filelogConfigSchema.parse({ include: ['/var/log/pods/*/*/*.log'] });
    expect(c).toMatchObject({
      exclude: [],
      start_at: 'end',
      include_file_name: true,
      include_file_path: false,
      poll_interval: 200,
      fingerprint_size: 1000,
      max_log_size: 1024 * 1024,
      max_concurrent_files: 1024,
      encoding: 'utf-8',
      retry_on_failure: { enabled: false, initial_interval: 1000, max_interval: 30_000, max_elapsed_time: 300_000 },
      operators: [],
    });
  });

  it('accepts the Helm chart logsCollection preset and the README recipes unchanged', async () => {
    const doc = parse(await readFile(join(import.meta.dirname, 'testdata', 'config.yaml'), 'utf8')) as Record<string, unknown>;
    for (const [name, section] of Object.entries(doc)) {
      expect(issues(section), name).toEqual([]);
    }
    const helm = filelogConfigSchema.parse(doc.helm_preset);
    expect(helm.operators[0]).toMatchObject({ type: 'container', id: 'container-parser', max_log_size: 102_400 });
    expect(helm.retry_on_failure.enabled).toBe(true);
  });

  it('parses byte sizes as stanza does', () => {
    const c = filelogConfigSchema.parse({ include: ['x'], fingerprint_size: '1kib', max_log_size: '2MiB' });
    expect(c.fingerprint_size).toBe(1024);
    expect(c.max_log_size).toBe(2 * 1024 * 1024);
    expect(filelogConfigSchema.parse({ include: ['x'], fingerprint_size: '1kb' }).fingerprint_size).toBe(1000);
  });

  it('reports an unsupported operator type with the supported list', () => {
    const msgs = issues({ include: ['x'], operators: [{ type: 'container' }, { type: 'syslog_parser' }] });
    expect(msgs).toEqual([
      `operators.1.type: unsupported operator type "syslog_parser"; supported: ${SUPPORTED_OPERATORS.join(', ')}`,
    ]);
    expect(SUPPORTED_OPERATORS).toEqual(['add', 'container', 'json_parser', 'move', 'pino_parser', 'regex_parser', 'remove']);
  });

  it('rejects what the Collector rejects, naming the option', () => {
    expect(issues({})).toEqual(["include: 'include' must be specified"]);
    expect(issues({ include: ['x'], encoding: 'utf-16le' })).toEqual([
      'encoding: unsupported encoding "utf-16le"; Stitch reads utf-8 only',
    ]);
    expect(issues({ include: ['x'], fingerprint_size: 8 })[0]).toMatch(/^fingerprint_size: .*at least 16 bytes/);
    expect(issues({ include: ['x'], max_concurrent_files: 1 })[0]).toMatch(/^max_concurrent_files:/);
    expect(issues({ include: ['x'], start_at: 'middle' })[0]).toMatch(/^start_at:/);
    expect(issues({ include: ['x'], nope: 1 })[0]).toMatch(/nope/);
  });

  it('checks operator options at load: fields, layouts, severities, regexes', () => {
    const bad = issues({
      include: ['x'],
      operators: [
        { type: 'json_parser', parse_from: 'level' },
        { type: 'json_parser', timestamp: { parse_from: 'attributes.t', layout_type: 'epoch', layout: 'minutes' } },
        { type: 'json_parser', severity: { parse_from: 'attributes.l', mapping: { loud: 99 } } },
        { type: 'regex_parser', regex: '^no groups$' },
        { type: 'add', field: 'attributes.x', value: 'EXPR(body)' },
        { type: 'move', from: 'attributes.a', to: 'body', if: 'body != nil' },
      ],
    });
    expect(bad).toHaveLength(6);
    expect(bad[0]).toMatch(/^operators\.0\.parse_from: field "level" must start with body/);
    expect(bad[1]).toMatch(/^operators\.1\.timestamp: invalid layout "minutes" for epoch/);
    expect(bad[2]).toMatch(/^operators\.2\.severity\.mapping: unknown severity "loud"/);
    expect(bad[3]).toMatch(/^operators\.3\.regex: regex must contain at least one named group/);
    expect(bad[4]).toMatch(/^operators\.4\.value: EXPR\(\) expressions are not supported/);
    expect(bad[5]).toMatch(/^operators\.5: .*if/);
  });
});
