/**
 * How every harness benchmark reports: `name: value unit` lines on stdout (what bench/run.mjs
 * parses into its table) and a JSON file per run under bench/results/ (gitignored) for history.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

/** The machine and code a figure was measured on. */
export function machine() {
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // not a git checkout
  }
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    commit,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

/** Collects figures, printing each as it comes. */
export function createReport(bench) {
  const figures = [];
  return {
    figures,
    /** Prints `name: value unit` and keeps it for the JSON file. */
    emit(name, value, unit = '') {
      const v = typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(value < 10 ? 3 : 1)) : value;
      figures.push({ name, value: v, unit });
      console.log(`${name}: ${v}${unit ? ` ${unit}` : ''}`);
    },
    /** Writes bench/results/<bench>-<time>.json; returns its path. */
    write(extra = {}) {
      mkdirSync(resultsDir, { recursive: true });
      const file = `${resultsDir}${bench}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
      writeFileSync(
        file,
        `${JSON.stringify({ bench, at: new Date().toISOString(), machine: machine(), ...extra, figures }, null, 2)}\n`,
      );
      return file;
    },
  };
}
