/**
 * Keeps the one-off start-up burst from sizing the V8 heap of an idle collector.
 *
 * Loading modules, validating the config and building the graph allocate tens of MiB of
 * short-lived objects in a few hundred milliseconds. V8 answers such a burst by growing the young
 * generation to its maximum (16 MiB semi-spaces on Node 24, both halves touched), and an idle
 * collector then never collects again, so the pages stay resident (~13 MiB of the 111 MiB idle RSS
 * of bench/collector-load.mjs `idle`). `--max-semi-space-size` would cap it but can only be set at
 * process start and also caps the young generation under load; instead the growth factor, which
 * V8 reads at each scavenge, is held at 1 while starting and restored afterwards, so under load
 * the young generation grows exactly as before.
 */
import v8 from 'node:v8';

/** V8's default `--semi-space-growth-factor` (`node --v8-options`). */
const DEFAULT_GROWTH_FACTOR = 2;

/**
 * True when the user set V8 flag `name` (e.g. `semi-space-growth-factor`; `-` or `_` either way)
 * through NODE_OPTIONS or node's own flags: Stitch then leaves it alone.
 */
export function v8FlagSetByUser(name: string): boolean {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  return new RegExp(name.replace(/[-_]/g, '[-_]')).test(flags);
}

/**
 * Holds the young generation at its initial size until the returned `release` is called (once
 * the collector is ready). `release` restores V8's growth and, when `gc` is exposed (the DaemonSet
 * runs with `--expose-gc` for memory_limiter), runs one memory-reducing collection in the
 * background that returns the start-up garbage to the OS. A no-op when the user set
 * `--semi-space-growth-factor`.
 */
export function holdYoungGenerationWhileStarting(): () => void {
  // `--max-semi-space-size` (the DaemonSet sets 16) is compatible: growth resumes up to it.
  if (v8FlagSetByUser('semi-space-growth-factor')) return () => {};
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  let released = false;
  return () => {
    if (released) return;
    released = true;
    v8.setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
    // `last-resort` is V8's memory-reducing full GC (compacts, shrinks the young generation,
    // releases free pages); `async` runs it as a task, after the ready line.
    void globalThis.gc?.({ type: 'major', flavor: 'last-resort', execution: 'async' });
  };
}
