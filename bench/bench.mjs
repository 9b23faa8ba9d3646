#!/usr/bin/env node
// The benchmark suite behind `pnpm bench` (scripts/bench.mjs builds first, then runs this).
//
// For every case of cases.mjs it times a training step, a CFG-pair forward and a 30-step Euler
// sampling run on each engine - tfjs wasm with 1 and 2 threads, tfjs cpu (tiny only), and the
// PyTorch reference (tools/reference/bench_model.py) - each in its own process, engines
// interleaved round by round so that load from other processes hits all of them alike. It
// prints a markdown table of medians with GFLOP/s and the ratio to PyTorch, and writes every
// sample to bench-results/bench-<time>.json (and bench-results/latest.json).
//
//   pnpm bench [--cases tiny,small] [--engines wasm-1,wasm-2,torch] [--measures train,forward]
//              [--rounds 3] [--reps 2] [--quick] [--baseline bench/.baseline/model.js]
//
// --baseline times another build of @dit/model (a saved dist/index.js inside bench/) on the
// wasm and node engines too, as "<engine> (baseline)", for before/after tables measured in one run.
// Engines: wasm-1, wasm-2 (tfjs wasm, 1 or 2 threads), node-1, node-2 (tfjs-node's libtensorflow
// on the CPU, 1 or 2 intra-op threads; only where @tensorflow/tfjs-node and its native library
// are installed), cpu (tfjs plain JS), torch (PyTorch, 2 threads, the reference model: the
// ratios' denominator), torch-1 (1 thread), torch-sdpa (PyTorch with its fused attention).
// Default: wasm-1, wasm-2, node-1, node-2 (when installed), cpu, torch, torch-1.
// GPU engines (`--gpu` runs these three): webgpu (tfjs-webgpu on Dawn with @dit's WebGPU kernels),
// webgpu-generic (the same with DIT_WEBGPU_KERNELS=off: tfjs' generic kernels only), torch-cuda
// (the reference model on CUDA in float32 with TF32 off: the GPU ratios' denominator). A GPU
// engine that cannot run here (no adapter, no CUDA) is reported and left out, not fatal.
// `gpu: true` cases (original8) run on GPU engines only.
// Python: DIT_PYTHON, else /opt/refvenv/bin/python, else python3; skipped without torch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CANDIDATES } from '@dit/core';
import { CASES, GUIDANCE_SCALE, MEASURES, caseById, sampleStepsOf } from './cases.mjs';
import { median, renderTables, summarise } from './report.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = fileURLToPath(new URL('.', import.meta.url));

