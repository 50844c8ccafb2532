/**
 * The demo "widget-operator": two controllers (`widgets`, `certificates`) built with
 * @stitch/instrumentation's `createController` over an in-memory, informer-like source of
 * simulated objects — no Kubernetes needed. Reconciles take realistic time, some conflict and are
 * retried with backoff, some wait for a rollout and requeue, one object has an invalid spec and
 * fails terminally. Every reconcile gets a `rid`, a span and log lines that carry it.
 *
 *   node examples/demo-operator.ts
 */
import { EventEmitter } from 'node:events';
import {
  type Controller,
  createController,
  createLogger,
  type ReconcileContext,
  setupTelemetry,
  TerminalError,
} from '@stitch/instrumentation';
import { chance, latency, onStop, pick, sleep, tell } from './lib/child.ts';

const telemetry = setupTelemetry({ serviceName: 'widget-operator', serviceVersion: '0.9.0' });
const log = createLogger({ otlp: true, level: 'info' });

/** A simulated custom resource. */
interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { namespace: string; name: string; generation: number };
  spec: { replicas: number };
}

/**
 * An informer stand-in: holds objects, emits `add` for each on start, then `update` as they
 * "change" — the events a @kubernetes/client-node informer emits, so the controller code is the
 * same as against a real API server.
 */
class InMemoryInformer extends EventEmitter {
  private readonly objects = new Map<string, Resource>();
  private timer: NodeJS.Timeout | undefined;

  constructor(kind: string, items: { namespace: string; name: string; replicas: number }[]) {
    super();
    for (const i of items) {
      this.objects.set(`${i.namespace}/${i.name}`, {
        apiVersion: 'demo.stitch.dev/v1',
        kind,
        metadata: { namespace: i.namespace, name: i.name, generation: 1 },
        spec: { replicas: i.replicas },
      });
    }
  }

  get(namespace: string | undefined, name: string): Resource | undefined {
    return this.objects.get(`${namespace ?? ''}/${name}`);
  }

  /** Lists everything, then changes a random object every `everyMs`. */
  start(everyMs: number): void {
    for (const o of this.objects.values()) this.emit('add', o);
    this.timer = setInterval(() => {
      const o = pick([...this.objects.values()]);
      o.metadata.generation++;
      if (o.spec.replicas >= 0 && chance(0.3)) o.spec.replicas = 1 + Math.floor(Math.random() * 5);
      this.emit('update', o);
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Runs `fn` as a child span of the reconcile span. */
function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return telemetry.tracer.startActiveSpan(name, async (span) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });
}

const widgets = new InMemoryInformer('Widget', [
  { namespace: 'shop', name: 'frontend', replicas: 3 },
  { namespace: 'shop', name: 'cart', replicas: 2 },
  { namespace: 'shop', name: 'checkout', replicas: 2 },
  { namespace: 'shop', name: 'search', replicas: 4 },
  { namespace: 'payments', name: 'gateway', replicas: 2 },
  { namespace: 'payments', name: 'ledger', replicas: 1 },
  { namespace: 'payments', name: 'broken-widget', replicas: -1 },
]);
const certificates = new InMemoryInformer('Certificate', [
  { namespace: 'shop', name: 'shop-example-com', replicas: 0 },
  { namespace: 'payments', name: 'pay-example-com', replicas: 0 },
  { namespace: 'internal', name: 'grafana-internal', replicas: 0 },
]);

const counts = { reconciles: 0, failed: 0 };
const onOutcome = (o: { result: string }) => {
  counts.reconciles++;
  if (o.result === 'error') counts.failed++;
};

async function reconcileWidget(req: { namespace?: string; name: string }, ctx: ReconcileContext) {
  const obj = widgets.get(req.namespace, req.name);
  if (obj === undefined) {
    ctx.log?.info('widget is gone; nothing to do');
    return;
  }
  ctx.log?.info({ generation: obj.metadata.generation }, 'reconciling widget');
  await step('get Deployment', () => sleep(latency(15, 0.5)));
  if (obj.spec.replicas < 0) {
    ctx.log?.error({ replicas: obj.spec.replicas }, 'invalid spec: replicas must not be negative');
    throw new TerminalError(`spec.replicas must be >= 0, got ${obj.spec.replicas}`);
  }
  if (chance(0.08)) {
    ctx.log?.warn('conflict while updating status; retrying');
    throw new Error(
      `Operation cannot be fulfilled on widgets.demo.stitch.dev "${req.name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
  }
  await step('apply Deployment', () => sleep(latency(60, 0.9)));
  if (chance(0.15)) {
    const ready = Math.floor(Math.random() * obj.spec.replicas);
    ctx.log?.info({ ready, desired: obj.spec.replicas }, 'waiting for rollout');
    return { requeueAfterMs: 2000 + Math.floor(Math.random() * 3000) };
  }
  await step('update status', () => sleep(latency(8, 0.4)));
  ctx.log?.info({ replicas: obj.spec.replicas }, 'widget reconciled');
}

async function reconcileCertificate(req: { namespace?: string; name: string }, ctx: ReconcileContext) {
  ctx.log?.info('checking certificate expiry');
  await step('get Secret', () => sleep(latency(10, 0.4)));
  if (chance(0.05)) {
    ctx.log?.error({ issuer: 'letsencrypt' }, 'ACME order failed: too many requests');
    throw new Error('ACME order failed: 429 too many requests');
  }
  await step('acme.renew', () => sleep(latency(180, 1.0)));
  ctx.log?.info({ secret: `${req.name}-tls` }, 'certificate is valid for 60 days');
  return { requeueAfterMs: 10_000 };
}

const controllers: Controller[] = [
  createController({ controller: 'widgets', maxConcurrentReconciles: 2, logger: log, onOutcome, reconcile: reconcileWidget }),
  createController({ controller: 'certificates', logger: log, onOutcome, reconcile: reconcileCertificate }),
];
widgets.on('add', controllers[0].enqueueObject);
widgets.on('update', controllers[0].enqueueObject);
certificates.on('add', controllers[1].enqueueObject);
for (const c of controllers) c.start();
widgets.start(400);
certificates.start(3000);
log.info('widget-operator started');
tell({ type: 'started' });
const report = setInterval(() => tell({ type: 'stats', ...counts }), 1000);

onStop(async () => {
  clearInterval(report);
  widgets.stop();
  certificates.stop();
  await Promise.all(controllers.map((c) => c.stop()));
  await telemetry.shutdown();
});
