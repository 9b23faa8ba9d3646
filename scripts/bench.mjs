#!/usr/bin/env node
// `pnpm bench`: builds what the benchmarks import, then runs bench/bench.mjs (the suite:
// tfjs backends against the PyTorch reference). Arguments are passed on; `--no-build` skips
// the build. See docs/performance.md.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const build = !args.includes('--no-build');
if (build) {
  // The packages bench/ depends on (not bench itself, which has nothing to build).
  const result = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@dit/bench^...', '--output-logs=errors-only'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
const run = spawnSync(process.execPath, ['bench/bench.mjs', ...args.filter((a) => a !== '--no-build')], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
