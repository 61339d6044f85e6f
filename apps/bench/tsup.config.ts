import { defineConfig } from 'tsup';

// The CLI runs from dist (timed runs keep tsx start-up out of the figures). Workspace packages are
// external (dependencies) and load from their own built dist. The peers are optional dependencies,
// which tsup would otherwise bundle: onnxruntime-node has a native addon and tfjs-backend-wasm loads
// its .wasm relative to its own files, so both must stay external and load from node_modules.
export default defineConfig({
  entry: ['src/cli.ts', 'src/worker.ts'],
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['onnxruntime-node', /^@tensorflow\//],
  banner: { js: '#!/usr/bin/env node' },
});
