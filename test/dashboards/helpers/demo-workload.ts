/**
 * A demo service (fastify + stitchFastify) and a demo operator (createController) instrumented
 * with @stitch/instrumentation, pushing OTLP to `endpoint` every 250 ms: the telemetry the
 * Service and Operator dashboards are built for, with successes, 5xx errors, slow requests,
 * reconcile errors, retries, a terminal error and requeues. Resources carry the Kubernetes
 * attributes a pod would (namespace, pod, node) so `target_info` has them.
 */
import { createController, setupTelemetry, stitchFastify, type Telemetry, TerminalError } from '@stitch/instrumentation';
import Fastify, { type FastifyInstance } from 'fastify';

/** Names the demo uses, for assertions. */
export const DEMO = {
  namespace: 'demo',
  service: 'demo-shop',
  operator: 'demo-operator',
  controller: 'widgets',
  routes: ['/items/:id', '/slow', '/fail', '/orders'],
} as const;

/** A running demo. */
export interface DemoWorkload {
  /** `x-request-id` of every request sent. */
  readonly requestIds: string[];
  /** Sends one more round of requests and reconciles. */
  round(): Promise<void>;
  /** Flushes both telemetry setups and stops everything. */
  stop(): Promise<void>;
}

function resource(name: string): Record<string, string> {
  return {
    'k8s.namespace.name': DEMO.namespace,
    'k8s.pod.name': `${name}-7d9f8b-x2x4q`,
    'k8s.node.name': 'node-1',
  };
}

/** Starts the demo service and operator against the OTLP/HTTP base URL `endpoint`. */
export async function startDemoWorkload(endpoint: string): Promise<DemoWorkload> {
  const common = { endpoint, metricExportIntervalMs: 250, logs: false, registerGlobals: false } as const;
  const shopTelemetry: Telemetry = setupTelemetry({
    ...common,
    serviceName: DEMO.service,
    serviceVersion: '1.4.2',
    resourceAttributes: resource(DEMO.service),
  });
  const operatorTelemetry: Telemetry = setupTelemetry({
    ...common,
    serviceName: DEMO.operator,
    serviceVersion: '0.9.0',
    resourceAttributes: resource(DEMO.operator),
  });

  const app: FastifyInstance = Fastify();
  await app.register(stitchFastify, { telemetry: shopTelemetry });
  app.get('/items/:id', async (req) => ({ id: (req.params as { id: string }).id }));
  app.get('/slow', async () => {
    await new Promise((r) => setTimeout(r, 30));
    return { ok: true };
  });
  app.get('/fail', async () => {
    throw new Error('database unavailable');
  });
  app.post('/orders', async (_req, reply) => reply.code(201).send({ created: true }));
  const base = await app.listen({ host: '127.0.0.1', port: 0 });

  const attempts = new Map<string, number>();
  const controller = createController({
    controller: DEMO.controller,
    telemetry: operatorTelemetry,
    maxConcurrentReconciles: 2,
    async reconcile(req) {
      const n = (attempts.get(req.name) ?? 0) + 1;
      attempts.set(req.name, n);
      await new Promise((r) => setTimeout(r, 2));
      if (req.name.startsWith('flaky') && n % 3 !== 0) throw new Error('conflict: the object has been modified');
      if (req.name.startsWith('broken')) throw new TerminalError('spec.size must be positive');
      if (req.name.startsWith('later') && n % 2 === 1) return { requeueAfterMs: 20 };
      return undefined;
    },
  });
  controller.start();

  const requestIds: string[] = [];
  let generation = 0;
  const round = async () => {
    generation++;
    const calls: [string, string][] = [
      ['GET', `/items/${generation}`],
      ['GET', '/items/42'],
      ['GET', '/slow'],
      ['GET', '/fail'],
      ['POST', '/orders'],
    ];
    for (const [method, path] of calls) {
      const res = await fetch(`${base}${path}`, { method });
      await res.arrayBuffer();
      const id = res.headers.get('x-request-id');
      if (id) requestIds.push(id);
    }
    for (const name of [`ok-${generation}`, 'flaky-a', 'broken-b', 'later-c']) {
      controller.enqueueObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { namespace: DEMO.namespace, name } });
    }
  };

  return {
    requestIds,
    round,
    async stop() {
      await controller.stop();
      await app.close();
      await shopTelemetry.flush();
      await operatorTelemetry.flush();
      await shopTelemetry.shutdown();
      await operatorTelemetry.shutdown();
    },
  };
}
