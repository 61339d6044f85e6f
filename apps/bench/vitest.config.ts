import { normkitVitestConfig } from '@normkit/test-utils/vitest';
import { defineConfig } from 'vitest/config';

export default defineConfig(normkitVitestConfig());
