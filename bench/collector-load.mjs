#!/usr/bin/env node
/**
 * End-to-end load on a real `stitch collect` child process (and, with --compare, on vmagent):
 * a load generator process sends to the target, the target forwards to a discarding backend
 * process that counts what arrived, and this process reads the target's CPU seconds and RSS
 * from /proc. So the figures are the target's alone, measured as a user runs it.
 *
 * Scenarios (--scenarios, comma-separated; default all):
 *   rw-relay          Prometheus remote-write → prometheusremotewrite receiver → exporter → backend
 *   otlp-http-rw      OTLP/HTTP protobuf metrics → otlp receiver → prometheusremotewrite exporter
 *   otlp-grpc-rw      the same over OTLP/gRPC
 *   rw-relay-batch, otlp-http-rw-batch, otlp-grpc-rw-batch
 *                     the same with the batch processor (defaults) in front of the exporter,
 *                     from 4x --concurrency senders
 *   otlp-logs-loki    OTLP/HTTP protobuf logs → otlp receiver → loki exporter
 *   otlp-logs-loki-k8s  the same with k8sattributes (pods associated by k8s.pod.name and
 *                     k8s.namespace.name, against the API server stand-in with 2000 other pods)
 *   filelog-loki      kubelet-layout container log files (pino JSON lines) → filelog → loki
 *   filelog-loki-k8s  the same with k8sattributes (against the API server stand-in of test/helpers)
 *   filelog-loki-deployed  the same behind the DaemonSet's batch, into a durable loki queue (file_storage)
 *   idle              `stitch collect` on the embedded default config, no traffic: RSS
 * With --compare, vmagent (Debian package victoria-metrics) runs rw-relay and idle too, in the
 * same run, and the ratios are printed.
 *
 * Run after `npm run build`:
 *   node bench/collector-load.mjs [--seconds 15] [--warmup 5] [--series 1000] [--samples 1]
 *     [--labels 8] [--label-bytes 16] [--concurrency 4] [--rate 0] [--lines 300000] [--compare]
 *     [--node-options "--cpu-prof --cpu-prof-dir=/tmp/prof"] [--target-log /tmp/target.log]
 *
 * The target runs with the DaemonSet's NODE_OPTIONS (read from deploy/kubernetes/base/daemonset.yaml:
 * heap limits that hold RSS down, as deployed); `--node-options` replaces them ('' for none).
 *
 * Prints per scenario and target: accepted and delivered items/s, p99 request latency, the
 * target's CPU seconds, items per CPU-second and peak RSS; writes bench/results/collector-load-*.json.
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { watch } from './lib/proc.mjs';
import { createReport } from './lib/report.mjs';

const { values } = parseArgs({
  options: {
    scenarios: {
      type: 'string',
      default:
        'rw-relay,rw-relay-batch,otlp-http-rw,otlp-http-rw-batch,otlp-grpc-rw,otlp-logs-loki,otlp-logs-loki-k8s,filelog-loki,filelog-loki-k8s,filelog-loki-deployed,idle',
    },
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '5' },
    series: { type: 'string', default: '1000' },
    samples: { type: 'string', default: '1' },
    labels: { type: 'string', default: '8' },
    'label-bytes': { type: 'string', default: '16' },
    concurrency: { type: 'string', default: '4' },
    rate: { type: 'string', default: '0' },
    lines: { type: 'string', default: '300000' },
    compare: { type: 'boolean', default: false },
    'node-options': { type: 'string' },
    'target-log': { type: 'string', default: '' },
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const load = {
  series: Number(values.series),
  samples: Number(values.samples),
  labels: Number(values.labels),
  labelBytes: Number(values['label-bytes']),
  concurrency: Number(values.concurrency),
  rate: Number(values.rate),
};
const report = createReport('collector-load');
/** The NODE_OPTIONS the DaemonSet gives the collector (so the target runs as deployed). */
function daemonSetNodeOptions() {
  const manifest = readFileSync(new URL('../deploy/kubernetes/base/daemonset.yaml', import.meta.url), 'utf8');
  const m = /- name: NODE_OPTIONS\s+value: (.+)/.exec(manifest);
  if (!m) throw new Error('deploy/kubernetes/base/daemonset.yaml: no NODE_OPTIONS value found');
  return m[1].trim();
}
const targetNodeOptions = values['node-options'] ?? daemonSetNodeOptions();
console.error(`collector-load: stitch runs with NODE_OPTIONS-equivalent flags: ${targetNodeOptions || '(none)'}`);
const STITCH = fileURLToPath(new URL('../collector/dist/cli/main.js', import.meta.url));
const DEFAULT_CONFIG = fileURLToPath(new URL('../collector/config/default.yaml', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Forks a helper and waits for its first message of `type`. */
async function forkHelper(file, args, type, timeoutMs = 20_000) {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const first = await Promise.race([
    new Promise((resolve) => {
      const on = (m) => {
        if (m?.type !== type) return;
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
    }),
    sleep(timeoutMs).then(() => {
      throw new Error(`${file} did not report ${type}`);
    }),
  ]);
  return { child, first };
}

function ask(child, type) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m?.type !== type) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.send({ type });
  });
}

