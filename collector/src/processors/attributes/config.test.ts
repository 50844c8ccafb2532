import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { attributesConfigSchema } from './config.js';

const valid = parse(readFileSync(new URL('./testdata/config.yaml', import.meta.url), 'utf8')).processors as Record<
  string,
  unknown
>;
const invalid = parse(readFileSync(new URL('./testdata/invalid.yaml', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('attributes config', () => {
  it.each(Object.keys(valid))('accepts the Collector example %s', (id) => {
    const r = attributesConfigSchema.safeParse(valid[id]);
    expect(r.error?.issues ?? []).toEqual([]);
  });

  it('lower-cases the action and keeps YAML value types', () => {
    const c = attributesConfigSchema.parse({ actions: [{ key: 'a', value: 2245, action: 'INSERT' }] });
    expect(c.actions[0]).toMatchObject({ action: 'insert', value: 2245 });
  });

  const cases: [string, string, RegExp][] = [
    ['no_actions', 'actions', /missing required field "actions"/],
    ['insert_without_value', 'actions.0.value', /needs one of "value", "from_attribute", "from_context" or "default_value"/],
    ['two_sources', 'actions.0.value', /only one of/],
    ['delete_without_key', 'actions.0.key', /"key" and\/or "pattern"/],
    ['extract_unnamed_group', 'actions.0.pattern', /unnamed matcher group/],
    ['extract_without_groups', 'actions.0.pattern', /no named matcher groups/],
    ['bad_pattern', 'actions.0.pattern', /invalid regular expression/],
    ['convert_without_type', 'actions.0.converted_type', /needs "converted_type"/],
    ['convert_bad_type', 'actions.0.converted_type', /.+/],
    ['unknown_action', 'actions.0.action', /.+/],
    ['match_without_type', 'include.match_type', /.+/],
  ];
  it.each(cases)('rejects %s at %s', (name, path, message) => {
    const r = attributesConfigSchema.safeParse(invalid[name]);
    expect(r.success).toBe(false);
    const issue = r.error?.issues.find((i) => i.path.join('.') === path);
    expect(issue?.message ?? `(no issue at ${path}: ${JSON.stringify(r.error?.issues)})`).toMatch(message);
  });
});
