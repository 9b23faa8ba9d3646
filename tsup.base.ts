import type { Options } from 'tsup';

/** The build every publishable package shares: ESM + CommonJS + type declarations for Node 20. */
export const packageBuild: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
};
