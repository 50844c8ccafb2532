import { describe, expect, it } from 'vitest';
import { errors } from '../errors.js';
import { closest, didYouMean, formatProblem, problem } from './problems.js';

describe('closest (did you mean)', () => {
  const keys = ['receivers', 'processors', 'exporters', 'connectors', 'extensions', 'service'];
  it.each([
    ['recievers', 'receivers'],
    ['exporter', 'exporters'],
    ['Exporters', 'exporters'],
    ['servce', 'service'],
    ['extentions', 'extensions'],
  ])('%s → %s', (typo, expected) => {
    expect(closest(typo, keys)).toBe(expected);
  });

  it('suggests nothing when nothing is close', () => {
    expect(closest('pipelines', keys)).toBeUndefined();
    expect(closest('zz', ['endpoint', 'tls'])).toBeUndefined();
    expect(didYouMean('zz', ['endpoint'])).toBe('');
  });

  it('suggests a longer key that starts with what was typed', () => {
    expect(closest('send_batch', ['send_batch_size', 'timeout'])).toBe('send_batch_size');
  });

  it('prefers the nearest of several candidates', () => {
    expect(closest('endpont', ['endpoints', 'endpoint'])).toBe('endpoint');
    expect(didYouMean('endpont', ['endpoint'])).toBe(' (did you mean "endpoint"?)');
  });
});

describe('formatProblem', () => {
  it('prints location, path, message and code on one line', () => {
    const p = problem(errors.STITCH_ERR_CONFIG_MISSING, ['"endpoint"'], ['exporters', 'otlp', 'endpoint'], {
      file: 'config.yaml',
      line: 12,
      column: 5,
    });
    expect(p.kind).toBe('config');
    expect(formatProblem(p)).toBe(
      'config.yaml:12:5: exporters.otlp.endpoint: missing required option "endpoint" [STITCH_ERR_CONFIG_MISSING]',
    );
  });

  it('writes list indexes in brackets and does not repeat a path the message already starts with', () => {
    const p = problem(
      errors.STITCH_ERR_PIPELINE_DUPLICATE,
      ['processor', 'batch'],
      ['service', 'pipelines', 'logs', 'processors', 1],
      'c.yaml:3:4',
    );
    expect(p.path).toBe('service.pipelines.logs.processors[1]');
    const none = problem(errors.STITCH_ERR_PIPELINE_NONE, [], 'service.pipelines', 'c.yaml:1:1');
    expect(formatProblem(none)).toBe(
      'c.yaml:1:1: service.pipelines: at least one pipeline is required [STITCH_ERR_PIPELINE_NONE]',
    );
  });
});
