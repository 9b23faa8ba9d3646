#!/usr/bin/env node
// GEMM throughput floor: the original-width block's products on tfjs wasm (1 and 2 threads),
// tfjs-node (libtensorflow, 1 and 2 intra-op threads, where it is installed) and PyTorch (1 and
// 2 threads), interleaved, with wall and CPU time. At original width ~85% of a
// training step is these products, so their throughput ratio bounds the whole step's ratio.
//
//   node bench/gemm.mjs [--rounds 3]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const rounds = Number(argv[argv.indexOf('--rounds') + 1] || 3);
// [M, K, N]: token rows x (in -> out) of the original-width Linears (batch 1 and the CFG pair) and one attention head.
const SHAPES = [[1280, 1024, 4096], [2560, 1024, 4096], [1280, 1024, 3072], [1280, 64, 1280], [1280, 1280, 64]];

if (argv[0] === '--child') {
  const threads = Number(argv[1]);
  const backend = argv[2] ?? 'wasm';
  const tf = await import('@tensorflow/tfjs-core');
  const { selectBackend } = await import('@dit/core');
  await selectBackend({ force: backend, threads });
  const out = [];
  for (const [m, k, n] of SHAPES) {
    const a = tf.randomNormal([m, k]);
    const b = tf.randomNormal([k, n]);
    const run = () => tf.tidy(() => tf.matMul(a, b)).dataSync();
    run();
    const wall = [];
    const cpu = [];
    for (let i = 0; i < 3; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      run();
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    out.push({ shape: [m, k, n], wallMs: Math.min(...wall), cpuMs: Math.min(...cpu) });
    tf.dispose([a, b]);
  }
  console.log(JSON.stringify(out));
  process.exit(0);
}

const python = [process.env.DIT_PYTHON, '/opt/refvenv/bin/python', 'python3'].find((p) => p && (!p.includes('/') || existsSync(p)));
const torchScript = `
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
out = []
for m, k, n in ${JSON.stringify(SHAPES)}:
    a, b = torch.randn(m, k), torch.randn(k, n)
    a @ b
    wall, cpu = [], []
    for _ in range(3):
        c0, t0 = time.process_time(), time.perf_counter()
        a @ b
        wall.append((time.perf_counter() - t0) * 1000); cpu.append((time.process_time() - c0) * 1000)
    out.append({"shape": [m, k, n], "wallMs": min(wall), "cpuMs": min(cpu)})
print(json.dumps(out))
`;
const tfjsChild = (backend, threads) => () =>
  spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(threads), backend], {
    cwd: join(root, 'bench'),
    encoding: 'utf8',
    // libtensorflow sizes its thread pools from the environment when it starts.
    env: { ...process.env, TF_NUM_INTRAOP_THREADS: String(threads), TF_NUM_INTEROP_THREADS: '1' },
  });
const { DEFAULT_CANDIDATES } = await import('@dit/core');
const nodeInstalled = DEFAULT_CANDIDATES.find((candidate) => candidate.name === 'node').probe().available;
const engines = [
  { name: 'wasm-1', run: tfjsChild('wasm', 1) },
  { name: 'wasm-2', run: tfjsChild('wasm', 2) },
  ...(nodeInstalled ? [{ name: 'node-1', run: tfjsChild('node', 1) }, { name: 'node-2', run: tfjsChild('node', 2) }] : []),
  { name: 'torch-1', run: () => spawnSync(python, ['-c', torchScript, '1'], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } }) },
  { name: 'torch-2', run: () => spawnSync(python, ['-c', torchScript, '2'], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } }) },
];
const best = {};
for (let r = 0; r < rounds; r++) {
  for (const engine of engines) {
    const result = engine.run();
    if (result.status !== 0) throw new Error(`${engine.name}: ${result.stderr}`);
    for (const row of JSON.parse(result.stdout.trim().split('\n').pop())) {
      const key = `${engine.name} ${row.shape.join('x')}`;
      const prev = best[key];
      best[key] = { engine: engine.name, shape: row.shape, wallMs: Math.min(prev?.wallMs ?? Infinity, row.wallMs), cpuMs: Math.min(prev?.cpuMs ?? Infinity, row.cpuMs) };
    }
  }
}
const pairs = [['wasm-1', 'torch-1'], ['wasm-2', 'torch-2'], ...(nodeInstalled ? [['node-1', 'torch-1'], ['node-2', 'torch-2']] : [])];
const lines = [
  '| M x K x N | ' + engines.map((e) => `${e.name} GFLOP/s`).join(' | ') + ' | ' + pairs.map(([a, b]) => `${a} / ${b}`).join(' | ') + ' |',
  '|---|' + engines.map(() => '---|').join('') + pairs.map(() => '---|').join(''),
];
for (const shape of SHAPES) {
  const key = shape.join('x');
  const gf = (name) => (2 * shape[0] * shape[1] * shape[2]) / (best[`${name} ${key}`].wallMs / 1000) / 1e9;
  lines.push(`| ${key} | ${engines.map((e) => gf(e.name).toFixed(1)).join(' | ')} | ${pairs.map(([a, b]) => `x${(gf(b) / gf(a)).toFixed(2)}`).join(' | ')} |`);
}
console.log(`Best of 3 x ${rounds} rounds (wall time; best-of, since load from other processes only ever adds time)\n`);
console.log(lines.join('\n'));
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'gemm.json'), JSON.stringify({ rounds, results: Object.values(best), table: lines.join('\n') }, null, 2));
