/**
 * The catalogue of emitted names (@stitch/dashboards catalogue.ts) against the real producers:
 * - @stitch/instrumentation's demo service and operator → OTLP → the prometheusremotewrite
 *   exporter's translation with its default options → Prometheus names and label names;
 * - the collector's self-metrics registry (prom-client defaults with the `stitch_` prefix);
 * - component metrics registered elsewhere in collector/src (queues, k8sattributes);
 * - the loki exporter's default stream labels.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOKI_STREAM_LABELS, METRICS, type MetricName, type MetricSpec, seriesIndex, seriesNames } from '@stitch/dashboards';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOKI_DEFAULT_INDEX_ATTRIBUTES, normalizeLabelName } from '../../collector/src/exporters/loki/labels.js';
import { prometheusRemoteWriteConfigSchema } from '../../collector/src/exporters/prometheus-remote-write/config.js';
import { createTranslator } from '../../collector/src/exporters/prometheus-remote-write/translate.js';
import { SelfTelemetry } from '../../collector/src/telemetry/self-metrics.js';
import { DEMO, type DemoWorkload, startDemoWorkload } from './helpers/demo-workload.js';
import { type OtlpCapture, startOtlpCapture } from './helpers/otlp-capture.js';

const families = Object.entries(METRICS) as [MetricName, MetricSpec][];

describe('instrumentation → prometheusremotewrite translation', () => {
  let capture: OtlpCapture;
  let demo: DemoWorkload;
  /** Series name → label names seen, from the translated remote-write series. */
  const seen = new Map<string, Set<string>>();
  const exemplarLabels = new Map<string, Set<string>>();

  beforeAll(async () => {
    capture = await startOtlpCapture();
    demo = await startDemoWorkload(capture.url);
    for (let i = 0; i < 3; i++) {
      await demo.round();
      await new Promise((r) => setTimeout(r, 100));
    }
    await demo.stop();
    const c = prometheusRemoteWriteConfigSchema.parse({ endpoint: 'http://127.0.0.1:9090/api/v1/write' });
    const translator = createTranslator({
      namespace: c.namespace,
      addMetricSuffixes: c.add_metric_suffixes,
      externalLabels: c.external_labels,
      resourceToTelemetry: c.resource_to_telemetry_conversion.enabled,
      excludeServiceAttributes: c.resource_to_telemetry_conversion.exclude_service_attributes,
      targetInfo: c.target_info.enabled,
      exportCreatedMetric: c.export_created_metric.enabled,
      sendMetadata: c.send_metadata,
      exponentialHistograms: c.exponential_histograms,
    });
    for (const batch of capture.metrics) {
      for (const ts of translator.translate(batch).series) {
        const name = ts.labels.find((l) => l.name === '__name__')?.value as string;
        const labels = seen.get(name) ?? new Set<string>();
        for (const l of ts.labels) if (l.name !== '__name__') labels.add(l.name);
        seen.set(name, labels);
        for (const e of ts.exemplars) {
          const el = exemplarLabels.get(name) ?? new Set<string>();
          for (const l of e.labels) el.add(l.name);
          exemplarLabels.set(name, el);
        }
      }
    }
  });

  afterAll(async () => {
    await capture?.close();
  });

  const produced = families.filter(([, s]) => s.source === 'instrumentation' || s.source === 'translation');

  it.each(produced)('%s: every series name exists with exactly the catalogued labels', (family, spec) => {
    const index = seriesIndex();
    for (const name of seriesNames(family)) {
      const labels = seen.get(name);
      expect(labels, `${name} was not produced; produced: ${[...seen.keys()].sort().join(', ')}`).toBeDefined();
      const allowed = index.get(name)?.labels as Set<string>;
      // Nothing the dashboards could miss, and nothing catalogued that never comes.
      expect([...(labels as Set<string>)].filter((l) => !allowed.has(l) && spec.source !== 'translation')).toEqual([]);
      expect([...allowed].filter((l) => !(labels as Set<string>).has(l))).toEqual([]);
    }
  });

  it('no _total_total: counters named *_total over OTLP keep one suffix', () => {
    expect([...seen.keys()].filter((n) => n.includes('_total_total'))).toEqual([]);
  });

  it('duration exemplars carry the IDs the datasource links on', () => {
    expect([...(exemplarLabels.get('http_server_request_duration_seconds_bucket') ?? [])].sort()).toEqual(
      [...(METRICS.http_server_request_duration_seconds.exemplars as readonly string[])].sort(),
    );
    expect([...(exemplarLabels.get('controller_runtime_reconcile_time_seconds_bucket') ?? [])].sort()).toEqual(
      [...(METRICS.controller_runtime_reconcile_time_seconds.exemplars as readonly string[])].sort(),
    );
  });

  it('the demo used the names the dashboards filter on', () => {
    expect(seen.get('target_info')).toContain('k8s_namespace_name');
    expect(DEMO.routes.length).toBe(4);
  });
});

describe('collector self-metrics', () => {
  it('prom-client default process and Node.js metrics exist with the stitch_ prefix', async () => {
    const t = new SelfTelemetry();
    const c = t.forComponent('otlp');
    c.accepted('metrics', 1, 'http');
    c.refused('metrics', 1, 'decode_error', 'http');
    c.incoming('metrics', 1);
    c.outgoing('metrics', 1);
    c.dropped('metrics', 1, 'filtered');
    c.sent('metrics', 1);
    c.sendFailed('metrics', 1, 'downstream_error');
    const json = await t.registry.getMetricsAsJSON();
    const registered = new Map(json.map((m) => [m.name, new Set(m.values.flatMap((v) => Object.keys(v.labels)))]));
    const own = families.filter(([name, s]) => s.source === 'collector' && registered.has(name));
    // The pipeline counters and the process metrics the health dashboard shows.
    expect(own.length).toBeGreaterThanOrEqual(12);
    for (const [name, spec] of own) expect(registered.get(name), name).toEqual(new Set(spec.labels));
  });

  it('component metrics (queues, k8sattributes) are registered in collector/src with their labels', () => {
    const root = fileURLToPath(new URL('../../collector/src', import.meta.url));
    const sources: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) sources.push(readFileSync(p, 'utf8'));
      }
    };
    walk(root);
    const text = sources.join('\n');
    const t = new SelfTelemetry();
    const inRegistry = new Set(t.registry.getMetricsAsArray().map((m) => m.name));
    for (const [name, spec] of families.filter(([n, s]) => s.source === 'collector' && !inRegistry.has(n))) {
      const at = text.indexOf(`'${name}'`);
      expect(at, `${name} is not registered anywhere in collector/src`).toBeGreaterThan(-1);
      // The labels appear in the registration (label names, or keys of the observe() labels object).
      const around = text.slice(Math.max(0, at - 400), at + 600);
      for (const l of spec.labels.filter((l) => l !== 'component_id')) expect(around, `${name} label ${l}`).toContain(l);
    }
  });
});

describe('loki exporter', () => {
  it('the catalogue’s stream labels are the exporter’s default index labels', () => {
    expect([...LOKI_STREAM_LABELS]).toEqual(LOKI_DEFAULT_INDEX_ATTRIBUTES.map(normalizeLabelName));
  });
});
