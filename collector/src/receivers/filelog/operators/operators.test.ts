import { describe, expect, it } from 'vitest';
import { type Entry, newEntry } from '../entry.js';
import { containerdLine, crioLine, dockerLine } from '../testing.js';
import { operatorSchema } from './config.js';
import { parseField } from './field.js';
import type { LineContext } from './operator.js';
import { buildPipeline, newStats } from './pipeline.js';
import { compileTimeLayout } from './time-layout.js';

const POD_PATH = '/var/log/pods/shop_api-1_0f3a-9c1e/api/3.log';

function run(ops: unknown[], lines: string[], filePath = POD_PATH) {
  const configs = ops.map((o) => operatorSchema.parse(o));
  const p = buildPipeline(configs, 1024 * 1024);
  const out: Entry[] = [];
  const stats = newStats();
  const source = {};
  let offset = 0;
  for (const l of lines) {
    const line = l.endsWith('\n') ? l.slice(0, -1) : l;
    const ctx: LineContext = { source, filePath, lineStart: offset, lineEnd: offset + l.length };
    p.run(newEntry(line), ctx, out, stats);
    offset += l.length;
  }
  return { out, stats, pending: p.pendingStart(source), pipeline: p, source };
}

describe('field expressions', () => {
  it('parses dotted and bracketed keys and rejects unknown roots', () => {
    expect(parseField('attributes["k8s.pod.name"]')).toMatchObject({ root: 'attributes', keys: ['k8s.pod.name'] });
    expect(parseField('body.a.b')).toMatchObject({ root: 'body', keys: ['a', 'b'] });
    expect(parseField("resource['service.name']")).toMatchObject({ root: 'resource', keys: ['service.name'] });
    expect(parseField('body')).toMatchObject({ root: 'body', keys: [] });
    expect(parseField('level')).toMatch(/must start with body, attributes or resource/);
  });
});

describe('container operator', () => {
  it('parses containerd with nanosecond time and CRI-O with an offset, detecting the format per line', () => {
    const { out } = run([{ type: 'container' }], [containerdLine('a'), crioLine('b', 'F', 'stderr')]);
    expect(out.map((e) => e.body)).toEqual(['a', 'b']);
    expect(out[0]).toMatchObject({ timeSec: 1714557600, timeNsec: 123456789 });
    expect(out[1]).toMatchObject({ timeSec: Date.parse('2024-05-01T10:00:00Z') / 1000, timeNsec: 500_000_000 });
    expect(out[1].attributes).toMatchObject({ 'log.iostream': 'stderr', logtag: 'F' });
    expect(out[0].resource).toEqual({
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'api-1',
      'k8s.pod.uid': '0f3a-9c1e',
      'k8s.container.name': 'api',
      'k8s.container.restart_count': '3',
    });
  });

  it('joins P lines until F, holds the offset of the first part, and flushes at max_log_size', () => {
    const held = run([{ type: 'container' }], [containerdLine('x'), containerdLine('ab', 'P'), containerdLine('cd', 'P')]);
    expect(held.out.map((e) => e.body)).toEqual(['x']);
    expect(held.pending).toBe(containerdLine('x').length);
    const done = run(
      [{ type: 'container', max_log_size: 5 }],
      [containerdLine('abc', 'P'), containerdLine('def', 'P'), containerdLine('g', 'F')],
    );
    expect(done.out.map((e) => e.body)).toEqual(['abcde', 'g']);
    expect(done.stats.truncated).toBe(1);
  });

  it('joins docker partial lines and strips the trailing newline', () => {
    const { out } = run([{ type: 'container', format: 'docker' }], [dockerLine('one ', true), dockerLine('two')]);
    expect(out.map((e) => e.body)).toEqual(['one two']);
    expect(out[0].timeNsec).toBe(1);
  });

  it('counts lines it cannot parse and passes them on unchanged (on_error: send)', () => {
    const { out, stats } = run([{ type: 'container', format: 'containerd' }], ['garbage', crioLine('no Z')]);
    expect(out.map((e) => e.body)).toEqual(['garbage', crioLine('no Z').slice(0, -1)]);
    expect(stats.errors.get('container')).toBe(2);
  });

  it('still emits records from a path that is not a kubelet path, and counts it', () => {
    const { out, stats } = run([{ type: 'container' }], [containerdLine('a')], '/tmp/app.log');
    expect(out[0].body).toBe('a');
    expect(out[0].resource).toEqual({});
    expect(stats.errors.get('container')).toBe(1);
  });
});

