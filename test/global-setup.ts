/**
 * Builds every workspace once before the tests (incremental `tsc -b`: a no-op when the build is
 * fresh), so end-to-end tests that spawn the `stitch` CLI run the code under test, not a stale
 * build from the last `npm ci`.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  try {
    execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-b'], {
      cwd: root,
      stdio: 'inherit',
    });
  } catch {
    // Type errors still emit JavaScript; `npm ci` (prepare) fails on them in CI, so only warn here.
    console.warn('global-setup: tsc -b reported errors; end-to-end tests run the emitted code anyway');
  }
}
