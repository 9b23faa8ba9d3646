#!/usr/bin/env node
// Summaries and markdown tables of bench results (bench.mjs uses these; run directly to
// re-render a saved result):
//
//   node bench/report.mjs bench-results/latest.json
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { forwardFlops, trainingStepFlops } from '@dit/model';
import { GUIDANCE_SCALE, SAMPLE_STEPS, sampleStepsOf } from './cases.mjs';

export const median = (values) => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Medians (wall and CPU time), GFLOP/s and ratios per case, engine and measure. */
export function summarise(cases, samples) {
  const summary = {};
  for (const benchCase of cases) {
    const { config, batch, height, width } = benchCase;
    const flops = {
      train: trainingStepFlops(config, { height, width, batch }),
      forward: forwardFlops(config, { height, width, batch: 2 * batch }),
      sample: sampleStepsOf(benchCase) * forwardFlops(config, { height, width, batch: 2 * batch }),
    };
    const perEngine = (summary[benchCase.id] = {});
    for (const [engine, byMeasure] of Object.entries(samples[benchCase.id] ?? {})) {
      perEngine[engine] = {};
      for (const [measure, reps] of Object.entries(byMeasure)) {
        const wallMs = median(reps.map((r) => r.wallMs));
        const entry = { wallMs, cpuMs: median(reps.map((r) => r.cpuMs)), n: reps.length, gflops: flops[measure] / (wallMs / 1000) / 1e9 };
        // Per-step time of sampling runs, the first (warm-up) step left out.
        if (measure === 'sample') entry.stepMs = median(reps.flatMap((r) => r.stepMs.slice(1)));
        perEngine[engine][measure] = entry;
      }
    }
    for (const byMeasure of Object.values(perEngine)) {
      for (const [measure, s] of Object.entries(byMeasure)) {
        const torch = perEngine.torch?.[measure];
        if (torch) s.ratio = s.wallMs / torch.wallMs;
        const torch1 = perEngine['torch-1']?.[measure];
        if (torch1) s.cpuRatio = s.cpuMs / torch1.cpuMs;
        const sdpa = perEngine['torch-sdpa']?.[measure];
        if (sdpa) s.ratioSdpa = s.wallMs / sdpa.wallMs;
        // GPU engines against PyTorch on the same GPU (float32, TF32 off); sampling by its step time.
        const cuda = perEngine['torch-cuda']?.[measure];
        if (cuda) s.ratioGpu = measure === 'sample' && s.stepMs !== undefined && cuda.stepMs ? s.stepMs / cuda.stepMs : s.wallMs / cuda.wallMs;
      }
    }
  }
  return summary;
}