describe('json_parser', () => {
  it('parses into attributes with timestamp, severity mapping, trace and body', () => {
    const line = JSON.stringify({
      ts: '2024-05-01 10:00:00.250',
      lvl: 'WARNING',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      trace_flags: '01',
      message: 'hi',
    });
    const { out, stats } = run(
      [
        {
          type: 'json_parser',
          body: 'attributes.message',
          timestamp: { parse_from: 'attributes.ts', layout: '%Y-%m-%d %H:%M:%S.%L', location: 'UTC' },
          severity: { parse_from: 'attributes.lvl' },
          trace: {},
        },
      ],
      [line],
    );
    expect(stats.errors.size).toBe(0);
    const e = out[0];
    expect(e.body).toBe('hi');
    expect(e.attributes.lvl).toBe('WARNING');
    expect(e).toMatchObject({ severityNumber: 13, severityText: 'WARNING', timeNsec: 250_000_000, traceFlags: 1 });
    expect(e.timeSec).toBe(Date.parse('2024-05-01T10:00:00Z') / 1000);
    expect(Buffer.from(e.traceId!).toString('hex')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(Buffer.from(e.spanId!).toString('hex')).toBe('00f067aa0ba902b7');
  });

  it('maps pino numbers with the documented mapping or the pino preset, with overwrite_text', () => {
    const mapping = {
      type: 'json_parser',
      severity: {
        parse_from: 'attributes.level',
        overwrite_text: true,
        mapping: { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 },
      },
    };
    const preset = { type: 'json_parser', severity: { parse_from: 'attributes.level', preset: 'pino' } };
    for (const op of [mapping, preset]) {
      const { out } = run([op], ['{"level":10}', '{"level":30}', '{"level":60}']);
      expect(out.map((e) => e.severityNumber)).toEqual([1, 9, 21]);
    }
    expect(run([mapping], ['{"level":50}']).out[0].severityText).toBe('ERROR');
    expect(run([preset], ['{"level":50}']).out[0].severityText).toBe('50');
  });

  it('parses epoch and gotime layouts', () => {
    expect(compileTimeLayout({ layout_type: 'epoch', layout: 'ms' })(1714557600123)).toEqual({
      sec: 1714557600,
      nsec: 123_000_000,
    });
    expect(compileTimeLayout({ layout_type: 'epoch', layout: 's.ns' })('1714557600.000000042')).toEqual({
      sec: 1714557600,
      nsec: 42,
    });
    const go = compileTimeLayout({ layout_type: 'gotime', layout: '2006-01-02T15:04:05.999999999Z07:00' });
    expect(go('2024-05-01T12:00:00.5+02:00')).toEqual({ sec: Date.parse('2024-05-01T10:00:00Z') / 1000, nsec: 500_000_000 });
    const clf = compileTimeLayout({ layout_type: 'gotime', layout: '02/Jan/2006:15:04:05 -0700' });
    expect(clf('01/May/2024:10:00:00 +0000').sec).toBe(Date.parse('2024-05-01T10:00:00Z') / 1000);
  });

  it('leaves the raw body of invalid JSON and counts the error; drop drops it', () => {
    const sent = run([{ type: 'json_parser', id: 'j' }], ['{"a":', '[1]']);
    expect(sent.out.map((e) => e.body)).toEqual(['{"a":', '[1]']);
    expect(sent.stats.errors.get('j')).toBe(2);
    const dropped = run([{ type: 'json_parser', on_error: 'drop' }], ['{"a":']);
    expect(dropped.out).toHaveLength(0);
    expect(dropped.stats.dropped).toBe(1);
  });
});

describe('regex_parser, move, remove, add', () => {
  it('extracts named groups (Go syntax) and reshapes the entry', () => {
    const { out, stats } = run(
      [
        { type: 'regex_parser', regex: '^(?P<method>[A-Z]+) (?P<path>\\S+) (?P<status>\\d{3})$' },
        { type: 'move', from: 'attributes.status', to: 'attributes["http.response.status_code"]' },
        { type: 'remove', field: 'attributes.path' },
        { type: 'add', field: 'resource["service.name"]', value: 'api' },
        { type: 'add', field: 'body.tags', value: ['a'] },
      ],
      ['GET /users 200'],
    );
    expect(stats.errors.size).toBe(0);
    expect(out[0].attributes).toEqual({ method: 'GET', 'http.response.status_code': '200' });
    expect(out[0].resource).toEqual({ 'service.name': 'api' });
    expect(out[0].body).toEqual({ tags: ['a'] });
  });

  it("takes RE2's leading flag group, as stanza's Go regexp does", () => {
    const { out, stats } = run([{ type: 'regex_parser', regex: '(?i)^(?P<level>warn|error):' }], ['WARN: disk']);
    expect(stats.errors.size).toBe(0);
    expect(out[0].attributes).toEqual({ level: 'WARN' });
  });

  it('counts a regex that does not match and a move from a missing field', () => {
    const { out, stats } = run(
      [
        { type: 'regex_parser', id: 're', regex: '^(?P<x>\\d+)$' },
        { type: 'move', id: 'mv', from: 'attributes.nope', to: 'body' },
      ],
      ['abc'],
    );
    expect(out[0].body).toBe('abc');
    expect(stats.errors.get('re')).toBe(1);
    expect(stats.errors.get('mv')).toBe(1);
  });
});

describe('pino_parser', () => {
  it('turns a pino line into a record with canonical correlation IDs', () => {
    const line = JSON.stringify({
      level: 30,
      time: 1714557600123,
      pid: 7,
      hostname: 'api-1',
      reconcileID: '3f1c6c9e-0b7a-4a7e-9d5c-2f7f3b2b8a11',
      request_id: 'req-42',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      trace_flags: '01',
      req: { method: 'GET' },
      msg: 'request completed',
    });
    const { out, stats } = run([{ type: 'container' }, { type: 'pino_parser' }], [containerdLine(line)]);
    expect(stats.errors.size).toBe(0);
    const e = out[0];
    expect(e.body).toBe('request completed');
    expect(e).toMatchObject({
      severityNumber: 9,
      severityText: 'info',
      timeSec: 1714557600,
      timeNsec: 123_000_000,
      traceFlags: 1,
    });
    expect(Buffer.from(e.traceId!).toString('hex')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(e.attributes).toEqual({
      'log.iostream': 'stdout',
      logtag: 'F',
      pid: 7,
      hostname: 'api-1',
      rid: '3f1c6c9e-0b7a-4a7e-9d5c-2f7f3b2b8a11',
      request_id: 'req-42',
      req: { method: 'GET' },
    });
    expect(e.resource['k8s.pod.name']).toBe('api-1');
  });

  it('handles labels, custom levels, pino-http req.id and leaves plain text alone', () => {
    const { out, stats } = run(
      [{ type: 'pino_parser', id: 'pino' }],
      [
        '{"level":"warn","msg":"w"}',
        '{"level":35,"msg":"c"}',
        '{"level":30,"req":{"id":12},"msg":"h"}',
        'plain text',
        '{"level":',
      ],
    );
    expect(out.map((e) => [e.severityNumber, e.severityText])).toEqual([
      [13, 'warn'],
      [11, 'info3'],
      [9, 'info'],
      [0, ''],
      [0, ''],
    ]);
    expect(out[2].attributes.request_id).toBe('12');
    expect(out[3].body).toBe('plain text');
    expect(out[4].body).toBe('{"level":');
    expect(stats.errors.get('pino')).toBe(1);
  });
});
