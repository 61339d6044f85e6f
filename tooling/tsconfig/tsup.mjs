// The one tsup build every public package shares: ESM + CJS + .d.ts (+ .d.cts), source maps,
// es2022. With TypeScript 6, tsup 8.5's dts build needs ignoreDeprecations (TOOLCHAIN.md).
/** @param {string[]} entry */
export function packageBuild(entry = ['src/index.ts']) {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
    sourcemap: true,
    clean: true,
    target: 'es2022',
  };
}
