#!/usr/bin/env node
// Builds the one-shot GPU measurement (bench/README.md, "The GPU measurement"): a folder that
// runs on a GPU machine with no network and no Node.js, under 60 MB:
//
//   pnpm --filter @dit/bench gpu-bundle        (or: node bench/gpu-bundle/build.mjs [--out .gpu-bench])
//
//   .gpu-bench/
//     run.sh             the entry point: bash .gpu-bench/run.sh --out DIR [--scale full|tiny]
//     node.xz            this machine's Node binary (xz -9), unpacked to a temp folder at run time
//     app/               esbuild bundles of the orchestrator (main.mjs), bench/run-tfjs.mjs,
//                        bench/gpu-parity.mjs and bench/webgpu-memory.mjs with tfjs-core,
//                        tfjs-backend-webgpu and @dit/*
//     app/node_modules/webgpu/         npm `webgpu` (Dawn for Node) without its prebuilt addons
//     dawn.node.xz       Dawn's linux-x64 addon (xz -9), put beside it at run time
//     python/            tools/reference/model_reference.py, bench_model.py and gpu_parity.py (PyTorch side)
//     debs/              the Vulkan loader (libvulkan1) and GLVND (libglvnd0) for machines without
//                        them, unpacked into the temp folder (never into /) when needed
//     manifest.json      what was packed, from where, with sizes and versions
//
// The folder is ignored by git; the device tool carries it (`carry: [".gpu-bench"]`).
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, '..');
const root = join(benchDir, '..');
const argv = process.argv.slice(2);
const out = join(root, argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : '.gpu-bench');
const LIMIT_BYTES = 60 * 2 ** 20;
// --js-only: rebuild app/, python/ and run.sh, keep node.xz, dawn.node.xz and debs/ (xz -9 of Node takes minutes).
const jsOnly = argv.includes('--js-only') && existsSync(join(out, 'node.xz')) && existsSync(join(out, 'dawn.node.xz'));

const requireFromCore = createRequire(join(root, 'packages/core/package.json'));
const webgpuDir = dirname(requireFromCore.resolve('webgpu/package.json'));
const webgpuVersion = JSON.parse(readFileSync(join(webgpuDir, 'package.json'), 'utf8')).version;
const dawnAddon = join(webgpuDir, 'dist', 'linux-x64', 'dawn.node');
for (const [what, path] of [['Dawn addon (npm webgpu, an optional dependency of @dit/core)', dawnAddon], ['@dit/model build (pnpm build)', join(root, 'packages/model/dist/index.js')]]) {
  if (!existsSync(path)) throw new Error(`${what} missing: ${path}`);
}
if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the bundle ships this machine's Node binary; build it on linux-x64 (this is ${process.platform}-${process.arch})`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr?.toString() || result.error?.message}`);
  return result.stdout;
}

/** xz -9 of a file (multi-threaded where xz allows). */
function compress(from, to) {
  writeFileSync(to, run('xz', ['-9', '-T0', '-c', from], { maxBuffer: 256 * 2 ** 20 }));
}

for (const part of jsOnly ? ['app', 'python', 'run.sh', 'manifest.json'] : ['']) rmSync(join(out, part), { recursive: true, force: true });
mkdirSync(join(out, 'app'), { recursive: true });

// 1. The JavaScript: three entry points sharing one chunk of tfjs and @dit.
await build({
  entryPoints: { main: join(here, 'main.mjs'), 'run-tfjs': join(benchDir, 'run-tfjs.mjs'), 'webgpu-memory': join(benchDir, 'webgpu-memory.mjs'), 'gpu-parity': join(benchDir, 'gpu-parity.mjs') },
  outdir: join(out, 'app'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // Dawn is loaded from app/node_modules/webgpu (its addon comes unpacked at run time); the
  // native tfjs packages are not shipped (their candidates report themselves unavailable).
  external: ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  // sharp (image files, @dit/data via @dit/train's optimiser import) is a native addon the
  // measurement never calls: a stub that says so if it ever is.
  plugins: [
    {
      name: 'stub-sharp',
      setup(pluginBuild) {
        pluginBuild.onResolve({ filter: /^sharp$/ }, () => ({ path: 'sharp', namespace: 'stub' }));
        pluginBuild.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
          contents: "export default function sharp() { throw new Error('sharp (image files) is not part of the GPU bundle'); }",
          loader: 'js',
        }));
      },
    },
  ],
  // CommonJS dependencies call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __ditCreateRequire } from 'node:module'; const require = __ditCreateRequire(import.meta.url);" },
});