/** Starts `stitch collect` on `yaml`; resolves once it logged that everything is ready. */
async function startStitch(yaml, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-bench-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, yaml);
  const nodeArgs = targetNodeOptions ? targetNodeOptions.split(' ') : [];
  const child = spawn(process.execPath, [...nodeArgs, STITCH, 'collect', '--config', file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d) => {
    out = (out + d.toString()).slice(-20_000);
    if (values['target-log']) appendFileSync(values['target-log'], d);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const deadline = Date.now() + 30_000;
  while (!out.includes('Everything is ready')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`stitch did not start:\n${out}`);
    await sleep(50);
  }
  return {
    pid: child.pid,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let vmagentChecked;
function vmagentRuns() {
  try {
    execFileSync('vmagent', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * True when vmagent can run. With --compare it is installed from Debian's victoria-metrics
 * package when missing (as root; the package's own service is stopped so ports stay free).
 */
function hasVmagent() {
  if (vmagentChecked === undefined) {
    vmagentChecked = vmagentRuns();
    if (!vmagentChecked && process.getuid?.() === 0) {
      console.error('vmagent not found: installing Debian package victoria-metrics for --compare');
      try {
        execFileSync(
          'bash',
          ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq victoria-metrics'],
          {
            stdio: 'inherit',
          },
        );
        execFileSync('bash', ['-c', 'systemctl stop victoria-metrics 2>/dev/null || pkill -x victoria-metrics || true']);
      } catch (err) {
        console.error(`could not install victoria-metrics: ${err.message}`);
      }
      vmagentChecked = vmagentRuns();
    }
  }
  return vmagentChecked;
}

/** Starts vmagent relaying to `sinkUrl`; resolves once /health answers. */
async function startVmagent(sinkUrl) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vmagent-bench-'));
  const args = [`-httpListenAddr=127.0.0.1:${port}`, `-remoteWrite.tmpDataPath=${dir}`, '-loggerLevel=ERROR'];
  if (sinkUrl) args.push(`-remoteWrite.url=${sinkUrl}`);
  else args.push('-remoteWrite.url=http://127.0.0.1:9/api/v1/write');
  const child = spawn('vmagent', args, { stdio: 'ignore' });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error('vmagent did not start');
    await sleep(100);
  }
  return {
    pid: child.pid,
    url: `http://127.0.0.1:${port}/api/v1/write`,
    async stop() {
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const EXPORTER_QUEUE = `
    remote_write_queue:
      queue_size: 64
      num_consumers: 4`;
// The same bound for the loki exporter: with the default 1000 batches a read-ahead filelog
// (start_at: beginning) parks every line of the test files in the queue as OTLP objects.
const LOKI_QUEUE = `
    sending_queue:
      queue_size: 64`;

/**
 * The Kubernetes API server stand-in of test/helpers with `pods` plus 2000 other pods on other
 * nodes, and a kubeconfig for it in `dir`.
 */
async function startKubeStandIn(dir, addPods) {
  const { startKubeApiServer } = await import('../test/helpers/kube-apiserver.ts');
  const api = await startKubeApiServer({ token: 'bench-token' });
  const pods = addPods(api);
  api.seedPods(
    Array.from({ length: 2000 }, (_, i) => ({ name: `filler-${i}`, namespace: 'bulk', node: `node-${(i % 50) + 10}` })),
  );
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: stand-in
  cluster: { server: "${api.url}", insecure-skip-tls-verify: true }
users:
- name: collector
  user: { token: bench-token }
contexts:
- name: bench
  context: { cluster: stand-in, user: collector }
current-context: bench
`,
  );
  return { api, pods, kubeconfig };
}

/**
 * The share of resources k8sattributes matched to a pod, from the target's self-metrics: proves
 * the k8s scenarios measured real association work, not misses.
 */
async function k8sHitRatio(selfPort) {
  const text = await (await fetch(`http://127.0.0.1:${selfPort}/metrics`)).text();
  let hit = 0;
  let all = 0;
  for (const m of text.matchAll(/^stitch_processor_k8sattributes_associations_total\{([^}]*)\} (\S+)$/gm)) {
    const n = Number(m[2]);
    all += n;
    if (/result="hit"/.test(m[1])) hit += n;
  }
  return all === 0 ? 0 : hit / all;
}

/** The k8sattributes processor block (under `processors:`) for the stand-in, on node-a. */
function k8sAttributesYaml(kubeconfig, associationSources) {
  return `
  k8sattributes:
    auth_type: kubeConfig
    kube_config_path: ${kubeconfig}
    filter:
      node_from_env_var: K8S_NODE_NAME
    extract:
      metadata: [k8s.namespace.name, k8s.pod.name, k8s.pod.uid, k8s.deployment.name, k8s.node.name]
      labels:
        - tag_name: team
          key: team
          from: namespace
    pod_association:
      - sources: [${associationSources.map((n) => `{ from: resource_attribute, name: ${n} }`).join(', ')}]`;
}

async function stitchConfig(name, sinkPort, kubeconfig) {
  // `<scenario>-batch`: the same with the batch processor (defaults) in front of the exporter.
  const batched = name.endsWith('-batch');
  const scenario = batched ? name.slice(0, -'-batch'.length) : name;
  const processors = batched ? '\nprocessors:\n  batch: {}' : '';
  const pipelineProcessors = batched ? ', processors: [batch]' : '';
  const [inPort, selfPort] = [await freePort(), await freePort()];
  const telemetry = `
  telemetry:
    logs:
      level: info
    metrics:
      address: 127.0.0.1:${selfPort}`;
  const rw = `
  prometheusremotewrite:
    endpoint: http://127.0.0.1:${sinkPort}/api/v1/write${EXPORTER_QUEUE}`;
  if (scenario === 'rw-relay') {
    return {
      selfPort,
      url: `http://127.0.0.1:${inPort}/api/v1/write`,
      yaml: `receivers:
  prometheusremotewrite:
    endpoint: 127.0.0.1:${inPort}
exporters:${rw}${processors}
service:${telemetry}
  pipelines:
    metrics: { receivers: [prometheusremotewrite]${pipelineProcessors}, exporters: [prometheusremotewrite] }
`,
    };
  }
  const grpc = scenario === 'otlp-grpc-rw';
  const otlp = `
  otlp:
    protocols:
      ${grpc ? 'grpc' : 'http'}:
        endpoint: 127.0.0.1:${inPort}`;
  if (scenario === 'otlp-http-rw' || grpc) {
    return {
      selfPort,
      url: grpc ? `http://127.0.0.1:${inPort}` : `http://127.0.0.1:${inPort}/v1/metrics`,
      yaml: `receivers:${otlp}
exporters:${rw}${processors}
service:${telemetry}
  pipelines:
    metrics: { receivers: [otlp]${pipelineProcessors}, exporters: [prometheusremotewrite] }
`,
    };
  }
  const k8s = scenario === 'otlp-logs-loki-k8s';
  return {
    selfPort,
    url: `http://127.0.0.1:${inPort}/v1/logs`,
    yaml: `receivers:${otlp}
processors:${k8s ? k8sAttributesYaml(kubeconfig, ['k8s.pod.name', 'k8s.namespace.name']) : ' {}'}
exporters:
  loki:
    endpoint: http://127.0.0.1:${sinkPort}/loki/api/v1/push${LOKI_QUEUE}
service:${telemetry}
  pipelines:
    logs: { receivers: [otlp], processors: [${k8s ? 'k8sattributes' : ''}], exporters: [loki] }
`,
  };
}

function emitLoad(prefix, gen, sinkDelta, w, unit) {
  const sec = w.wallSeconds;
  const accepted = unit === 'samples' ? gen.acceptedSamples : gen.accepted;
  const delivered = unit === 'samples' ? sinkDelta.samples : sinkDelta.lines;
  report.emit(`${prefix}_accepted_${unit}_per_sec`, Math.round(accepted / gen.seconds), `${unit}/s`);
  report.emit(`${prefix}_delivered_${unit}_per_sec`, Math.round(delivered / sec), `${unit}/s`);
  report.emit(`${prefix}_p99_latency_ms`, gen.p99Ms, 'ms');
  report.emit(`${prefix}_cpu_cores`, w.cpuSeconds / sec, 'cores');
  report.emit(`${prefix}_${unit}_per_cpu_second`, Math.round(delivered / Math.max(w.cpuSeconds, 0.01)), `${unit}/cpu-s`);
  report.emit(`${prefix}_peak_rss_mib`, w.peakRss / 2 ** 20, 'MiB');
  if (gen.refused + gen.failed + gen.errors > 0) {
    report.emit(`${prefix}_refused_requests`, gen.refused + gen.failed + gen.errors, 'requests');
  }
  return {
    accepted: accepted / gen.seconds,
    delivered: delivered / sec,
    perCpu: delivered / Math.max(w.cpuSeconds, 0.01),
    w,
    gen,
  };
}

/** Generator → target → sink for one pushing scenario. */
async function pushScenario(scenario, target) {
  const { child: sink, first } = await forkHelper('./lib/sink.mjs', [], 'port');
  let t;
  let url;
  let kube;
  let selfPort;
  const dir = mkdtempSync(join(tmpdir(), 'stitch-bench-kube-'));
  // The same senders as otlp-logs-loki; each one's pod (resource k8s.pod.name / k8s.namespace.name
  // of bench/lib/loadgen.mjs) exists in the stand-in.
  const concurrency = scenario.endsWith('-batch') ? load.concurrency * 4 : load.concurrency;
  try {
    if (target === 'vmagent') {
      t = await startVmagent(`http://127.0.0.1:${first.port}/api/v1/write`);
      url = t.url;
    } else {
      if (scenario === 'otlp-logs-loki-k8s') {
        kube = await startKubeStandIn(dir, (api) => {
          api.put('namespaces', { metadata: { name: 'production', labels: { team: 'payments' } } });
          for (let slot = 0; slot < concurrency; slot++) {
            api.addPod({ name: `bench-7d9f8b6c5-${slot}`, namespace: 'production', node: 'node-a', ip: `10.1.0.${slot + 1}` });
          }
        });
      }
      const c = await stitchConfig(scenario, first.port, kube?.kubeconfig);
      t = await startStitch(c.yaml, { K8S_NODE_NAME: 'node-a' });
      url = c.url;
      selfPort = c.selfPort;
    }
    const kind = {
      'rw-relay': 'rw',
      'otlp-http-rw': 'otlp-http',
      'otlp-grpc-rw': 'otlp-grpc',
      'otlp-logs-loki': 'otlp-logs',
      'otlp-logs-loki-k8s': 'otlp-logs',
    }[scenario.replace(/-batch$/, '')];
    // With batch, a sender's request is answered once its batch is delivered (backpressure), so
    // four senders of 1000 points would only ever fill a batch (8192) by its 200 ms timeout: the
    // batched scenarios use four times the senders (`concurrency` above), the many-clients shape
    // batching is for.
    const { child: gen } = await forkHelper(
      './lib/loadgen.mjs',
      [JSON.stringify({ ...load, concurrency, kind, target: url })],
      'ready',
    );
    try {
      await sleep(warmup * 1000);
      gen.send({ type: 'reset' });
      const s0 = await ask(sink, 'count');
      const w = watch(t.pid);
      await sleep(seconds * 1000);
      const [g, s1] = await Promise.all([ask(gen, 'report'), ask(sink, 'count')]);
      const m = w.stop();
      const delta = { samples: s1.samples - s0.samples, lines: s1.lines - s0.lines };
      const unit = scenario.startsWith('otlp-logs-loki') ? 'lines' : 'samples';
      const prefix = `${scenario.replaceAll('-', '_')}_${target}`;
      if (kube) report.emit(`${prefix}_k8s_pod_hit_ratio`, await k8sHitRatio(selfPort), 'of resources');
      return emitLoad(prefix, g, delta, m, unit);
    } finally {
      gen.kill('SIGKILL');
    }
  } finally {
    await t?.stop();
    sink.kill('SIGKILL');
    await kube?.api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function criLine(i, podIndex) {
  const log = JSON.stringify({
    level: 30,
    time: 1714557600000 + i,
    pid: 1,
    hostname: `checkout-${podIndex}`,
    request_id: `0f8fad5b-d9cb-469f-a165-${String(70000000000 + i).padStart(12, '0')}`,
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    span_id: '00f067aa0ba902b7',
    route: '/api/v1/items/:id',
    status: 200,
    msg: 'request completed',
  });
  const ns = String(i % 1e9).padStart(9, '0');
  return `2024-05-01T10:00:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}.${ns}Z stdout F ${log}\n`;
}

/** Log files written up front, then read from the beginning: time until every line reached the sink. */
async function filelogScenario(withK8s, asDeployed = false) {
  const scenario = asDeployed ? 'filelog-loki-deployed' : withK8s ? 'filelog-loki-k8s' : 'filelog-loki';
  const total = Number(values.lines);
  const podsN = 20;
  const root = mkdtempSync(join(tmpdir(), 'stitch-bench-pods-'));
  let kube;
  let pods = [];
  if (withK8s) {
    kube = await startKubeStandIn(root, (api) => {
      api.put('namespaces', { metadata: { name: 'shop', labels: { team: 'payments' } } });
      const added = [];
      for (let d = 0; d < podsN / 2; d++) {
        added.push(
          ...api.addDeployment({ namespace: 'shop', name: `svc-${d}`, node: 'node-a', ips: [`10.0.${d}.1`, `10.0.${d}.2`] }),
        );
      }
      return added;
    });
    pods = kube.pods;
  } else {
    for (let p = 0; p < podsN; p++) {
      pods.push({
        metadata: {
          name: `svc-${p}-7d9f8b6c5-abcde`,
          namespace: 'shop',
          uid: `00000000-0000-4000-8000-${String(p).padStart(12, '0')}`,
        },
      });
    }
  }
  const perPod = Math.ceil(total / podsN);
  for (let p = 0; p < podsN; p++) {
    const m = pods[p].metadata;
    const dir = join(root, `${m.namespace}_${m.name}_${m.uid}`, 'app');
    await mkdir(dir, { recursive: true });
    for (let start = 0; start < perPod; start += 5000) {
      let text = '';
      for (let i = start; i < Math.min(perPod, start + 5000); i++) text += criLine(i, p);
      await appendFile(join(dir, '0.log'), text);
    }
  }
  const expected = perPod * podsN;
  const { child: sink, first } = await forkHelper('./lib/sink.mjs', [], 'port');
  const selfPort = await freePort();
  const k8s = withK8s ? k8sAttributesYaml(kube.kubeconfig, ['k8s.pod.uid']) : '';
  const queueDir = mkdtempSync(join(tmpdir(), 'stitch-bench-queue-'));
  // As deployed/kubernetes/base/config: batch's numbers, and a durable loki queue on file_storage.
  const deployed = {
    extensions: asDeployed ? `extensions:\n  file_storage:\n    directory: ${queueDir}\n` : '',
    batch: asDeployed ? '\n  batch:\n    send_batch_size: 8192\n    send_batch_max_size: 10000\n    timeout: 200ms' : '',
    queue: asDeployed ? '\n    sending_queue:\n      storage: file_storage' : LOKI_QUEUE,
    service: asDeployed ? '\n  extensions: [file_storage]' : '',
  };
  const processors = [withK8s ? 'k8sattributes' : '', asDeployed ? 'batch' : ''].filter(Boolean).join(', ');
  const yaml = `${deployed.extensions}receivers:
  filelog:
    include: [${root}/*/*/*.log]
    start_at: beginning
    operators:
      - type: container
      - type: pino_parser
processors:${k8s + deployed.batch || ' {}'}
exporters:
  loki:
    endpoint: http://127.0.0.1:${first.port}/loki/api/v1/push${deployed.queue}
service:${deployed.service}
  telemetry:
    metrics:
      address: 127.0.0.1:${selfPort}
  pipelines:
    logs: { receivers: [filelog], processors: [${processors}], exporters: [loki] }
`;
  const prefix = `${scenario.replaceAll('-', '_')}_stitch`;
  let t;
  try {
    t = await startStitch(yaml, { K8S_NODE_NAME: 'node-a' });
    const w = watch(t.pid);
    const t0 = performance.now();
    let got = 0;
    const deadline = t0 + 180_000;
    while (got < expected && performance.now() < deadline) {
      await sleep(100);
      got = (await ask(sink, 'count')).lines;
    }
    const m = w.stop();
    const sec = (performance.now() - t0) / 1000;
    report.emit(`${prefix}_delivered_lines_per_sec`, Math.round(got / sec), 'lines/s');
    report.emit(`${prefix}_cpu_cores`, m.cpuSeconds / sec, 'cores');
    report.emit(`${prefix}_lines_per_cpu_second`, Math.round(got / Math.max(m.cpuSeconds, 0.01)), 'lines/cpu-s');
    report.emit(`${prefix}_peak_rss_mib`, m.peakRss / 2 ** 20, 'MiB');
    if (got < expected) report.emit(`${prefix}_undelivered_lines`, expected - got, 'lines');
    if (kube) report.emit(`${prefix}_k8s_pod_hit_ratio`, await k8sHitRatio(selfPort), 'of resources');
  } finally {
    await t?.stop();
    sink.kill('SIGKILL');
    await kube?.api.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(queueDir, { recursive: true, force: true });
  }
}

/** RSS after start-up with no traffic: `stitch collect` on the embedded default config. */
async function idleScenario(target) {
  let t;
  if (target === 'vmagent') t = await startVmagent(undefined);
  else {
    const [g, h, health, self] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    t = await startStitch(readFileSync(DEFAULT_CONFIG, 'utf8'), {
      STITCH_OTLP_GRPC_ENDPOINT: `127.0.0.1:${g}`,
      STITCH_OTLP_HTTP_ENDPOINT: `127.0.0.1:${h}`,
      STITCH_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
      STITCH_SELF_METRICS_PORT: String(self),
    });
  }
  try {
    await sleep(5000);
    const w = watch(t.pid);
    await sleep(3000);
    const m = w.stop();
    report.emit(`idle_${target}_rss_mib`, m.lastRss / 2 ** 20, 'MiB');
    report.emit(`idle_${target}_cpu_cores`, m.cpuSeconds / m.wallSeconds, 'cores');
    return m.lastRss;
  } finally {
    await t.stop();
  }
}

const scenarios = values.scenarios.split(',').filter(Boolean);
const compare = values.compare && hasVmagent();
if (values.compare && !compare)
  report.emit('vmagent_compare_skipped', 1, '(vmagent not on PATH: apt-get install victoria-metrics)');
const results = {};
for (const s of scenarios) {
  try {
    if (s === 'filelog-loki') await filelogScenario(false);
    else if (s === 'filelog-loki-k8s') await filelogScenario(true);
    else if (s === 'filelog-loki-deployed') await filelogScenario(true, true);
    else if (s === 'idle') {
      results.idle = await idleScenario('stitch');
      if (compare) results.idleVm = await idleScenario('vmagent');
    } else {
      results[s] = await pushScenario(s, 'stitch');
      if (compare && s === 'rw-relay') results.vm = await pushScenario(s, 'vmagent');
    }
  } catch (err) {
    console.error(`${s}: ${err.stack ?? err}`);
    report.emit(`${s.replaceAll('-', '_')}_failed`, 1, 'run');
  }
}
if (results['rw-relay'] && results.vm) {
  const ours = results['rw-relay'];
  const vm = results.vm;
  report.emit('rw_relay_vs_vmagent_samples_per_cpu_second', ours.perCpu / vm.perCpu, 'x');
  report.emit('rw_relay_vs_vmagent_delivered_samples_per_sec', ours.delivered / vm.delivered, 'x');
  report.emit('rw_relay_vs_vmagent_peak_rss', ours.w.peakRss / vm.w.peakRss, 'x');
}
if (results.idle && results.idleVm) report.emit('idle_rss_vs_vmagent', results.idle / results.idleVm, 'x');
report.write({ load, seconds, warmup, scenarios });
process.exit(0);
