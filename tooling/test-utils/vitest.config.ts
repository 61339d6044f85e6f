import { defineConfig } from 'vitest/config';
import { normkitVitestConfig } from './src/vitest.mjs';

export default defineConfig(normkitVitestConfig());
