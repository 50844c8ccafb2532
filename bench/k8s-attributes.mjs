#!/usr/bin/env node
/**
 * k8sattributes memory and enrichment cost. The API server stand-in (this process) holds 100,000
 * pods on other nodes plus N pods on the collector's node; the processor runs in a child process
 * (`--expose-gc`) so its figures are its own. Run after `npm run build`:
 *
 *   node bench/k8s-attributes.mjs [--others 100000] [--sizes 0,110,1000]
 *
 * Prints `name: value unit` lines: RSS and heap after sync, heap bytes per cached pod (heap
 * growth over the 0-pod run divided by N), and enrichment time per 1,000 records (one resource
 * each, the worst case: one lookup per record).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    child: { type: 'boolean', default: false },
    url: { type: 'string' },
    pods: { type: 'string', default: '0' },
    others: { type: 'string', default: '100000' },
    sizes: { type: 'string', default: '0,110,1000' },
  },
});

const NODE = 'bench-node';
const ipOf = (i) => `10.200.${i >> 8}.${i & 255}`;

if (values.child) await child();
else await parent();

async function parent() {
  const { startKubeApiServer } = await import('../test/helpers/kube-apiserver.ts');
  const sizes = values.sizes.split(',').map(Number);
  const others = Number(values.others);
  const results = [];
  for (const n of sizes) {
    const api = await startKubeApiServer({ bookmarkIntervalMs: 60_000 });
    api.seedPods(
      (function* () {
        for (let i = 0; i < others; i++) {
          yield {
            name: `other-${i}`,
            namespace: `ns-${i % 200}`,
            node: `node-${i % 1000}`,
            ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          };
        }
      })(),
    );
    // This node's pods: Deployments of 10 replicas each (one ReplicaSet GET per 10 pods).
    for (let d = 0; d * 10 < n; d++) {
      const count = Math.min(10, n - d * 10);
      api.addDeployment({
        namespace: `team-${d % 20}`,
        name: `svc-${d}`,
        node: NODE,
        ips: Array.from({ length: count }, (_, i) => ipOf(d * 10 + i)),
      });
    }
    const out = await runChild(api.url, n);
    const clusterWide = api.calls.filter(
      (c) => c.path.endsWith('/pods') && c.query.fieldSelector !== `spec.nodeName=${NODE}`,
    ).length;
    results.push({ n, ...out, clusterWide, getCalls: api.calls.filter((c) => !c.path.endsWith('/pods')).length });
    await api.close();
  }
  const base = results.find((r) => r.n === 0);
  console.log(`k8s_other_node_pods: ${others} pods`);
  for (const r of results) {
    console.log(`k8s_rss_mib_${r.n}_pods: ${(r.rss / 2 ** 20).toFixed(1)} MiB`);
    console.log(`k8s_heap_used_mib_${r.n}_pods: ${(r.heap / 2 ** 20).toFixed(2)} MiB`);
    console.log(`k8s_heap_growth_vs_no_processor_kib_${r.n}_pods: ${((r.heap - r.heapBefore) / 1024).toFixed(0)} KiB`);
    if (base && r.n > 0) console.log(`k8s_bytes_per_cached_pod_${r.n}: ${Math.round((r.heap - base.heap) / r.n)} bytes`);
    const prev = results[results.indexOf(r) - 1];
    if (prev && prev.n > 0)
      console.log(`k8s_marginal_bytes_per_pod_${prev.n}_to_${r.n}: ${Math.round((r.heap - prev.heap) / (r.n - prev.n))} bytes`);
    if (r.n > 0) console.log(`k8s_enrich_us_per_1000_records_${r.n}_pods: ${r.enrichUs.toFixed(0)} us`);
    console.log(`k8s_api_gets_${r.n}_pods: ${r.getCalls} calls`);
    console.log(`k8s_cluster_wide_pod_calls_${r.n}_pods: ${r.clusterWide} calls`);
  }
}

function runChild(url, pods) {
  return new Promise((resolve, reject) => {
    const c = fork(fileURLToPath(import.meta.url), ['--child', '--url', url, '--pods', String(pods)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    c.on('message', resolve);
    c.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`child exited ${code}`))));
  });
}

async function child() {
  const { pino } = await import('pino');
  const { k8sAttributesConfigSchema } = await import('../collector/dist/processors/k8s-attributes/config.js');
  const { createK8sAttributesProcessor } = await import('../collector/dist/processors/k8s-attributes/processor.js');
  const { SelfTelemetry } = await import('../collector/dist/telemetry/self-metrics.js');
  const n = Number(values.pods);
  const measure = () => {
    for (let i = 0; i < 3; i++) globalThis.gc();
    return { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed };
  };
  const telemetry = new SelfTelemetry({ processMetrics: false });
  const settings = {
    id: 'k8sattributes',
    kind: 'processor',
    logger: pino({ level: 'silent' }),
    telemetry: telemetry.forComponent('k8sattributes'),
  };
  const config = k8sAttributesConfigSchema.parse({
    auth_type: 'none',
    endpoint: values.url,
    filter: { node: NODE },
    wait_for_metadata: true,
    wait_for_metadata_timeout: '60s',
  });
  const sink = { capabilities: { mutatesData: false }, consume: async () => {} };
  const before = measure();
  const p = createK8sAttributesProcessor(settings, config, 'logs', sink);
  await p.start({ getExtension: () => undefined });
  const after = measure();

  let enrichUs = 0;
  if (n > 0) {
    const batch = () => ({
      resourceLogs: Array.from({ length: 1000 }, (_, i) => ({
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'svc' } },
            { key: 'k8s.pod.ip', value: { stringValue: ipOf(i % n) } },
          ],
        },
        scopeLogs: [{ scope: { name: 's' }, logRecords: [{ timeUnixNano: 1, body: { stringValue: 'x' }, attributes: [] }] }],
      })),
    });
    // One batch reused: each round truncates the attributes back to what the sender set (so
    // every round enriches), keeping the heap small and GC out of the figure.
    const rounds = 500;
    const b = batch();
    const reset = () => {
      for (const r of b.resourceLogs) r.resource.attributes.length = 2;
    };
    for (let i = 0; i < 50; i++) {
      reset();
      await p.consume(b, {});
    }
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) {
      reset();
      await p.consume(b, {});
    }
    enrichUs = Number(process.hrtime.bigint() - t0) / 1000 / rounds;
    if (b.resourceLogs[0].resource.attributes.length < 5) throw new Error('bench batch was not enriched');
  }
  await p.shutdown();
  process.send({ rss: after.rss, heap: after.heap, heapBefore: before.heap, enrichUs }, () => process.exit(0));
}
