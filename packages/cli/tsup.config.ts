import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

export default defineConfig([
  packageBuild,
  // The `dit` executable: ESM only (it awaits at top level).
  { ...packageBuild, entry: ['src/bin.ts'], format: ['esm'], dts: false, clean: false },
]);
