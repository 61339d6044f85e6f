// Shared vitest settings for every package: run on TypeScript source through the `@normkit/source`
// export condition (no build needed), and write a JSON report that scripts/test-summary.mjs sums.
// Plain JS (with vitest.d.mts beside it) because vitest loads configs with Node's own loader.
const sourceConditions = ['@normkit/source', 'module', 'node', 'import', 'default'];
const setupFile = new URL('./vitest-setup.mjs', import.meta.url).pathname;

/** @param {{ testTimeout?: number }} [options] */
export function normkitVitestConfig(options = {}) {
  return {
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@normkit/source'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      setupFiles: [setupFile],
      reporters: ['default', 'json'],
      outputFile: { json: 'test-results/vitest.json' },
      // gradchecks and fixture sweeps are CPU work on 2 cores
      testTimeout: options.testTimeout ?? 30_000,
      pool: 'threads',
    },
  };
}