// 2. npm webgpu without its five prebuilt addons, and a package.json for tfjs-backend-webgpu:
// @dit/core checks that both packages are installed before it loads them; the backend's code is
// in the bundle.
const webgpuOut = join(out, 'app/node_modules/webgpu');
mkdirSync(join(webgpuOut, 'dist/linux-x64'), { recursive: true });
for (const file of ['index.js', 'package.json', 'LICENSE.md']) copyFileSync(join(webgpuDir, file), join(webgpuOut, file));
const backendWebgpuDir = dirname(requireFromCore.resolve('@tensorflow/tfjs-backend-webgpu/package.json'));
const backendVersion = JSON.parse(readFileSync(join(backendWebgpuDir, 'package.json'), 'utf8')).version;
mkdirSync(join(out, 'app/node_modules/@tensorflow/tfjs-backend-webgpu'), { recursive: true });
writeFileSync(
  join(out, 'app/node_modules/@tensorflow/tfjs-backend-webgpu/package.json'),
  `${JSON.stringify({ name: '@tensorflow/tfjs-backend-webgpu', version: backendVersion, description: 'bundled into app/*.mjs; this file only tells @dit/core it is installed' }, null, 2)}\n`,
);

// 3. Node and Dawn, compressed.
if (!jsOnly) {
  compress(process.execPath, join(out, 'node.xz'));
  compress(dawnAddon, join(out, 'dawn.node.xz'));
}

// 4. The PyTorch reference.
mkdirSync(join(out, 'python'));
for (const file of ['model_reference.py', 'bench_model.py', 'gpu_parity.py']) copyFileSync(join(root, 'tools/reference', file), join(out, 'python', file));

// 5. The Vulkan loader for machines without one (device/README.md: "bring the loaders").
let debNote = 'kept from the previous build';
if (!jsOnly) {
  mkdirSync(join(out, 'debs'));
  const apt = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64'];
  const debs = spawnSync('apt-get', [...apt, 'download', 'libvulkan1', 'libglvnd0'], { cwd: join(out, 'debs'), stdio: ['ignore', 'pipe', 'pipe'] });
  debNote = debs.status === 0 ? 'downloaded with apt-get download' : `not downloaded (${(debs.stderr?.toString() || debs.error?.message || '').trim().split('\n').pop()}): machines without a Vulkan loader will report it`;
}

// 6. The entry point.
copyFileSync(join(here, 'run.sh'), join(out, 'run.sh'));

function sizes(dir) {
  const files = {};
  for (const entry of readdirSync(dir, { recursive: true })) {
    const path = join(dir, entry);
    if (statSync(path).isFile()) files[relative(out, path)] = statSync(path).size;
  }
  return files;
}
const files = sizes(out);
const total = Object.values(files).reduce((a, b) => a + b, 0);
const manifest = {
  built: new Date().toISOString(),
  node: process.version,
  nodeBinary: process.execPath,
  webgpu: webgpuVersion,
  tfjsBackendWebgpu: backendVersion,
  vulkanLoader: debNote,
  totalBytes: total,
  files,
};
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
cpSync(join(out, 'manifest.json'), join(out, 'app', 'manifest.json'));
console.log(`${relative(root, out)}/: ${(total / 2 ** 20).toFixed(1)} MiB (${Object.keys(files).length} files); Node ${process.version}, webgpu ${webgpuVersion}, tfjs-backend-webgpu ${backendVersion}; Vulkan loader ${debNote}`);
if (total > LIMIT_BYTES) throw new Error(`the bundle is ${(total / 2 ** 20).toFixed(1)} MiB, over its 60 MiB limit`);
