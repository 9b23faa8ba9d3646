import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const packages = ['core', 'model', 'flow', 'samplers', 'encoders', 'data', 'train', 'cli'];

// Tests import the packages' TypeScript sources directly, so `pnpm test:unit` needs no build.
export default defineConfig({
  resolve: {
    alias: Object.fromEntries(
      packages.map((name) => [`@dit/${name}`, fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))]),
    ),
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'tests/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    setupFiles: ['tests/setup/backend.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
