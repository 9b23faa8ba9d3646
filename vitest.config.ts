import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { webgpuProject } from './tests/setup/webgpu-project.js';

const packages = ['core', 'model', 'flow', 'samplers', 'encoders', 'data', 'pipeline', 'train', 'cli'];

// Tests import the packages' TypeScript sources directly, so `pnpm test:unit` needs no build.
export default defineConfig({
  resolve: {
    alias: Object.fromEntries(
      packages.map((name) => [`@dit/${name}`, fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))]),
    ),
  },
  test: {
    // Two test workers already use both cores: wasm runs single-threaded in them and in the
    // processes they start (the threaded path has its own test, packages/core/src/wasm-threads.test.ts).
    env: { DIT_WASM_THREADS: process.env.DIT_WASM_THREADS ?? '1' },
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'tests/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          // Type tests (*.test-d.ts, as TanStack's): checked by tsc against the sources, never run.
          typecheck: { enabled: true, include: ['packages/*/src/**/*.test-d.ts'], tsconfig: './tsconfig.typecheck.json' },
          setupFiles: ['tests/setup/backend.ts'],
        },
      },
      // The PyTorch-parity tests again on WebGPU: `pnpm test` (DIT_TEST_WEBGPU=1) adds this project.
      ...(process.env.DIT_TEST_WEBGPU === '1' ? [webgpuProject()] : []),
    ],
  },
});
