/**
 * End to end: a demo pod operator built with createController() is fed by a real
 * @kubernetes/client-node informer (list + watch) over the Kubernetes API server stand-in, and
 * exports OTLP to the test sink. Asserts what an operator author would look at: which reconciles
 * ran (results, backoff, RequeueAfter, terminal errors, panics, key deduplication), the `rid` in
 * spans and log lines, controller-runtime's and client-go's metric names and labels, `rid`
 * exemplars, and that a forced 410 Expired (relist) and a dropped watch answered 503 (informer
 * stopped, restarted by our error handler) lose no reconcile.
 */
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from '@kubernetes/client-node';
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
import { type KubeApiServer, podObject, startKubeApiServer } from '../helpers/kube-apiserver.js';
import { type OtlpSink, startOtlpSink } from './helpers/otlp-sink.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TOKEN = 'operator-sa-token';
const NS = 'shop';
const MANAGED = 'app.kubernetes.io/managed-by';
const BEHAVIOUR = 'demo.stitch.dev/behaviour';

async function until(what: string, predicate: () => boolean, timeoutMs = 5_000, state?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(state?.())}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One reconcile as the demo operator saw it. */
interface Attempt {
  name: string;
  at: number;
  rid: string;
  storeRid: string | undefined;
}

describe('operator on a real informer over the list/watch API server stand-in → OTLP', () => {
  let api: KubeApiServer;
  let sink: OtlpSink;
  let telemetry: Telemetry;

  beforeAll(async () => {
    api = await startKubeApiServer({ token: TOKEN });
    sink = await startOtlpSink();
    telemetry = setupTelemetry({ serviceName: 'pod-operator', endpoint: sink.url });
  });

  afterAll(async () => {
    await telemetry?.shutdown();
    await sink?.close();
    await api?.close();
  });

  it('reconciles, retries, dedups and survives 410 and a dropped watch, with rid in spans, logs and exemplars', async () => {
    const started = performance.now();
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      destination: { write: (s: string) => void lines.push(JSON.parse(s)) },
      otlp: { url: `${sink.url}/v1/logs` },
      level: 'info',
    });

    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'stand-in', server: api.url, skipTLSVerify: true }], // client-node refuses http:// otherwise,
      users: [{ name: 'operator', token: TOKEN }],
      contexts: [{ name: 'stand-in', cluster: 'stand-in', user: 'operator' }],
      currentContext: 'stand-in',
    });
    const core = kc.makeApiClient(CoreV1Api);
    const selector = `${MANAGED}=demo-operator`;
    const informer = makeInformer(
      kc,
      `/api/v1/namespaces/${NS}/pods`,
      () => core.listNamespacedPod({ namespace: NS, labelSelector: selector }),
      selector,
    );

    const attempts: Attempt[] = [];
    const outcomes: ReconcileOutcome[] = [];
    const countOf = (name: string) => attempts.filter((a) => a.name === name).length;
    let releaseHold: () => void = () => {};
    const hold = new Promise<void>((r) => {
      releaseHold = r;
    });

    const controller = createController({
      controller: 'pods',
      maxConcurrentReconciles: 2,
      logger,
      onOutcome: (o) => outcomes.push(o),
      async reconcile(req, ctx) {
        const n = countOf(req.name) + 1;
        attempts.push({ name: req.name, at: performance.now(), rid: ctx.rid, storeRid: currentReconcileId() });
        // Level-triggered, as operators are: read the informer's cache, not the event.
        const pod = informer.get(req.name, req.namespace) as V1Pod | undefined;
        if (pod === undefined) {
          ctx.log?.info({ attempt: n }, 'reconciling');
          ctx.log?.info('pod gone, nothing to clean up');
          return;
        }
        ctx.log?.info({ attempt: n }, 'reconciling');
        await new Promise((r) => setImmediate(r));
        switch (pod.metadata?.labels?.[BEHAVIOUR]) {
          case 'flaky':
            if (n <= 2) throw new Error('the object has been modified; please apply your changes to the latest version');
            return;
          case 'terminal':
            throw new TerminalError('spec.containers[0].image is not allowed');
          case 'panic':
            if (n === 1) throw 'assignment to entry in nil map'; // a thrown non-Error
            return;
          case 'nil-deref': {
            // JavaScript's nil dereference: a TypeError, counted as a panic
            const config = n === 1 ? (JSON.parse('null') as { replicas: number }) : { replicas: 1 };
            return config.replicas > 0 ? undefined : { requeue: true };
          }
          case 'later':
            return n === 1 ? { requeueAfterMs: 50 } : undefined;
          case 'again':
            return n === 1 ? { requeue: true } : undefined;
          case 'hold':
            if (n === 1) await hold;
            return;
          default:
            return;
        }
      },
    });

    // How an operator feeds the controller from a client-node informer: add/update/delete enqueue the
    // key; the informer stops for good on any error but 410 (a dropped connection included), so the
    // error handler restarts it (from its last resourceVersion: no relist, no lost event).
    const informerErrors: { statusCode?: number; message?: string }[] = [];
    let stopping = false;
    informer.on('add', controller.enqueueObject);
    informer.on('update', controller.enqueueObject);
    informer.on('delete', controller.enqueueObject);
    informer.on('error', (err: { statusCode?: number; message?: string }) => {
      informerErrors.push(err);
      if (!stopping) setTimeout(() => void informer.start(), 50);
    });

    const pod = (name: string, behaviour: string, managed = true) =>
      api.put(
        'pods',
        podObject({
          name,
          namespace: NS,
          node: 'node-a',
          labels: { ...(managed ? { [MANAGED]: 'demo-operator' } : {}), [BEHAVIOUR]: behaviour },
        }),
      );
    const touch = (name: string, rev: string) =>
      api.modify('pods', NS, name, (o) => {
        o.metadata.labels = { ...o.metadata.labels, 'demo.stitch.dev/rev': rev };
      });
    const cachedRv = (name: string) => (informer.get(name, NS) as V1Pod | undefined)?.metadata?.resourceVersion;
    const storedRv = (name: string) => api.get('pods', NS, name)?.metadata.resourceVersion;

    // --- Phase A: the initial list carries every behaviour.
    for (const [name, behaviour] of [
      ['ok', 'ok'],
      ['flaky', 'flaky'],
      ['terminal', 'terminal'],
      ['panicky', 'panic'],
      ['nil-deref', 'nil-deref'],
      ['later', 'later'],
      ['again', 'again'],
    ] as const) {
      pod(name, behaviour);
    }
    pod('unmanaged', 'ok', false);
    controller.start();
    await informer.start();
    const phaseA = { ok: 1, flaky: 3, terminal: 1, panicky: 2, 'nil-deref': 2, later: 2, again: 2 };
    await until(
      'phase A reconciles',
      () => Object.entries(phaseA).every(([k, v]) => countOf(k) === v),
      5_000,
      () => ({ attempts: attempts.map((a) => a.name), calls: api.calls, errors: informerErrors.map(String) }),
    );
    await until('phase A outcomes', () => outcomes.length === 13);

    // --- Phase B: dedup. Both workers are held by 'hold-1' and 'hold-2'; 'ok' changes three times
    // while queued (one reconcile), 'hold-1' twice while being processed (one more, afterwards).
    pod('hold-1', 'hold');
    pod('hold-2', 'hold');
    await until('both workers held', () => countOf('hold-1') === 1 && countOf('hold-2') === 1);
    for (const rev of ['1', '2', '3']) touch('ok', rev);
    for (const rev of ['1', '2']) touch('hold-1', rev);
    touch('unmanaged', '1');
    await until('informer caught up', () => cachedRv('ok') === storedRv('ok') && cachedRv('hold-1') === storedRv('hold-1'));
    expect(controller.queue.length).toBe(1); // 'ok' once
    expect(controller.queue.depth).toBe(2); // 'ok' queued + 'hold-1' dirty while processing
    expect(countOf('ok')).toBe(1);
    // hold a little longer, so the held reconciles are clearly the slowest (exemplar check below)
    await new Promise((r) => setTimeout(r, 100));
    releaseHold();
    await until('phase B reconciles', () => countOf('ok') === 2 && countOf('hold-1') === 2 && outcomes.length === 17);
    expect(countOf('hold-2')).toBe(1);

    // --- Phase C: 410 Expired mid-run. Changes made while the informer is between its watch and its
    // relist (a modify, a create, a delete) each give exactly one reconcile.
    expect(api.callsTo(/\/pods$/).filter((c) => !c.watch)).toHaveLength(1);
    api.forceGone();
    touch('ok', '4');
    pod('late', 'ok');
    api.remove('pods', NS, 'again');
    await until('relist reconciles', () => countOf('ok') === 3 && countOf('late') === 1 && countOf('again') === 3);
    await until('watch reopened', () => api.openWatches === 1 && api.callsTo(/\/pods$/).filter((c) => c.watch).length === 2);
    touch('late', '1'); // arrives over the new watch
    await until('post-410 watch event', () => countOf('late') === 2 && outcomes.length === 21);
    const lists = api.callsTo(/\/pods$/).filter((c) => !c.watch);
    expect(lists).toHaveLength(2); // the initial list and the relist after 410
    expect(lists.every((c) => c.status === 200 && c.query.labelSelector === selector)).toBe(true);

    // --- Phase D: the watch connection drops, and the first re-watch is answered 503: client-node's
    // informer gives up each time (error callback); our handler restarts it from its last resourceVersion.
    api.failNext({ status: 503, match: /\/pods\?watch$/ });
    api.dropConnections();
    touch('ok', '5');
    await until('reconcile after restart', () => countOf('ok') === 4 && outcomes.length === 22, 8_000);
    // the drop itself already stopped it (undici's 'terminated'), then the first restart met the 503
    expect(informerErrors.map((e) => [e.statusCode, e.message])).toEqual([
      [undefined, 'terminated'],
      [503, 'Service Unavailable'],
    ]);
    expect(api.calls.filter((c) => c.watch && c.status === 503)).toHaveLength(1);
    expect(api.callsTo(/\/pods$/).filter((c) => !c.watch)).toHaveLength(2); // resumed from the cached version: no relist
    expect(api.calls.every((c) => c.status !== 401)).toBe(true);

    // Nothing more trickles in: terminal stays at one attempt, the unmanaged pod is never seen.
    await new Promise((r) => setTimeout(r, 150));
    stopping = true;
    await informer.stop();
    await controller.stop();
    const perPod = Object.fromEntries([...new Set(attempts.map((a) => a.name))].sort().map((k) => [k, countOf(k)]));
    expect(perPod).toEqual({
      again: 3, // requeue, success, then its deletion (cache miss)
      flaky: 3,
      'hold-1': 2,
      'hold-2': 1,
      late: 2,
      later: 2,
      'nil-deref': 2,
      ok: 4, // initial, 3 changes while queued → 1, relist, restart
      panicky: 2,
      terminal: 1,
    });
    expect(outcomes).toHaveLength(22);

    // Backoff: client-go's per-item 5 ms · 2ⁿ; RequeueAfter exactly 50 ms.
    const at = (name: string) => attempts.filter((a) => a.name === name).map((a) => a.at);
    const [f0, f1, f2] = at('flaky') as [number, number, number];
    expect(f1 - f0).toBeGreaterThanOrEqual(4);
    expect(f2 - f1).toBeGreaterThanOrEqual(9);
    const [l0, l1] = at('later') as [number, number];
    expect(l1 - l0).toBeGreaterThanOrEqual(49);
    const [p0, p1] = at('panicky') as [number, number];
    expect(p1 - p0).toBeGreaterThanOrEqual(4);

    // Outcomes as controller-runtime's reconcileHandler names them.
    const byRid = new Map(outcomes.map((o) => [o.rid, o]));
    const outcomeOf = (name: string, i: number) => byRid.get(attempts.filter((a) => a.name === name)[i]!.rid)!;
    expect(outcomeOf('terminal', 0)).toMatchObject({ result: 'error', terminal: true, panic: false });
    expect(outcomeOf('panicky', 0)).toMatchObject({ result: 'error', terminal: false, panic: true });
    expect((outcomeOf('panicky', 0).error as { code?: string }).code).toBe('STITCH_ERR_RECONCILE_PANIC');
    expect(outcomeOf('nil-deref', 0)).toMatchObject({ result: 'error', panic: true });
    expect(outcomeOf('nil-deref', 0).error).toBeInstanceOf(TypeError);
    expect(outcomeOf('flaky', 1)).toMatchObject({ result: 'error', terminal: false, panic: false });
    expect(outcomeOf('later', 0)).toMatchObject({ result: 'requeue_after', requeueAfterMs: 50 });
    expect(outcomeOf('again', 0).result).toBe('requeue');
    for (const a of attempts) {
      expect(a.rid).toMatch(UUID);
      expect(a.storeRid).toBe(a.rid);
    }
    expect(new Set(attempts.map((a) => a.rid)).size).toBe(22);

    // --- Spans: one root per reconcile, with exactly the documented attributes.
    await telemetry.flush();
    const spans = sink.spans().filter((s) => s.name === 'reconcile pods');
    expect(spans).toHaveLength(22);
    for (const a of attempts) {
      const o = byRid.get(a.rid)!;
      const span = spans.find((s) => s.attributes.rid === a.rid)!;
      expect(span.parentSpanId).toBe('');
      expect(span.attributes).toEqual({
        controller: 'pods',
        'k8s.object.namespace': NS,
        'k8s.object.name': a.name,
        rid: a.rid,
        'controller_runtime.result': o.result,
        ...(o.result === 'error' ? { 'error.type': o.terminal ? 'TerminalError' : o.panic ? 'panic' : 'Error' } : {}),
      });
      expect(span.statusCode).toBe(o.result === 'error' ? 2 : 0);
      expect(span.events).toEqual(o.error instanceof Error ? ['exception'] : []);
    }

    // --- Metrics: controller-runtime's and client-go's names and labels, cumulative.
    const points = sink.points();
    const value = (metric: string, attributes: Record<string, unknown>) => {
      const found = points.filter((p) => p.metric === metric && JSON.stringify(p.attributes) === JSON.stringify(attributes));
      expect(found, `${metric} ${JSON.stringify(attributes)}`).toHaveLength(1);
      return found[0]!.value;
    };
    const total = (result: string) => value('controller_runtime_reconcile_total', { controller: 'pods', result });
    expect({
      success: total('success'),
      error: total('error'),
      requeue: total('requeue'),
      requeue_after: total('requeue_after'),
    }).toEqual({ success: 15, error: 5, requeue: 1, requeue_after: 1 });
    expect(value('controller_runtime_reconcile_errors_total', { controller: 'pods' })).toBe(5);
    expect(value('controller_runtime_terminal_reconcile_errors_total', { controller: 'pods' })).toBe(1);
    expect(value('controller_runtime_reconcile_panics_total', { controller: 'pods' })).toBe(2);
    expect(value('controller_runtime_active_workers', { controller: 'pods' })).toBe(0);
    expect(value('controller_runtime_max_concurrent_reconciles', { controller: 'pods' })).toBe(2);
    for (const p of points.filter((p) => p.metric.startsWith('controller_runtime_') && p.metric.endsWith('_total'))) {
      expect([p.kind, p.monotonic]).toEqual(['sum', true]);
    }

    const q = { name: 'pods', controller: 'pods' };
    expect(value('workqueue_adds_total', q)).toBe(22); // one per reconcile: dedup'd adds are not counted
    expect(value('workqueue_retries_total', q)).toBe(5); // flaky ×2, panicky, nil-deref, again
    expect(value('workqueue_depth', q)).toBe(0);
    expect(value('workqueue_unfinished_work_seconds', q)).toBe(0);
    expect(value('workqueue_longest_running_processor_seconds', q)).toBe(0);
    for (const name of ['workqueue_queue_duration_seconds', 'workqueue_work_duration_seconds']) {
      const h = points.filter((p) => p.metric === name);
      expect(h).toHaveLength(1);
      expect(h[0]).toMatchObject({ kind: 'histogram', unit: 's', count: 22, attributes: q });
      expect(h[0]!.bounds).toEqual(
        [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000].map((b) => expect.closeTo(b, 12)),
      );
    }
    // work duration covers the reconciles: at least the two held ones (≥ 100 ms each)
    const work = points.find((p) => p.metric === 'workqueue_work_duration_seconds')!;
    expect(work.sum!).toBeGreaterThanOrEqual(0.19);

    const time = points.filter((p) => p.metric === 'controller_runtime_reconcile_time_seconds');
    expect(time).toHaveLength(1);
    expect(time[0]).toMatchObject({ kind: 'histogram', unit: 's', count: 22, attributes: { controller: 'pods' } });
    expect(time[0]!.bounds).toHaveLength(40);
    expect([time[0]!.bounds![0], time[0]!.bounds![39]]).toEqual([0.005, 60]);
    const exemplars = time[0]!.exemplars;
    expect(exemplars.length).toBeGreaterThan(0);
    for (const e of exemplars) {
      expect(Object.keys(e.attributes)).toEqual(['rid']);
      const span = spans.find((s) => s.attributes.rid === e.attributes.rid)!;
      expect([span.traceId, span.spanId]).toEqual([e.traceId, e.spanId]);
      expect(e.value).toBeCloseTo(byRid.get(e.attributes.rid as string)!.durationSeconds, 9);
    }
    // the held reconciles are the slowest: the exemplar of the highest filled bucket is one of them
    const slowest = exemplars.reduce((a, b) => (b.value > a.value ? b : a));
    const heldRids = attempts.filter((a) => a.name.startsWith('hold-')).map((a) => a.rid);
    expect(heldRids).toContain(slowest.attributes.rid);

    // --- Logs: every line inside a reconcile carries controller, object, rid and the span's IDs.
    const reconciling = lines.filter((l) => l.msg === 'reconciling');
    expect(reconciling).toHaveLength(22);
    for (const line of reconciling) {
      const span = spans.find((s) => s.attributes.rid === line.rid)!;
      expect(line).toMatchObject({
        controller: 'pods',
        'k8s.object.namespace': NS,
        'k8s.object.name': span.attributes['k8s.object.name'],
        trace_id: span.traceId,
        span_id: span.spanId,
      });
    }
    const errorLines = lines.filter((l) => l.msg === 'Reconciler error');
    expect(errorLines.map((l) => l.rid).sort()).toEqual(
      outcomes
        .filter((o) => o.result === 'error')
        .map((o) => o.rid)
        .sort(),
    );
    for (const line of errorLines) {
      const span = spans.find((s) => s.attributes.rid === line.rid)!;
      expect([line.trace_id, line.span_id, line['k8s.object.name']]).toEqual([
        span.traceId,
        span.spanId,
        span.attributes['k8s.object.name'],
      ]);
    }
    expect(errorLines.find((l) => l['k8s.object.name'] === 'terminal')).toMatchObject({ terminal: true, panic: false });
    const gone = lines.find((l) => l.msg === 'pod gone, nothing to clean up')!;
    expect(gone).toMatchObject({ 'k8s.object.name': 'again', rid: attempts.filter((a) => a.name === 'again')[2]!.rid });

    // …and the same lines arrive as OTLP log records from pino's worker, trace-linked.
    await sink.waitFor(() => sink.logs().filter((l) => l.body === 'reconciling').length === 22, 8_000);
    for (const record of sink.logs().filter((l) => l.body === 'reconciling')) {
      const span = spans.find((s) => s.attributes.rid === record.attributes.rid)!;
      expect([record.traceId, record.spanId, record.attributes.controller]).toEqual([span.traceId, span.spanId, 'pods']);
    }

    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
