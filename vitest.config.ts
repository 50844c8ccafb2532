import { defineConfig } from 'vitest/config';

// One config for every workspace and the cross-package tests in test/. Packages resolve to
// their TypeScript sources through the `stitch-source` export condition, so tests never need a
// build; end-to-end tests that spawn the `stitch` CLI use the build that `npm ci` made.
export default defineConfig({
  resolve: { conditions: ['stitch-source'] },
  ssr: { resolve: { conditions: ['stitch-source'], externalConditions: ['stitch-source'] } },
  test: {
    globalSetup: ['test/global-setup.ts'],
    include: ['{collector,instrumentation,correlation,dashboards}/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
