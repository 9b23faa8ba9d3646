#!/usr/bin/env node
// Summaries and markdown tables of bench results (bench.mjs uses these; run directly to
// re-render a saved result):
//
//   node bench/report.mjs bench-results/latest.json
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { forwardFlops, trainingStepFlops } from '@dit/model';
import { GUIDANCE_SCALE, SAMPLE_STEPS } from './cases.mjs';

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
      sample: SAMPLE_STEPS * forwardFlops(config, { height, width, batch: 2 * batch }),
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
      }
    }
  }
  return summary;
}

const fmt = (ms) => (ms === undefined ? '-' : ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`);

/** The markdown report: the machine, wall-time medians with ratios, and single-thread CPU times. */
export function renderTables({ machine, rounds, cases, summary, errors = [] }) {
  const ratio = (s, key = 'ratio') => (s?.[key] === undefined ? '' : ` (x${s[key].toFixed(2)})`);
  const lines = [];
  lines.push(`Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, tfjs ${machine.tfjs ?? '?'}, ` +
    (typeof machine.torch === 'object' ? `PyTorch ${machine.torch.version} (${machine.torch.blas})` : `PyTorch: ${machine.torch}`) +
    `; load average ${machine.loadAverage.before[0]} -> ${machine.loadAverage.after[0]}`);
  lines.push(`Medians of ${rounds} interleaved round(s). (xN) = wall time / PyTorch (2 threads) wall time. ` +
    `Sampling: ${SAMPLE_STEPS} Euler steps, CFG ${GUIDANCE_SCALE}, batched [uncond; cond].`);
  lines.push('');
  lines.push('| case | engine | train step | train GFLOP/s | forward, CFG pair | forward GFLOP/s | sampling, 30 steps | per step |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const benchCase of cases) {
    for (const [engine, s] of Object.entries(summary[benchCase.id] ?? {})) {
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
  lines.push('');
  for (const benchCase of cases) lines.push(`- ${benchCase.id}: ${benchCase.label}`);
  for (const error of errors) lines.push(`- error: ${error}`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of process.argv.slice(2)) {
    const record = JSON.parse(readFileSync(file, 'utf8'));
    console.log(renderTables({ ...record, summary: summarise(record.cases, record.samples) }));
  }
}
