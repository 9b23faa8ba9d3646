// The original's calculate_cache_statistics.py and check_cache.py, on a cache made from the
// five bundled flowers:
//   pnpm --filter @dit/example-cache-tools start
//   pnpm --filter @dit/example-cache-tools start -- --out /tmp/cache-tools
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selectBackend } from '@dit/core';
import { CACHE_TOOLS_DEFAULTS, runCacheTools } from './run-cache-tools.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  // pnpm passes a literal '--' through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: { data: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
});
if (values.help) {
  console.log('usage: pnpm --filter @dit/example-cache-tools start -- [--data DIR (images + .txt captions)] [--out DIR]');
  process.exit(0);
}
await selectBackend({ log: (line) => console.log(line) });
const result = await runCacheTools({
  ...CACHE_TOOLS_DEFAULTS,
  dataDir: resolve(values.data ?? join(here, '..', 'data')),
  outDir: resolve(values.out ?? join(here, '..', '..', '..', 'runs', 'cache-tools')),
});
const { std, offset } = result.normalisation;
console.log(`\nfor training: dit train --cache ${result.cacheDir} --latent-norm cache-centred ...  (latent / ${std.toFixed(4)} + ${offset.toFixed(4)})`);
console.log(`same numbers from the command line: dit stats ${result.cacheDir}`);
