#!/usr/bin/env node
// Packs every publishable @dit package, installs the tarballs with plain npm into a scratch
// project outside the workspace, and checks that `import`, `require` and TypeScript types
// all work there. Run after `pnpm build` (`pnpm verify:packages` does both).
//
//   node scripts/verify-packages.mjs [--skip-build] [--keep] [--only=core,model]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const log = (line) => process.stderr.write(`[verify-packages] ${line}\n`);
// The consumer installs the packages as an offline machine would (no native tfjs library), so a
// backend forced for the workspace (DIT_BACKEND=node, say) does not apply to it.
const { DIT_BACKEND: _forced, ...consumerEnv } = process.env;
const run = (cmd, cmdArgs, cwd) => execFileSync(cmd, cmdArgs, { cwd, env: consumerEnv, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

const packageDirs = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .filter((dir) => {
    try {
      return !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private;
    } catch {
      return false;
    }
  });
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const packages = packageDirs
  .map((dir) => ({ dir, name: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name }))
  .filter((p) => !only || only.includes(p.name.replace('@dit/', '')))
  // @dit/core first: the consumer scripts use it (m0) to pick a backend.
  .sort((a, b) => (a.name === '@dit/core' ? -1 : b.name === '@dit/core' ? 1 : a.name.localeCompare(b.name)));

if (!args.has('--skip-build')) {
  log('building');
  run('pnpm', ['turbo', 'run', 'build', '--output-logs=errors-only'], root);
}

const scratch = mkdtempSync(join(tmpdir(), 'dit-verify-'));
const tarballs = join(scratch, 'tarballs');
mkdirSync(tarballs);
try {
  for (const pkg of packages) {
    run('pnpm', ['pack', '--pack-destination', tarballs], pkg.dir);
  }
  const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
  log(`packed ${files.length} tarballs: ${files.join(', ')}`);
  if (files.length !== packages.length) throw new Error(`expected ${packages.length} tarballs, got ${files.length}`);

  const consumer = join(scratch, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'dit-consumer', version: '1.0.0', private: true }, null, 2));
  log('npm install (scripts ignored: native tfjs packages stay without their library, as on an offline machine)');
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', ...files.map((f) => join(tarballs, f))], consumer);

  // The `dit` executable npm linked (the committed bin/dit.js loading the build) runs.
  if (packages.some((p) => p.name === '@dit/cli')) {
    const help = run(join(consumer, 'node_modules', '.bin', 'dit'), ['--help'], consumer);
    if (!help.includes('Usage: dit')) throw new Error(`dit --help printed no usage:\n${help}`);
    log('node_modules/.bin/dit --help runs');
  }

  const names = packages.map((p) => p.name);
  // ESM: every package imports, and @dit/core trains (gradients registered) on the chosen backend.
  writeFileSync(
    join(consumer, 'esm.mjs'),
    `${names.map((n, i) => `import * as m${i} from '${n}';`).join('\n')}
import * as tf from '@tensorflow/tfjs-core';
const mods = { ${names.map((n, i) => `'${n}': m${i}`).join(', ')} };
for (const [name, mod] of Object.entries(mods)) if (Object.keys(mod).length === 0) throw new Error(name + ' exports nothing (esm)');
const choice = await m0.selectBackend();
const g = tf.grad((x) => tf.sum(tf.square(x)))(tf.tensor([1, 2]));
if (g.dataSync()[1] !== 4) throw new Error('esm gradient wrong');
console.log('esm ok ' + choice.name);
`,
  );
  writeFileSync(
    join(consumer, 'cjs.cjs'),
    `const mods = { ${names.map((n) => `'${n}': require('${n}')`).join(', ')} };
for (const [name, mod] of Object.entries(mods)) if (Object.keys(mod).length === 0) throw new Error(name + ' exports nothing (cjs)');
const tf = require('@tensorflow/tfjs-core');
mods['@dit/core'].selectBackend().then((choice) => {
  const g = tf.grad((x) => tf.sum(tf.square(x)))(tf.tensor([1, 2]));
  if (g.dataSync()[1] !== 4) throw new Error('cjs gradient wrong');
  console.log('cjs ok ' + choice.name);
});
`,
  );
  // WebGPU from a CommonJS consumer: Dawn ('webgpu') is an ES module, loaded by a dynamic import.
  writeFileSync(
    join(consumer, 'webgpu.cjs'),
    `const tf = require('@tensorflow/tfjs-core');
require('@dit/core').selectBackend({ force: 'webgpu' }).then(async (choice) => {
  const g = tf.grad((x) => tf.sum(tf.square(x)))(tf.tensor([1, 2]));
  if ((await g.data())[1] !== 4) throw new Error('webgpu gradient wrong');
  console.log('webgpu ok (' + choice.adapter.description + ')');
}, (error) => {
  if (!/Dawn found no WebGPU adapter|is not installed|has no Dawn build/.test(error.message) || process.env.DIT_REQUIRE_WEBGPU === '1') throw error;
  console.log('webgpu unavailable: ' + error.message.split('\\n').pop().trim());
});
`,
  );
  if (names[0] !== '@dit/core') throw new Error('packages/core must sort first');
  const esm = run('node', ['esm.mjs'], consumer).trim();
  const cjs = run('node', ['cjs.cjs'], consumer).trim();
  log(`${esm}; ${cjs}`);
  log(run('node', ['webgpu.cjs'], consumer).trim());

  // Types: an ESM consumer and a CommonJS consumer, both under NodeNext resolution.
  writeFileSync(
    join(consumer, 'types.mts'),
    `${names.map((n, i) => `import * as m${i} from '${n}';`).join('\n')}
import type { BackendChoice } from '@dit/core';
export const choice: Promise<BackendChoice> = m0.selectBackend();
export const all = [${names.map((_, i) => `m${i}`).join(', ')}];
`,
  );
  writeFileSync(
    join(consumer, 'types.cts'),
    `import core = require('@dit/core');
${names.slice(1).map((n, i) => `import p${i} = require('${n}');`).join('\n')}
export const rng: core.Rng = new core.Rng(1);
export const all = [${names.slice(1).map((_, i) => `p${i}`).join(', ')}];
`,
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['types.mts', 'types.cts'] }),
  );
  run('node', [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], consumer);
  log('types resolve for import and require');
  console.log(`verify-packages: ${packages.length} packages ok (${esm}; ${cjs}; types ok)`);
} catch (error) {
  const detail = error.stdout || error.stderr ? `\n${error.stdout ?? ''}${error.stderr ?? ''}` : '';
  console.error(`verify-packages failed: ${error.message}${detail}`);
  process.exitCode = 1;
} finally {
  if (args.has('--keep')) log(`kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