const fmt = (ms) => (ms === undefined ? '-' : ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`);

/** Engines that run on a GPU: their ratios are to torch-cuda, on the same GPU. */
export const isGpuEngine = (engine) => engine.startsWith('webgpu') || engine.startsWith('torch-cuda') || engine === 'torch-cpu';

const gib = (bytes) => (bytes === undefined ? '-' : bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

/**
 * The GPU table: time per training step and per guided sampling step (batched CFG pair plus the
 * Euler update), each as a ratio to PyTorch float32 (TF32 off) on the same GPU, with the goals of
 * issue #13 (training within 2.0x, a guided sampling step within 1.5x), and GPU memory.
 */
export function renderGpuTable({ machine, cases, summary, memory = {}, reference = 'torch-cuda' }) {
  const lines = [];
  const gpu = machine.cuda?.gpu ?? machine.webgpu?.description ?? 'GPU';
  // Against PyTorch on the CPU (no CUDA here) the ratios only show that the wiring works.
  const wiring = reference !== 'torch-cuda' || Boolean(machine.webgpu?.software);
  lines.push(`GPU engines on ${gpu}` + (machine.webgpu ? `; WebGPU adapter: ${[machine.webgpu.vendor, machine.webgpu.architecture, machine.webgpu.description].filter(Boolean).join(' ')}` : '') +
    (machine.cuda ? `; PyTorch ${machine.cuda.torch}, CUDA ${machine.cuda.cuda}, float32 with TF32 off` : '') + '.');
  lines.push(
    wiring
      ? `(xN) = time / ${reference} time. Not a GPU comparison (${reference === 'torch-cuda' ? 'a software WebGPU adapter' : 'PyTorch on the CPU'}): the goals are not judged.`
      : '(xN) = time / torch-cuda time on the same GPU. Goals (issue #13): train step within 2.0x, guided sampling step within 1.5x.',
  );
  lines.push('');
  lines.push('| case | engine | train step | goal 2.0x | forward, CFG pair | guided sampling step | goal 1.5x | GPU memory |');
  lines.push('|---|---|---|---|---|---|---|---|');
  const ratio = (s) => (s?.ratioGpu === undefined ? '' : ` (x${s.ratioGpu.toFixed(2)})`);
  const goal = (s, limit) => (s?.ratioGpu === undefined || wiring ? '-' : s.ratioGpu <= limit ? 'met' : 'not met');
  for (const benchCase of cases) {
    for (const [engine, s] of Object.entries(summary[benchCase.id] ?? {})) {
      if (!isGpuEngine(engine)) continue;
      const bytes = memory[benchCase.id]?.[engine];
      const peak = bytes === undefined ? undefined : Math.max(...Object.values(bytes));
      const isReference = engine.startsWith('torch');
      lines.push(`| ${benchCase.id} | ${engine} | ${fmt(s.train?.wallMs)}${ratio(s.train)} | ${isReference ? '' : goal(s.train, 2)} | ${fmt(s.forward?.wallMs)}${ratio(s.forward)} | ` +
        `${fmt(s.sample?.stepMs)}${ratio(s.sample)} | ${isReference ? '' : goal(s.sample, 1.5)} | ${gib(peak)} |`);
    }
  }
  return lines.join('\n');
}

/** The markdown report: the machine, wall-time medians with ratios, and single-thread CPU times. */
export function renderTables({ machine, rounds, cases, summary, errors = [], memory = {}, skipped = [] }) {
  const ratio = (s, key = 'ratio') => (s?.[key] === undefined ? '' : ` (x${s[key].toFixed(2)})`);
  const lines = [];
  lines.push(`Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, tfjs ${machine.tfjs ?? '?'}, ` +
    (typeof machine.torch === 'object' ? `PyTorch ${machine.torch.version} (${machine.torch.blas})` : `PyTorch: ${machine.torch}`) +
    `; load average ${machine.loadAverage.before[0]} -> ${machine.loadAverage.after[0]}`);
  lines.push(`Medians of ${rounds} interleaved round(s). (xN) = wall time / PyTorch (2 threads) wall time. ` +
    `Sampling: ${SAMPLE_STEPS} Euler steps unless a case says otherwise, CFG ${GUIDANCE_SCALE}, batched [uncond; cond].`);
  const cpuEngines = cases.some((c) => Object.keys(summary[c.id] ?? {}).some((engine) => !isGpuEngine(engine)));
  if (cpuEngines) {
    lines.push('');
    lines.push('| case | engine | train step | train GFLOP/s | forward, CFG pair | forward GFLOP/s | sampling run | per step |');
    lines.push('|---|---|---|---|---|---|---|---|');
  }
  for (const benchCase of cases) {
    for (const [engine, s] of Object.entries(summary[benchCase.id] ?? {})) {
      if (isGpuEngine(engine)) continue;
      lines.push(`| ${benchCase.id} | ${engine} | ${fmt(s.train?.wallMs)}${ratio(s.train)} | ${s.train ? s.train.gflops.toFixed(1) : '-'} | ` +
        `${fmt(s.forward?.wallMs)}${ratio(s.forward)} | ${s.forward ? s.forward.gflops.toFixed(1) : '-'} | ${fmt(s.sample?.wallMs)}${ratio(s.sample)} | ${fmt(s.sample?.stepMs)} |`);
    }
  }
  // CPU time of the single-threaded engines: what each did, however the cores were shared.
  const single = (engine) => ['wasm-1', 'wasm-1 (baseline)', 'node-1', 'cpu', 'torch-1'].includes(engine);
  if (cases.some((c) => Object.keys(summary[c.id] ?? {}).some(single))) {
    lines.push('');
    lines.push('Single-thread CPU time (process CPU time, insensitive to time-slicing by other processes); (xN) = / PyTorch 1 thread.');
    lines.push('');
    lines.push('| case | engine | train step | forward, CFG pair | sampling, 30 steps |');
    lines.push('|---|---|---|---|---|');
    for (const benchCase of cases) {
      for (const [engine, s] of Object.entries(summary[benchCase.id] ?? {})) {
        if (!single(engine)) continue;
        lines.push(`| ${benchCase.id} | ${engine} | ${fmt(s.train?.cpuMs)}${ratio(s.train, 'cpuRatio')} | ${fmt(s.forward?.cpuMs)}${ratio(s.forward, 'cpuRatio')} | ${fmt(s.sample?.cpuMs)}${ratio(s.sample, 'cpuRatio')} |`);
      }
    }
  }
  if (cases.some((c) => Object.keys(summary[c.id] ?? {}).some(isGpuEngine))) {
    lines.push('');
    lines.push(renderGpuTable({ machine, cases, summary, memory }));
  }
  lines.push('');
  for (const benchCase of cases) lines.push(`- ${benchCase.id}: ${benchCase.label}${benchCase.sampleSteps ? ` (sampling: ${benchCase.sampleSteps} steps)` : ''}`);
  for (const note of skipped) lines.push(`- not available here: ${note}`);
  for (const error of errors) lines.push(`- error: ${error}`);
  return lines.join('\n');
}

// Run directly (not when bundled into another entry point, where import.meta.url is that file's).
if (process.argv[1] === fileURLToPath(import.meta.url) && import.meta.url.endsWith('/report.mjs')) {
  for (const file of process.argv.slice(2)) {
    const record = JSON.parse(readFileSync(file, 'utf8'));
    console.log(renderTables({ ...record, summary: summarise(record.cases, record.samples) }));
  }
}

/** The tolerance of the correctness check: the PyTorch-parity tests' bound on wasm and lavapipe. */
export const PARITY_TOLERANCE = 1e-4;

/**
 * The correctness check of the GPU measurement (bench/gpu-parity.mjs): per engine, the errors of
 * the velocity, the input gradient and the worst parameter gradient against PyTorch in float64,
 * relative to the largest reference value, judged against PARITY_TOLERANCE.
 */
export function renderParityTable({ label, results }) {
  const lines = [];
  lines.push(`Correctness on this GPU: ${label}; error = max |difference| / max |PyTorch float64 value|, within ${PARITY_TOLERANCE} to pass.`);
  lines.push('');
  lines.push('| engine | velocity | input gradient | worst parameter gradient | within tolerance |');
  lines.push('|---|---|---|---|---|');
  for (const [engine, result] of Object.entries(results)) {
    if (result.error) {
      lines.push(`| ${engine} | - | - | - | not run: ${result.error} |`);
      continue;
    }
    const { velocity, inputGradient, parameterGradient, worstParameter } = result.errors;
    const pass = Math.max(velocity, inputGradient, parameterGradient) <= PARITY_TOLERANCE;
    const e = (value) => value.toExponential(1);
    lines.push(`| ${engine} | ${e(velocity)} | ${e(inputGradient)} | ${e(parameterGradient)} (${worstParameter}) | ${pass ? 'yes' : 'NO'} |`);
  }
  return lines.join('\n');
}
