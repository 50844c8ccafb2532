#!/usr/bin/env node
/**
 * Middleware overhead: autocannon against a fastify hello-world route, one server process per
 * variant, in one run: bare, Stitch metrics-only, Stitch full (metrics, spans, request IDs,
 * exemplars), and @fastify/otel with the OpenTelemetry SDK. Exports go to a discarding OTLP
 * endpoint in this process, so tracing pays its real serialization cost. Run after
 * `npm run build`:
 *
 *   node bench/instrumentation-overhead.mjs [--seconds 10] [--connections 100] [--pipelining 10] [--rounds 1]
 *
 * Prints per variant: `_req_per_sec`, `_p99_latency_ms`, `_ratio_to_bare` (req/s ratio), and
 * `_cpu_us_per_req` with `_cpu_ratio_to_bare` (bare's server CPU per request over the variant's:
 * the throughput ratio a CPU-bound server would see, and steadier than req/s when other work
 * shares the machine). Best of the rounds (highest req/s, lowest CPU per request: the run least
 * disturbed by other load); variants interleave within each round.
 * Targets (issue 15): metrics-only ≥ 0.97x of bare, full ≥ 0.90x.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '100' },
    pipelining: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '1' },
    rate: { type: 'string', default: '0' },
    variants: { type: 'string', default: 'bare,stitch-metrics,stitch-full,fastify-otel' },
    verbose: { type: 'boolean', default: false },
  },
});

const server = fileURLToPath(new URL('./instrumentation-server.mjs', import.meta.url));

// A discarding OTLP/HTTP endpoint (drains the body, answers 200 with an empty JSON response).
const sink = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise((r) => sink.listen(0, '127.0.0.1', r));
const otlp = `http://127.0.0.1:${sink.address().port}`;

function startServer(variant) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [server, variant, otlp], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${variant}: server did not start`)), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`${variant}: exited ${code}`)));
  });
}

function cannon(port, seconds) {
  return autocannon({
    url: `http://127.0.0.1:${port}/hello/stitch`,
    connections: Number(values.connections),
    pipelining: Number(values.pipelining),
    duration: seconds,
    ...(Number(values.rate) > 0 ? { overallRate: Number(values.rate) } : {}),
  });
}

const results = new Map();
for (let round = 0; round < Number(values.rounds); round++) {
  for (const variant of values.variants.split(',')) {
    const { child, port } = await startServer(variant);
    await cannon(port, 2); // warm-up: JIT, connection setup
    const cpu = async () => {
      const u = await (await fetch(`http://127.0.0.1:${port}/__cpu`)).json();
      return u.user + u.system;
    };
    const before = await cpu();
    const r = await cannon(port, Number(values.seconds));
    const cpuUs = (await cpu()) - before;
    child.kill();
    if (values.verbose) console.error(`${variant}: ${r.requests.average} req/s, ${(cpuUs / r.requests.total).toFixed(2)} us/req`);
    const prev = results.get(variant) ?? [];
    prev.push({ rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx, cpuPerReq: cpuUs / r.requests.total });
    results.set(variant, prev);
  }
}
sink.close();

const best = (xs) => Math.max(...xs);
const least = (xs) => Math.min(...xs);
const bare = best((results.get('bare') ?? []).map((r) => r.rps));
const bareCpu = least((results.get('bare') ?? []).map((r) => r.cpuPerReq));
for (const [variant, rs] of results) {
  const name = variant.replace(/-/g, '_');
  const rps = best(rs.map((r) => r.rps));
  console.log(`${name}_req_per_sec: ${rps.toFixed(0)} req/s`);
  console.log(`${name}_p99_latency_ms: ${least(rs.map((r) => r.p99)).toFixed(1)} ms`);
  if (bare) console.log(`${name}_ratio_to_bare: ${(rps / bare).toFixed(3)} x`);
  const cpu = least(rs.map((r) => r.cpuPerReq));
  console.log(`${name}_cpu_us_per_req: ${cpu.toFixed(2)} us`);
  if (bareCpu) console.log(`${name}_cpu_ratio_to_bare: ${(bareCpu / cpu).toFixed(3)} x`);
  const errors = rs.reduce((n, r) => n + r.errors, 0);
  if (errors > 0) console.log(`${name}_errors: ${errors} requests`);
}
