import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    shims: true,
    target: 'node20',
  },
  {
    // The `dit` executable: ESM only (it awaits at top level).
    entry: ['src/bin.ts'],
    format: ['esm'],
    sourcemap: true,
    shims: true,
    target: 'node20',
  },
]);
