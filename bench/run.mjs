#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark in bench/ one after the other (each in its own process,
 * so none inherits another's heap or JIT state), echoes their output, then prints one table of
 * every `name: value unit` line and writes it all to bench/results/run-<time>.json.
 *
 *   npm run bench                       every benchmark
 *   npm run bench -- --compare          also run vmagent on the same remote-write load (ratios)
 *   npm run bench -- --only collector-load,remote-write-encode
 *   npm run bench -- --quick            shorter runs (a smoke test of the harness)
 *
 * Needs `npm run build` first (benchmarks load collector/dist). Scripts in bench/ that are not
 * listed below still run, with no arguments; helpers (bench/lib/, servers) and scratch files
 * (`_*.mjs`, `*.tmp.mjs`) are skipped.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createReport } from './lib/report.mjs';

const USAGE = `usage: npm run bench -- [--compare] [--quick] [--only a,b] [--skip a,b]
  --compare   also run vmagent on the remote-write load and print ratios
  --quick     short runs (a smoke test of the harness)
  --only      run only these benchmarks (file names without .mjs)
  --skip      run all but these
See bench/README.md.`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      compare: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      skip: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const q = values.quick;

/** Arguments per benchmark: long enough to be steady on a shared 2-core machine, short enough to run all. */
const KNOWN = {
  'collector-load': [
    ...(values.compare ? ['--compare'] : []),
    '--seconds',
    q ? '5' : '15',
    '--warmup',
    q ? '2' : '5',
    ...(q ? ['--lines', '50000'] : []),
  ],
  'remote-write-encode': ['--seconds', q ? '1' : '3'],
  'relay-stages': ['--iterations', q ? '500' : '3000'],
  'otlp-receive': ['--seconds', q ? '2' : '5'],
  'remote-write-relay': ['--seconds', q ? '2' : '5'],
  'loki-push': ['--seconds', q ? '1' : '3'],
  filelog: ['--lines', q ? '20000' : '100000'],
  'instrumentation-overhead': ['--seconds', q ? '2' : '5'],
};
/** Scripts that are parts of a benchmark, not benchmarks. */
const HELPERS = new Set(['run', 'instrumentation-server']);

const dir = fileURLToPath(new URL('.', import.meta.url));
const found = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => f.slice(0, -4))
  .filter((n) => !HELPERS.has(n) && !n.startsWith('_') && !n.includes('.tmp'));
const order = [...Object.keys(KNOWN).filter((n) => found.includes(n)), ...found.filter((n) => !(n in KNOWN)).sort()];
const only = values.only?.split(',');
const skip = new Set(values.skip?.split(',') ?? []);
const selected = order.filter((n) => (!only || only.includes(n)) && !skip.has(n));

const LINE = /^([A-Za-z0-9_.:-]+):\s+(-?[0-9][0-9.e+-]*)\s*(.*)$/;

function run(name) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--expose-gc', `${dir}${name}.mjs`, ...(KNOWN[name] ?? [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const figures = [];
    let buffered = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      buffered += d.toString();
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const m = LINE.exec(buffered.slice(0, nl).trim());
        if (m) figures.push({ name: m[1], value: Number(m[2]), unit: m[3] });
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
    });
    child.on('exit', (code) => resolve({ name, code, seconds: (performance.now() - started) / 1000, figures }));
  });
}

const report = createReport('run');
const runs = [];
for (const name of selected) {
  console.log(`\n== ${name} ${(KNOWN[name] ?? []).join(' ')}`);
  const r = await run(name);
  runs.push(r);
  if (r.code !== 0) console.log(`== ${name} exited with ${r.code}`);
}

const rows = runs.flatMap((r) => r.figures.map((f) => [r.name, f.name, String(f.value), f.unit]));
const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length), ['bench', 'figure', 'value'][i].length));
const line = (row) => `${row[0].padEnd(widths[0])}  ${row[1].padEnd(widths[1])}  ${row[2].padStart(widths[2])}  ${row[3]}`;
console.log(`\n${line(['bench', 'figure', 'value', 'unit'])}`);
console.log(line(widths.map((w) => '-'.repeat(w)).concat('----')));
for (const row of rows) console.log(line(row));
const failed = runs.filter((r) => r.code !== 0).map((r) => r.name);
if (failed.length > 0) console.log(`\nfailed: ${failed.join(', ')}`);
for (const r of runs) for (const f of r.figures) report.figures.push({ bench: r.name, ...f });
console.log(`\nresults: ${report.write({ runs: runs.map(({ figures: _, ...r }) => r), compare: values.compare })}`);
process.exit(failed.length > 0 ? 1 : 0);
