import { packageBuild } from '@normkit/tsconfig/tsup';
import { defineConfig } from 'tsup';

// the ./node entry imports the main entry by name: kept external, so both share one module state
export default defineConfig({
  ...packageBuild(['src/index.ts', 'src/node.ts']),
  external: ['@normkit/tensor'],
});
