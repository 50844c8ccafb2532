import Long from 'long';
import { describe, expect, it } from 'vitest';
import type { LogRecord, Metric, Span } from '../../../model/types.js';
import { objectToAttributes } from '../../../model/values.js';
import { compileCondition, type Frame } from './compile.js';

const span: Span = {
  traceId: Uint8Array.from(Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex')),
  spanId: Uint8Array.from(Buffer.from('0102030405060708', 'hex')),
  name: 'GET /checkout',
  kind: 2,
  startTimeUnixNano: Long.fromString('1700000000000000000'),
  endTimeUnixNano: Long.fromString('1700000000250000000'),
  attributes: objectToAttributes({ 'http.status_code': 503, ratio: 0.5, ok: true, nested: { a: 'b' }, list: [1, 2] }),
  status: { code: 2 },
};
const frame: Frame = {
  resource: { attributes: objectToAttributes({ 'service.name': 'checkout' }) },
  scope: { name: '@opentelemetry/instrumentation-http', version: '0.1' },
  span,
};
const log: LogRecord = { severityNumber: 13, severityText: 'WARN', body: { stringValue: 'user password=1' }, attributes: [] };

describe('OTTL evaluation', () => {
  const spanCases: [string, boolean][] = [
    ['name == "GET /checkout"', true],
    ['name != "GET /checkout"', false],
    ['kind == SPAN_KIND_SERVER', true],
    ['status.code == STATUS_CODE_ERROR', true],
    ['attributes["http.status_code"] >= 500', true],
    ['attributes["http.status_code"] == 503.0', true],
    ['attributes["http.status_code"] == "503"', false],
    ['attributes["http.status_code"] != "503"', true],
    ['attributes["ratio"] < 1', true],
    ['attributes["missing"] == nil', true],
    ['attributes["missing"] != nil', false],
    ['attributes["missing"] < 1', false],
    ['attributes["ok"] == true', true],
    ['attributes["ok"] > false', false],
    ['attributes["nested"]["a"] == "b"', true],
    ['IsMap(attributes["nested"]) and IsList(attributes["list"])', true],
    ['IsInt(attributes["http.status_code"]) and IsDouble(attributes["ratio"]) and IsBool(attributes["ok"])', true],
    ['IsString(name)', true],
    ['resource.attributes["service.name"] == "checkout"', true],
    ['instrumentation_scope.name == "@opentelemetry/instrumentation-http"', true],
    ['IsMatch(name, "^GET ")', true],
    ['IsMatch(attributes["http.status_code"], "^5")', true],
    ['IsMatch(attributes["missing"], ".*")', false],
    ['trace_id.string == "0102030405060708090a0b0c0d0e0f10"', true],
    ['end_time_unix_nano > start_time_unix_nano', true],
    ['name < "H"', true],
    ['not (name == "x" or kind == SPAN_KIND_CLIENT)', true],
    ['IsRootSpan()', true],
    ['true and not false', true],
  ];
  it.each(spanCases)('span: %s → %s', (src, want) => {
    expect(compileCondition(src, 'span')(frame)).toBe(want);
  });

  it('log: severity comparisons with enums, body regex', () => {
    const f: Frame = { resource: undefined, scope: undefined, log };
    expect(compileCondition('severity_number < SEVERITY_NUMBER_WARN', 'log')(f)).toBe(false);
    expect(
      compileCondition('severity_number >= SEVERITY_NUMBER_WARN and severity_number < SEVERITY_NUMBER_ERROR', 'log')(f),
    ).toBe(true);
    expect(compileCondition('IsMatch(body, ".*password.*")', 'log')(f)).toBe(true);
    expect(compileCondition('severity_text == "WARN"', 'log')(f)).toBe(true);
  });

  it('metric and datapoint contexts', () => {
    const metric: Metric = {
      name: 'k8s.pod.phase',
      gauge: {
        dataPoints: [{ attributes: objectToAttributes({ 'http.method': 'GET' }), timeUnixNano: 0, asInt: Long.fromNumber(4) }],
      },
    };
    const point = metric.gauge?.dataPoints[0];
    const f: Frame = { resource: undefined, scope: undefined, metric, ...(point ? { point } : {}) };
    expect(compileCondition('type == METRIC_DATA_TYPE_GAUGE', 'metric')(f)).toBe(true);
    expect(compileCondition('HasAttrOnDatapoint("http.method", "GET")', 'metric')(f)).toBe(true);
    expect(compileCondition('HasAttrKeyOnDatapoint("nope")', 'metric')(f)).toBe(false);
    expect(compileCondition('metric.name == "k8s.pod.phase" and value_int == 4', 'datapoint')(f)).toBe(true);
    expect(compileCondition('value_double == 0', 'datapoint')(f)).toBe(true);
  });
});
