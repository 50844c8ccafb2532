import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatProblem, loadConfig } from '../../config/index.js';
import { FactoryRegistry } from '../../registry.js';
import { filterConfigSchema } from './config.js';

const examples = parse(readFileSync(new URL('./testdata/config.yaml', import.meta.url), 'utf8')).processors as Record<
  string,
  unknown
>;

function load(yaml: string) {
  return loadConfig({ files: ['f.yaml'], registry: new FactoryRegistry(), env: {}, readFile: () => yaml });
}

describe('filter config', () => {
  it.each(Object.keys(examples))('accepts the Collector example %s', (id) => {
    const r = filterConfigSchema.safeParse(examples[id]);
    expect(r.error?.issues ?? []).toEqual([]);
  });

  it('defaults error_mode to propagate and every list to empty', () => {
    expect(filterConfigSchema.parse({})).toMatchObject({
      error_mode: 'propagate',
      traces: { span: [], spanevent: [] },
      metrics: { metric: [], datapoint: [] },
      logs: { log_record: [] },
    });
  });

  it('reports unsupported OTTL with the line:column of the condition and the column inside it', () => {
    const yaml = [
      'receivers:',
      '  otlp:',
      '    protocols: { http: }',
      'processors:',
      '  filter:',
      '    metrics:',
      '      metric:',
      '        - name == "ok"',
      '        - \'name == "a" and attributes["x"] = 1\'',
      '    logs:',
      '      log_record:',
      '        - Substring(body, 0, 3) == "abc"',
      'exporters:',
      '  debug:',
      'service:',
      '  pipelines:',
      '    metrics: { receivers: [otlp], processors: [filter], exporters: [debug] }',
      '',
    ].join('\n');
    const r = load(yaml);
    const lines = r.problems.map(formatProblem);
    expect(lines).toEqual([
      'f.yaml:9:11: processors.filter.metrics.metric[1]: invalid OTTL condition at column 33: use "==" to compare ("=" is not an OTTL operator), got string "name == \\"a\\" and attributes[\\"x\\"] = 1" [STITCH_ERR_CONFIG_INVALID_VALUE]',
      expect.stringMatching(
        /^f\.yaml:12:11: processors\.filter\.logs\.log_record\[0\]: invalid OTTL condition at column 1: function Substring is not in Stitch's OTTL subset; supported: IsMatch, .*\[STITCH_ERR_CONFIG_INVALID_VALUE\]$/,
      ),
    ]);
  });

  it('rejects the legacy expr match type and mixing OTTL with include/exclude', () => {
    const expr = filterConfigSchema.safeParse({
      metrics: { exclude: { match_type: 'expr', expressions: ['MetricName == "a"'] } },
    });
    expect(expr.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['metrics.exclude.match_type', expect.stringMatching(/"expr" is not supported/)],
    ]);
    const mixed = filterConfigSchema.safeParse({
      logs: { log_record: ['severity_number < 9'], include: { match_type: 'strict', log_bodies: ['x'] } },
    });
    expect(mixed.error?.issues[0]?.message).toMatch(/together/);
    const badRe = filterConfigSchema.safeParse({
      logs: { include: { match_type: 'regexp', record_attributes: [{ key: 'a', value: '(' }] } },
    });
    expect(badRe.error?.issues[0]?.path).toEqual(['logs', 'include', 'record_attributes', 0, 'value']);
  });
});
