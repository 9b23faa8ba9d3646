#!/usr/bin/env node
// The orchestrator of the one-shot GPU measurement (run.sh starts it with the shipped Node; it
// also runs from the repository: node bench/gpu-bundle/main.mjs --scale tiny --out DIR).
//
// In order, each in its own process with a time limit, so that one that hangs or runs slow
// costs only its own share of the budget:
//   1. PyTorch, the reference (tools/reference/bench_model.py): CUDA in float32 with TF32 off
//      (CPU where there is no CUDA: then the ratios are a wiring check, not a GPU comparison)
//   2. webgpu: @dit on tfjs-webgpu with @dit's WebGPU kernels (DIT_WEBGPU_KERNELS=on), the
//      engine the goals judge, so it comes before the budget can run short
//   3. correctness on this GPU (bench/gpu-parity.mjs): the forward and gradients of a 2-block
//      model of the case's width on WebGPU, @dit's kernels and the generic ones, against PyTorch
//      in float64 on the CPU (tools/reference/gpu_parity.py)
//   4. webgpu-generic: the same timings with tfjs' generic kernels only (DIT_WEBGPU_KERNELS=off)
//   5. GPU memory on WebGPU (bench/webgpu-memory.mjs): tfjs-webgpu's allocated bytes over AdamW
//      steps against estimateMemory, without gradient checkpointing, then with it
//   6. on CUDA, with what budget is left: PyTorch with F.scaled_dot_product_attention
//      (torch-cuda-sdpa), for context; the goals are judged against the reference model
// Each engine times a training step (forward + MSE + backward + gradient norm, bench/cases.mjs) and a guided
// sampling run (batched CFG pair + Euler update per step; the first step is the warm-up).
// Writes OUT/gpu-bench.json (everything) and OUT/gpu-bench.md (the table), prints the table.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseById, GUIDANCE_SCALE, sampleStepsOf } from '../cases.mjs';
import { renderGpuTable, renderParityTable, summarise } from '../report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const scale = option('scale', 'full');
if (!['full', 'tiny'].includes(scale)) throw new Error(`--scale must be full or tiny, got '${scale}'`);
const outDir = option('out', join(process.cwd(), 'gpu-bench-out'));
const python = option('python', 'python3');
// In the bundle the Python files sit in ../python; from the repository, in tools/reference.
const pythonDir = option('python-dir', existsSync(join(here, '../../tools/reference/bench_model.py')) ? join(here, '../../tools/reference') : join(here, '../python'));
const budgetSeconds = Number(option('budget', 330));
const started = Date.now();
const secondsLeft = () => budgetSeconds - (Date.now() - started) / 1000;
mkdirSync(outDir, { recursive: true });
const logFile = join(outDir, 'log.txt');
const log = (line) => {
  process.stderr.write(`[gpu-bench] ${line}\n`);
  appendFileSync(logFile, `[gpu-bench] ${line}\n`);
};

// run-tfjs.mjs and webgpu-memory.mjs: bundled beside this file, or in bench/ from the repository.
const script = (name) => (existsSync(join(here, `${name}.mjs`)) ? join(here, `${name}.mjs`) : join(here, '..', `${name}.mjs`));

const benchCase = caseById(scale === 'full' ? 'original8' : 'tiny');
// Few repetitions at full scale: the budget is about six minutes for everything.
const reps = scale === 'full' ? { train: 2, forward: 2 } : { train: 3, forward: 3 };
const measures = scale === 'full' ? ['train', 'sample'] : ['train', 'forward', 'sample'];

