import { packageBuild } from '@normkit/tsconfig/tsup';
import { defineConfig } from 'tsup';

export default defineConfig(packageBuild(['src/index.ts', 'src/node.ts']));
