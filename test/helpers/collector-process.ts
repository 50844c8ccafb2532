/**
 * Runs the real `stitch` CLI (collector/bin/stitch.js over the build) as a child process, the way a
 * user runs it, for end-to-end tests: start with config files, wait until ready, signal, collect
 * stdout/stderr and the exit code. Every wait is bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the built CLI. */
export const STITCH_BIN = fileURLToPath(new URL('../../collector/bin/stitch.js', import.meta.url));

/** A running or finished `stitch` process. */
export interface StitchProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process ends. */
  readonly exited: Promise<number | string>;
  /** Waits until stderr/stdout contain `text`; rejects after `timeoutMs`. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Sends a signal and waits for the exit; kills it if it does not exit within `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

/** Writes `yaml` into a fresh temporary directory and returns its path. */
export function writeConfig(yaml: string, name = 'config.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'stitch-e2e-'));
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** Spawns `stitch <args>` with `env` added to the current environment. */
export function runStitch(args: string[], env: Record<string, string> = {}): StitchProcess {
  const child = spawn(process.execPath, [STITCH_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(text, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      const seen = () => (typeof text === 'string' ? (out + err).includes(text) : text.test(out + err));
      while (!seen()) {
        if (done) throw new Error(`stitch exited before printing ${String(text)}\nstdout:\n${out}\nstderr:\n${err}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}\nstdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (!done) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
