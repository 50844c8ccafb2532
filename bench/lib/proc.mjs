/**
 * CPU time and memory of another process, read from /proc (Linux): what the harness measures a
 * target by, so the load generator's and the sink's own work never counts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticks = 100;
try {
  ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // 100 Hz is the Linux default
}

/** User + system CPU seconds used so far by `pid` (all its threads). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at "state" (field 3).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / ticks;
}

/** Current and peak resident set size of `pid`, in bytes (VmRSS, VmHWM). */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/**
 * Samples `pid` every `intervalMs` from now until `stop()`: CPU seconds used in the window, wall
 * seconds, peak and last RSS.
 */
export function watch(pid, intervalMs = 200) {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  let peakRss = 0;
  let lastRss = 0;
  const sample = () => {
    try {
      lastRss = memory(pid).rss;
      peakRss = Math.max(peakRss, lastRss);
    } catch {
      // the process is gone
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      let cpu = 0;
      try {
        cpu = cpuSeconds(pid) - cpu0;
      } catch {
        // exited
      }
      return { cpuSeconds: cpu, wallSeconds: (performance.now() - t0) / 1000, peakRss, lastRss };
    },
  };
}
