import { EventEmitter } from 'node:events';
import {
  createController,
  createLogger,
  currentReconcileId,
  type ReconcileOutcome,
  setupTelemetry,
  type Telemetry,
  TerminalError,
} from '@stitch/instrumentation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpSink, startOtlpSink } from './helpers/otlp-sink.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The smallest informer stand-in: emits add/update events with Kubernetes objects. */
class FakeInformer extends EventEmitter {
  put(namespace: string, name: string, event: 'add' | 'update' = 'add') {
    this.emit(event, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { namespace, name } });
  }
}

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('reconcile wrapper + controller → OTLP', () => {
  let sink: OtlpSink;
  let telemetry: Telemetry;
  const lines: Record<string, unknown>[] = [];
  const attempts = new Map<string, number[]>();
  const outcomes: ReconcileOutcome[] = [];
  const seenRid: (string | undefined)[] = [];
  let releaseSlow: () => void = () => {};
  const slowGate = new Promise<void>((r) => {
    releaseSlow = r;
  });

  beforeAll(async () => {
    sink = await startOtlpSink();
    telemetry = setupTelemetry({ serviceName: 'widget-operator', endpoint: sink.url });
  });

  afterAll(async () => {
    await telemetry.shutdown();
    await sink.close();
  });

  it('counts results like controller-runtime, backs off, dedups, and exports rid everywhere', async () => {
    const logger = createLogger({ destination: { write: (s: string) => void lines.push(JSON.parse(s)) }, level: 'info' });
    const controller = createController({
      controller: 'widgets',
      maxConcurrentReconciles: 2,
      logger,
      onOutcome: (o) => outcomes.push(o),
      async reconcile(req, ctx) {
        const times = attempts.get(req.name) ?? [];
        attempts.set(req.name, times);
        const n = times.push(performance.now());
        ctx.log?.info({ attempt: n }, 'reconciling');
        seenRid.push(currentReconcileId());
        await new Promise((r) => setImmediate(r));
        switch (req.name) {
          case 'flaky':
            if (n <= 2) throw new Error('conflict');
            return;
          case 'bad':
            throw new TerminalError('spec.size must be positive');
          case 'panicky':
            if (n === 1) throw 'nil map';
            return;
          case 'later':
            return n === 1 ? { requeueAfterMs: 30 } : undefined;
          case 'again':
            return n === 1 ? { requeue: true } : undefined;
          case 'slow':
            if (n === 1) await slowGate;
            return;
          default:
            return;
        }
      },
    });
    const informer = new FakeInformer();
    informer.on('add', controller.enqueueObject);
    informer.on('update', controller.enqueueObject);
    controller.start();

    for (const name of ['ok', 'flaky', 'bad', 'panicky', 'later', 'again', 'slow']) informer.put('prod', name);
    await until(() => attempts.get('slow')?.length === 1);
    // 'slow' is being processed: three more events for it collapse into one more reconcile
    informer.put('prod', 'slow', 'update');
    informer.put('prod', 'slow', 'update');
    informer.put('prod', 'slow', 'update');
    releaseSlow();

    const successes = () => outcomes.filter((o) => o.result === 'success').length;
    await until(() => successes() === 7);
    await new Promise((r) => setTimeout(r, 100));
    expect(successes()).toBe(7);
    const count = (name: string) => attempts.get(name)?.length ?? 0;
    expect(Object.fromEntries([...attempts.keys()].sort().map((k) => [k, count(k)]))).toEqual({
      again: 2,
      bad: 1, // terminal: never retried
      flaky: 3,
      later: 2,
      ok: 1,
      panicky: 2, // a panic is retried like an error
      slow: 2, // deduplicated while processing, processed once more after
    });
    // per-item exponential backoff: 5 ms, then 10 ms
    const f = attempts.get('flaky')!;
    expect(f[1]! - f[0]!).toBeGreaterThanOrEqual(4);
    expect(f[2]! - f[1]!).toBeGreaterThanOrEqual(9);
    const l = attempts.get('later')!;
    expect(l[1]! - l[0]!).toBeGreaterThanOrEqual(29);
    expect(outcomes.find((o) => o.terminal)).toMatchObject({ result: 'error', terminal: true, panic: false });
    expect(outcomes.find((o) => o.panic)).toMatchObject({ result: 'error', panic: true });
    expect(seenRid.every((r) => r !== undefined && UUID.test(r))).toBe(true);
    expect(new Set(seenRid).size).toBe(seenRid.length);

    await controller.stop();
    await telemetry.flush();
    const points = sink.points();
    const value = (metric: string, attributes: Record<string, unknown>) =>
      points.find((p) => p.metric === metric && JSON.stringify(p.attributes) === JSON.stringify(attributes))?.value;
    const total = (result: string) => value('controller_runtime_reconcile_total', { controller: 'widgets', result });
    expect([total('success'), total('error'), total('requeue'), total('requeue_after')]).toEqual([7, 4, 1, 1]);
    expect(value('controller_runtime_reconcile_errors_total', { controller: 'widgets' })).toBe(4);
    expect(value('controller_runtime_terminal_reconcile_errors_total', { controller: 'widgets' })).toBe(1);
    expect(value('controller_runtime_reconcile_panics_total', { controller: 'widgets' })).toBe(1);
    expect(value('controller_runtime_active_workers', { controller: 'widgets' })).toBe(0);
    expect(value('controller_runtime_max_concurrent_reconciles', { controller: 'widgets' })).toBe(2);
    for (const p of points.filter((p) => p.metric.startsWith('controller_runtime_reconcile') && p.kind === 'sum')) {
      expect(p.monotonic).toBe(true);
    }

    const q = { name: 'widgets', controller: 'widgets' };
    expect(value('workqueue_retries_total', q)).toBe(4); // flaky ×2, panicky, again
    expect(value('workqueue_adds_total', q)).toBe(13);
    expect(value('workqueue_depth', q)).toBe(0);
    expect(value('workqueue_unfinished_work_seconds', q)).toBe(0);
    expect(value('workqueue_longest_running_processor_seconds', q)).toBe(0);
    const work = points.find((p) => p.metric === 'workqueue_work_duration_seconds')!;
    expect(work).toMatchObject({ kind: 'histogram', count: 13, attributes: q });
    expect(work.bounds).toHaveLength(12);
    expect(points.find((p) => p.metric === 'workqueue_queue_duration_seconds')).toMatchObject({ count: 13, attributes: q });

    // the duration histogram: controller-runtime's buckets, rid exemplars pointing at real reconcile spans
    const time = points.find((p) => p.metric === 'controller_runtime_reconcile_time_seconds')!;
    expect(time).toMatchObject({ unit: 's', count: 13, attributes: { controller: 'widgets' } });
    expect(time.bounds).toHaveLength(40);
    expect(time.bounds![39]).toBe(60);
    expect(time.exemplars.length).toBeGreaterThan(0);
    const spans = sink.spans();
    for (const e of time.exemplars) {
      expect(Object.keys(e.attributes)).toEqual(['rid']);
      const span = spans.find((s) => s.attributes.rid === e.attributes.rid)!;
      expect(span).toMatchObject({ name: 'reconcile widgets', traceId: e.traceId, spanId: e.spanId });
    }
    const badSpan = spans.find((s) => s.attributes['k8s.object.name'] === 'bad')!;
    expect(badSpan.attributes).toMatchObject({
      controller: 'widgets',
      'k8s.object.namespace': 'prod',
      'error.type': 'TerminalError',
    });
    expect(badSpan.statusCode).toBe(2);
    expect(spans.filter((s) => s.name === 'reconcile widgets')).toHaveLength(13);

    // logs: every line inside a reconcile has controller, object, rid and the span's IDs
    const reconciling = lines.filter((l) => l.msg === 'reconciling');
    expect(reconciling).toHaveLength(13);
    for (const line of reconciling) {
      expect(line).toMatchObject({ controller: 'widgets', 'k8s.object.namespace': 'prod' });
      const span = spans.find((s) => s.attributes.rid === line.rid)!;
      expect(span).toBeDefined();
      expect([line.trace_id, line.span_id, line['k8s.object.name']]).toEqual([
        span.traceId,
        span.spanId,
        span.attributes['k8s.object.name'],
      ]);
    }
    const errorsLogged = lines.filter((l) => l.msg === 'Reconciler error');
    expect(errorsLogged).toHaveLength(4);
    expect(errorsLogged.every((l) => typeof l.rid === 'string' && l.controller === 'widgets')).toBe(true);
  });
});