/** Runs a command with a time limit; returns its last JSON line or the reason it gave none. */
function runJson(label, command, args, { env = process.env, limitSeconds }) {
  const limit = Math.max(5, Math.min(limitSeconds, secondsLeft() - 5));
  if (secondsLeft() < 15) return { error: `${label}: skipped, the time budget (${budgetSeconds} s) is spent` };
  log(`${label}: starting (limit ${limit.toFixed(0)} s, ${secondsLeft().toFixed(0)} s of the budget left)`);
  const t0 = Date.now();
  const result = spawnSync(command, args, { encoding: 'utf8', env, timeout: limit * 1000, killSignal: 'SIGKILL', maxBuffer: 64 << 20 });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  appendFileSync(logFile, `--- ${label} stderr (tail) ---\n${(result.stderr ?? '').split('\n').slice(-40).join('\n')}\n`);
  const lines = (result.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{'));
  if (result.error?.code === 'ETIMEDOUT' || result.signal === 'SIGKILL') return { error: `${label}: stopped at its ${limit.toFixed(0)} s limit`, seconds };
  if (result.status !== 0 || lines.length === 0) {
    const tail = (result.stderr || result.stdout || result.error?.message || '').trim().split('\n').slice(-4).join(' | ');
    return { error: `${label}: failed (exit ${result.status}) after ${seconds} s: ${tail}`, seconds };
  }
  log(`${label}: done in ${seconds} s`);
  return { ...JSON.parse(lines[lines.length - 1]), seconds };
}

const record = { scale, case: benchCase, started: new Date(started).toISOString(), budgetSeconds, loader: option('loader', 'unknown'), env: {}, engines: {}, memory: [], errors: [] };
for (const name of ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'LD_LIBRARY_PATH', 'DIT_DAWN_FLAGS']) if (process.env[name]) record.env[name] = process.env[name];
const nvidiaSmi = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8' });
record.nvidiaSmi = nvidiaSmi.status === 0 ? nvidiaSmi.stdout.trim() : 'nvidia-smi not available';
record.machine = { cores: cpus().length, cpu: cpus()[0]?.model, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version };
log(`case ${benchCase.id}: ${benchCase.label}; GPU: ${record.nvidiaSmi}`);

// samples[case][engine][measure], as bench.mjs keeps them, for report.mjs.
const samples = { [benchCase.id]: {} };
const memory = { [benchCase.id]: {} };
const keep = (engine, output) => {
  if (output.error) {
    log(output.error);
    record.errors.push(output.error);
    return;
  }
  record.engines[engine] = { ...(record.engines[engine] ?? {}), ...output, results: { ...(record.engines[engine]?.results ?? {}), ...output.results } };
  const slot = (samples[benchCase.id][engine] ??= {});
  for (const [measure, runs] of Object.entries(output.results)) slot[measure] = runs;
  const bytes = output.gpu?.allocatedBytes ?? output.peakBytes;
  if (bytes) memory[benchCase.id][engine] = { ...(memory[benchCase.id][engine] ?? {}), ...bytes };
};

// 1. PyTorch.
const probe = spawnSync(python, ['-c', 'import json, torch; print(json.dumps({"torch": torch.__version__, "cuda": torch.cuda.is_available()}))'], { encoding: 'utf8' });
const torchInfo = probe.status === 0 ? JSON.parse(probe.stdout.trim().split('\n').pop()) : null;
const device = torchInfo?.cuda ? 'cuda' : 'cpu';
const reference = device === 'cuda' ? 'torch-cuda' : 'torch-cpu';
if (!torchInfo) {
  record.errors.push(`PyTorch: '${python}' cannot import torch: ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}`);
} else {
  if (device === 'cpu') log('PyTorch has no CUDA here: the reference runs on the CPU, and the ratios are a wiring check only');
  timeTorch(reference, 'reference');
}

/** Times the PyTorch reference model: its explicit softmax attention ('reference'), or F.scaled_dot_product_attention ('sdpa'). */
function timeTorch(engine, attention) {
  for (const measure of measures) {
    const request = { case: benchCase, measures: [measure], threads: Math.min(16, cpus().length), steps: sampleStepsOf(benchCase), guidance: GUIDANCE_SCALE, attention, device, reps: reps[measure] ?? 1 };
    keep(engine, runJson(`${engine} ${measure}`, python, [join(pythonDir, 'bench_model.py'), JSON.stringify(request)], { limitSeconds: scale === 'full' ? 90 : 120 }));
  }
}

/** Times one WebGPU engine: @dit's kernels on (webgpu) or off (webgpu-generic). */
function timeWebgpu(engine, kernels) {
  const env = { ...process.env, DIT_WEBGPU_KERNELS: kernels };
  for (const measure of measures) {
    const args = [script('run-tfjs'), '--backend', 'webgpu', '--case', benchCase.id, '--measures', measure];
    if (reps[measure] !== undefined) args.push('--reps', String(reps[measure]));
    keep(engine, runJson(`${engine} ${measure}`, process.execPath, args, { env, limitSeconds: scale === 'full' ? 100 : 240 }));
  }
}

// 2. WebGPU with @dit's kernels: the engine the goals judge.
timeWebgpu('webgpu', 'on');

// 3. Correctness on this GPU: a 2-block model of the case's width, against PyTorch in float64.
const parityCase = scale === 'full'
  ? { config: { in_channels: 4, patch_size: 2, hidden_size: 1024, depth: 2, num_heads: 16, text_embed_dim: 1152, text_length: 256 }, batch: 2, height: 32, width: 32 }
  : { config: { in_channels: 4, patch_size: 2, hidden_size: 64, depth: 2, num_heads: 4, text_embed_dim: 48, text_length: 16 }, batch: 2, height: 8, width: 8 };
const parityLabel = `forward and gradients of sum(v * w) of a ${parityCase.config.depth}-block model, hidden ${parityCase.config.hidden_size}, ${parityCase.config.num_heads} heads, ` +
  `${parityCase.height}x${parityCase.width} latents + ${parityCase.config.text_length} text tokens, batch ${parityCase.batch}, random weights`;
const parityDir = mkdtempSync(join(tmpdir(), 'dit-gpu-parity-'));
record.parity = { label: parityLabel, results: {} };
const parityReference = torchInfo ? runJson('parity reference (PyTorch float64)', python, [join(pythonDir, 'gpu_parity.py'), JSON.stringify({ ...parityCase, out: parityDir })], { limitSeconds: 120 }) : { error: 'no PyTorch' };
if (parityReference.error) record.errors.push(parityReference.error);
for (const [engine, kernels] of [['webgpu', 'on'], ['webgpu-generic', 'off']]) {
  if (parityReference.error) {
    record.parity.results[engine] = { error: parityReference.error };
    continue;
  }
  record.parity.results[engine] = runJson(`parity ${engine}`, process.execPath, [script('gpu-parity'), '--backend', 'webgpu', '--reference', parityDir], { env: { ...process.env, DIT_WEBGPU_KERNELS: kernels }, limitSeconds: 90 });
  if (record.parity.results[engine].error) record.errors.push(record.parity.results[engine].error);
}
rmSync(parityDir, { recursive: true, force: true });

// 4. WebGPU with tfjs' generic kernels only: what @dit's kernels gain.
timeWebgpu('webgpu-generic', 'off');

// 5. GPU memory on WebGPU against estimateMemory.
for (const checkpointing of [false, true]) {
  const args = [script('webgpu-memory'), '--case', benchCase.id, ...(checkpointing ? ['--checkpointing'] : [])];
  const output = runJson(`memory${checkpointing ? ' (checkpointing)' : ''}`, process.execPath, args, { env: { ...process.env, DIT_WEBGPU_KERNELS: 'on' }, limitSeconds: scale === 'full' ? 90 : 240 });
  if (output.error) record.errors.push(output.error);
  else record.memory.push(output);
}

// 6. For context, with what budget is left: PyTorch with its fused attention (the goals are
// judged against the reference model, as issue #13 states them).
if (device === 'cuda') timeTorch('torch-cuda-sdpa', 'sdpa');

// The report.
const adapter = Object.values(record.engines).find((e) => e.gpu?.adapter)?.gpu.adapter;
const machine = {
  cuda: device === 'cuda' ? { torch: torchInfo.torch, cuda: record.engines[reference]?.cuda, gpu: record.engines[reference]?.gpu ?? record.nvidiaSmi } : undefined,
  webgpu: adapter,
};
const summary = summarise([benchCase], samples);
// Without CUDA the CPU reference stands in, so that the ratio wiring is exercised; said in the table.
if (reference === 'torch-cpu') {
  for (const byMeasure of Object.values(summary[benchCase.id])) {
    for (const [measure, s] of Object.entries(byMeasure)) {
      const ref = summary[benchCase.id]['torch-cpu']?.[measure];
      if (ref) s.ratioGpu = measure === 'sample' && s.stepMs !== undefined ? s.stepMs / ref.stepMs : s.wallMs / ref.wallMs;
    }
  }
}
const lines = [];
if (adapter?.software || reference === 'torch-cpu') {
  lines.push(`WIRING CHECK, NOT A GPU MEASUREMENT: ${adapter?.software ? `the WebGPU adapter is software (${adapter.description})` : ''}${adapter?.software && reference === 'torch-cpu' ? '; ' : ''}${reference === 'torch-cpu' ? 'PyTorch ran on the CPU' : ''}.`);
  lines.push('');
}
lines.push(renderGpuTable({ machine, cases: [benchCase], summary, memory, reference }));
if (record.memory.length > 0) {
  lines.push('');
  lines.push('GPU memory on WebGPU over AdamW steps: tfjs-webgpu allocated bytes (its buffer pool included) against estimateMemory.');
  lines.push('');
  lines.push('| checkpointing | peak tensor bytes (tf.profile) | allocated (pool) | estimate: tensors | estimate: deviceBytes | allocated / deviceBytes | implied pool factor |');
  lines.push('|---|---|---|---|---|---|---|');
  const gib = (b) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(1)} MiB`);
  for (const m of record.memory) {
    lines.push(`| ${m.checkpointing ? 'on' : 'off'} | ${gib(m.peakTensorBytes)} | ${gib(m.peakAllocatedBytes)} | ${gib(m.estimate.totalBytes)} | ${gib(m.estimate.deviceBytes)} | ${m.allocatedOverDeviceEstimate.toFixed(2)} | ${m.impliedPoolFactor.toFixed(2)} |`);
  }
}
lines.push('');
lines.push(renderParityTable(record.parity));
lines.push('');
if (summary[benchCase.id]?.['torch-cuda-sdpa']) lines.push('- torch-cuda-sdpa: the same PyTorch model with F.scaled_dot_product_attention, its fused attention, for context; the goals are judged against torch-cuda, the reference model with explicit softmax attention, as issue #13 states them');
lines.push(`- ${benchCase.id}: ${benchCase.label}; guided sampling: ${sampleStepsOf(benchCase)} Euler steps, CFG ${GUIDANCE_SCALE}, the first step left out`);
lines.push(`- GPU: ${record.nvidiaSmi}; Vulkan loader: ${record.loader}; ${(Date.now() - started) / 1000 | 0} s of the ${budgetSeconds} s budget`);
for (const error of record.errors) lines.push(`- error: ${error}`);
const table = lines.join('\n');
record.summary = summary;
record.table = table;
record.seconds = (Date.now() - started) / 1000;
writeFileSync(join(outDir, 'gpu-bench.json'), `${JSON.stringify(record, null, 2)}\n`);
writeFileSync(join(outDir, 'gpu-bench.md'), `${table}\n`);
console.log(table);
// A median per engine and measure in one line each, for logs that keep only the end.
for (const [engine, byMeasure] of Object.entries(summary[benchCase.id])) {
  console.log(`${engine}: ${Object.entries(byMeasure).map(([m, s]) => `${m} ${(m === 'sample' ? s.stepMs : s.wallMs)?.toFixed(1)} ms${s.ratioGpu ? ` x${s.ratioGpu.toFixed(2)}` : ''}`).join(', ')}`);
}
process.exit(Object.keys(record.engines).length === 0 ? 1 : 0);
