import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// V8 flags are per process: each case runs a fresh Node on the build (test/global-setup.ts runs `tsc -b` first).
const MODULE = fileURLToPath(new URL('../../dist/service/heap-growth.js', import.meta.url));

/** Full collections during a workload that keeps promoting garbage into a small old generation. */
function majorGcs(apply: boolean, nodeArgs: string[]): { majors: number; applied: boolean } {
  const script = `
    import { PerformanceObserver, constants } from 'node:perf_hooks';
    const { useLargeHeapGrowingFactor } = await import(${JSON.stringify(MODULE)});
    const applied = ${apply} ? useLargeHeapGrowingFactor() : false;
    let majors = 0;
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }).observe({ entryTypes: ['gc'] });
    const live = [];
    for (let i = 0; i < 300; i++) live.push(new Array(10000).fill(i));
    // Objects that outlive two scavenges and then die: promoted garbage, as in-flight batches are.
    const ring = new Array(300000);
    for (let i = 0; i < 6_000_000; i++) ring[i % ring.length] = { i, a: i + 1, b: i + 2 };
    await new Promise((r) => setTimeout(r, 50));
    process.stdout.write(JSON.stringify({ majors, applied }));`;
  return JSON.parse(
    execFileSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 }),
  );
}

describe('useLargeHeapGrowingFactor', () => {
  const daemonSet = ['--max-old-space-size=384', '--max-semi-space-size=16'];

  it('lets a small old generation grow like a large one: far fewer full collections', () => {
    const before = majorGcs(false, daemonSet);
    const after = majorGcs(true, daemonSet);
    expect(after.applied).toBe(true);
    expect(after.majors * 2).toBeLessThanOrEqual(before.majors);
  });

  it('leaves a growing percent the user set alone', () => {
    const r = majorGcs(true, [...daemonSet, '--heap-growing-percent=10']);
    expect(r.applied).toBe(false);
  });
});