function parseArgs(argv) {
  const args = { rounds: 2 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (key === 'quick' || key === 'gpu') args[key] = true;
    else args[key] = argv[++i];
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const defaultCases = args.gpu ? 'tiny,small,seed1,original8' : args.quick ? 'tiny,small' : CASES.filter((c) => !c.gpu).map((c) => c.id).join(',');
const cases = (args.cases ?? defaultCases).split(',').map(caseById);
const measures = (args.measures ?? MEASURES.join(',')).split(',');
const rounds = Number(args.quick ? 1 : args.rounds);
const repsOverride = args.reps !== undefined ? Number(args.reps) : args.quick ? 2 : undefined;
const torchThreads = Number(process.env.DIT_BENCH_TORCH_THREADS ?? 2);

function pythonCommand() {
  for (const candidate of [process.env.DIT_PYTHON, '/opt/refvenv/bin/python', 'python3']) {
    if (!candidate) continue;
    if (candidate.includes('/') && !existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ['-c', 'import torch'], { stdio: 'ignore' });
    if (probe.status === 0) return { python: candidate };
  }
  return { skipped: 'no Python with torch (tried DIT_PYTHON, /opt/refvenv/bin/python, python3)' };
}
const { python, skipped: torchSkipped } = pythonCommand();
const nativeProbe = DEFAULT_CANDIDATES.find((candidate) => candidate.name === 'node').probe();
const nodeSkipped = nativeProbe.available ? undefined : nativeProbe.reason;

/** Every engine: how to run one case on it. */
function engineList() {
  const names = (args.engines ?? (args.gpu ? 'webgpu,webgpu-generic,torch-cuda' : 'wasm-1,wasm-2,node-1,node-2,cpu,torch,torch-1')).split(',');
  const engines = [];
  for (const name of names) {
    if (name === 'torch-cuda' || name === 'torch-cuda-sdpa') {
      if (torchSkipped) continue;
      engines.push({ name, kind: 'torch', threads: torchThreads, attention: name === 'torch-cuda' ? 'reference' : 'sdpa', device: 'cuda', gpuEngine: true });
    } else if (name.startsWith('torch')) {
      if (torchSkipped) continue;
      const threads = name === 'torch-1' ? 1 : torchThreads;
      const attention = name === 'torch-sdpa' ? 'sdpa' : 'reference';
      engines.push({ name, kind: 'torch', threads, attention });
    } else if (name === 'webgpu' || name === 'webgpu-generic') {
      // The kernel switches are read from DIT_WEBGPU_KERNELS when @dit/model first uses them.
      engines.push({ name, kind: 'tfjs', backend: 'webgpu', threads: 1, gpuEngine: true, env: { DIT_WEBGPU_KERNELS: name === 'webgpu' ? 'on' : 'off' } });
    } else if (name.startsWith('node-')) {
      if (nodeSkipped) {
        if (args.engines) throw new Error(`engine ${name}: ${nodeSkipped}`);
        continue;
      }
      engines.push({ name, kind: 'tfjs', backend: 'node', threads: Number(name.slice(5)) });
      if (args.baseline) engines.push({ name: `${name} (baseline)`, kind: 'tfjs', backend: 'node', threads: Number(name.slice(5)), model: resolve(args.baseline) });
    } else if (name === 'cpu') {
      // Plain JavaScript is ~20x slower than wasm: tiny only, and no 30-step sampling run.
      engines.push({ name, kind: 'tfjs', backend: 'cpu', threads: 1, onlyCpuCases: true, skipMeasures: ['sample'] });
    } else {
      const match = /^wasm-(\d+)$/.exec(name);
      if (!match) throw new Error(`unknown engine '${name}' (wasm-1, wasm-2, node-1, node-2, cpu, torch, torch-sdpa, torch-1, webgpu, webgpu-generic, torch-cuda, torch-cuda-sdpa)`);
      engines.push({ name, kind: 'tfjs', backend: 'wasm', threads: Number(match[1]) });
      if (args.baseline) engines.push({ name: `${name} (baseline)`, kind: 'tfjs', backend: 'wasm', threads: Number(match[1]), model: resolve(args.baseline) });
    }
  }
  return engines;
}
const engines = engineList();

function runEngine(engine, benchCase) {
  let command;
  let commandArgs;
  let env = process.env;
  const engineMeasures = measures.filter((m) => !engine.skipMeasures?.includes(m));
  if (engine.kind === 'torch') {
    const request = { case: benchCase, measures: engineMeasures, threads: engine.threads, steps: sampleStepsOf(benchCase), guidance: GUIDANCE_SCALE, attention: engine.attention, device: engine.device ?? 'cpu' };
    // libgomp's default busy-waiting collapses when another process shares the cores (a tiny
    // training step took 1.2 s instead of 15 ms here); passive waiting costs little when idle.
    env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
    if (repsOverride !== undefined) request.reps = repsOverride;
    command = python;
    commandArgs = [join(root, 'tools/reference/bench_model.py'), JSON.stringify(request)];
  } else {
    command = process.execPath;
    commandArgs = [join(benchDir, 'run-tfjs.mjs'), '--backend', engine.backend, '--threads', String(engine.threads), '--case', benchCase.id, '--measures', engineMeasures.join(',')];
    if (repsOverride !== undefined) commandArgs.push('--reps', String(repsOverride));
    if (engine.model) commandArgs.push('--model', engine.model);
    // libtensorflow reads its thread pools' sizes from the environment when it starts.
    if (engine.backend === 'node') env = { ...process.env, TF_NUM_INTRAOP_THREADS: String(engine.threads), TF_NUM_INTEROP_THREADS: '1' };
    if (engine.env) env = { ...process.env, ...engine.env };
  }
  const result = spawnSync(command, commandArgs, { cwd: benchDir, encoding: 'utf8', maxBuffer: 64 << 20, env });
  if (result.status !== 0) {
    return { error: `${engine.name} on ${benchCase.id} failed (exit ${result.status}): ${(result.stderr || result.stdout).trim().split('\n').slice(-5).join(' | ')}` };
  }
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

// samples[caseId][engine][measure] = [{ wallMs, cpuMs, stepMs? }, ...] over all rounds.
const samples = {};
const versions = {};
// GPU memory per case and engine: tfjs-webgpu's allocated bytes, PyTorch's max_memory_allocated.
const memory = {};
const unavailable = new Set();
const skipped = [];
const errors = [];
const started = new Date();
const loadBefore = loadavg();
for (const benchCase of cases) {
  samples[benchCase.id] = {};
  for (let round = 0; round < rounds; round++) {
    // Rotate the engine order each round, so none always runs first or last.
    const order = engines.map((_, i) => engines[(i + round) % engines.length]);
    for (const engine of order) {
      if (engine.onlyCpuCases && !benchCase.cpu) continue;
      if (benchCase.gpu && !engine.gpuEngine) continue;
      if (unavailable.has(engine.name)) continue;
      // A software adapter (lavapipe) runs shaders on the CPU: only the CPU-sized cases there.
      if (engine.backend === 'webgpu' && versions.webgpu?.software && !benchCase.cpu) {
        const note = `${engine.name} on ${benchCase.id}: left out, the WebGPU adapter is software (${versions.webgpu.description}); only the tiny case runs there`;
        if (!skipped.includes(note)) skipped.push(note);
        continue;
      }
      process.stderr.write(`[bench] ${benchCase.id} round ${round + 1}/${rounds}: ${engine.name} ... `);
      const output = runEngine(engine, benchCase);
      if (output.error) {
        // A GPU engine that cannot start here (no adapter, no CUDA) is left out of the later cases and rounds.
        if (engine.gpuEngine && /no WebGPU adapter|could not be used|is_available\(\) is False|webgpu is unavailable|no adapter/i.test(output.error)) {
          process.stderr.write('not available here\n');
          unavailable.add(engine.name);
          skipped.push(output.error);
        } else {
          process.stderr.write('failed\n');
          errors.push(output.error);
        }
        continue;
      }
      if (output.torch && output.device !== 'cuda') versions.torch = { version: output.torch, blas: output.blas, threads: output.threads };
      if (output.device === 'cuda') versions.cuda = { torch: output.torch, cuda: output.cuda, gpu: output.gpu, tf32: output.tf32 };
      if (output.gpu?.adapter) versions.webgpu = output.gpu.adapter;
      if (output.gpu?.allocatedBytes || output.peakBytes) (memory[benchCase.id] ??= {})[engine.name] = output.gpu?.allocatedBytes ?? output.peakBytes;
      if (output.tfjs) versions.tfjs = output.tfjs;
      const slot = (samples[benchCase.id][engine.name] ??= {});
      for (const [measure, reps] of Object.entries(output.results)) (slot[measure] ??= []).push(...reps);
      const summary = Object.entries(output.results).map(([m, reps]) => `${m} ${median(reps.map((r) => r.wallMs)).toFixed(0)} ms`).join(', ');
      process.stderr.write(`${summary}\n`);
    }
  }
}

const summary = summarise(cases, samples);

const cpuModel = (() => {
  try {
    return /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model;
  } catch {
    return cpus()[0]?.model;
  }
})();
const machine = {
  cpu: cpuModel,
  cores: cpus().length,
  memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
  node: process.version,
  tfjs: versions.tfjs,
  torch: versions.torch ?? torchSkipped,
  tfjsNode: nodeSkipped ?? 'installed',
  webgpu: versions.webgpu,
  cuda: versions.cuda,
  loadAverage: { before: loadBefore.map((l) => +l.toFixed(2)), after: loadavg().map((l) => +l.toFixed(2)) },
};

const table = renderTables({ machine, rounds, cases, summary, errors, memory, skipped });
console.log(table);

const outDir = args.out ?? join(root, 'bench-results');
mkdirSync(outDir, { recursive: true });
const stamp = started.toISOString().replace(/[:.]/g, '-');
const record = { started: started.toISOString(), machine, rounds, measures, engines: engines.map((e) => e.name), cases, summary, samples, memory, errors, skipped, table };
writeFileSync(join(outDir, `bench-${stamp}.json`), JSON.stringify(record, null, 2));
writeFileSync(join(outDir, 'latest.json'), JSON.stringify(record, null, 2));
console.log(`\nwritten ${join(outDir, `bench-${stamp}.json`)}`);
process.exit(errors.length ? 1 : 0);
