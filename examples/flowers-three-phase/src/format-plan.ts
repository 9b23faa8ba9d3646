import { formatCount, formatDuration } from '@dit/core';
import { describePlan } from '@dit/train';
import { ORIGINAL_RUN, type MemoryCheck, type RunPlan } from './run-plan.js';

const pad = (text: string, width: number) => text.padEnd(width);

function formatFlops(flops: number): string {
  return flops >= 1e15 ? `${(flops / 1e15).toFixed(2)} PFLOP` : flops >= 1e12 ? `${(flops / 1e12).toFixed(2)} TFLOP` : `${(flops / 1e9).toFixed(2)} GFLOP`;
}

/** formatDuration, with tenths under 10 s and days past two days. */
function duration(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds > 48 * 3600) return `${(seconds / 86400).toFixed(1)} days`;
  return formatDuration(seconds);
}

function describeNorm({ std, offset }: { std: number; offset: number }): string {
  if (std === 1 && offset === 0) return 'none';
  return std === 1 ? `+ ${offset.toFixed(4)}` : `/ ${std.toFixed(4)} + ${offset.toFixed(4)}`;
}

function describeMemory(check: MemoryCheck, label: string): string {
  if (check.plan) return `  ${label}: fits. ${describePlan(check.plan)}`;
  return `  ${label}: does not fit. ${check.error}`;
}

/** The dry run's report: dataset, batching, phases, memory and time, one fact a line. */
export function formatPlan(plan: RunPlan): string[] {
  const lines: string[] = [];
  const { dataset } = plan;
  lines.push(`dataset ${dataset.dir}: ${dataset.images} images${dataset.uncaptioned ? ` (${dataset.uncaptioned} without caption)` : ''}`);
  lines.push(`buckets (width x height): ${dataset.perBucket.map(({ bucket, images }) => `${bucket.width}x${bucket.height}: ${images}`).join(', ')}`);
  lines.push(
    `batch ${plan.batchSize}, one bucket per batch, incomplete batches dropped; phase 1 flips ${plan.flip === 'load' ? 'at load time (p = 0.5)' : 'with mirrored copies cached'}`,
  );
  lines.push(`schedule: ${plan.phases.length} phases, ${plan.totalEpochs} epochs, ${formatCount(plan.totalSteps)} steps`);
  lines.push(`  ${pad('phase', 20)}${pad('epochs', 11)}${pad('steps/ep', 10)}${pad('loss', 6)}${pad('lr', 42)}${pad('flip', 6)}${pad('latent norm', 20)}${pad('EMA', 7)}text drop`);
  for (const p of plan.phases) {
    lines.push(
      `  ${pad(p.name, 20)}${pad(`${p.epochs[0]}-${p.epochs[1]}`, 11)}${pad(String(p.stepsPerEpoch), 10)}${pad(p.loss, 6)}${pad(p.lr, 42)}${pad(p.flip ? 'on' : 'off', 6)}` +
        `${pad(describeNorm(p.latentNorm), 20)}${pad(p.ema === false ? 'no' : String(p.ema), 7)}${p.textDropout}`,
    );
  }
  const c = plan.model.config;
  lines.push(
    `model: SingleStreamDiTV2, ${formatCount(plan.model.parameters)} parameters (hidden ${c.hiddenSize}, depth ${c.depth}, ${c.numHeads} heads, ` +
      `patch ${c.patchSize}, ${c.inChannels} latent channels, text ${c.textLength} x ${c.textDim}); optimiser ${plan.optimizer}`,
  );
  lines.push(`memory (estimateMemory, float32, ${plan.memoryBudget} budget):`);
  lines.push(describeMemory(plan.memory.gpu, 'on a GPU with tfjs-node-gpu'));
  lines.push(describeMemory(plan.memory.webgpu, 'on a GPU with WebGPU (tfjs-webgpu buffer pool included)'));
  if (plan.memory.here) lines.push(describeMemory(plan.memory.here, `on this backend (${plan.memory.here.backend})`));
  const time = plan.time;
  if (time) {
    const { benchmark } = time;
    lines.push(
      `time: a training step is ${time.stepFlops.map((s) => `${formatFlops(s.flops)} at ${s.bucket}`).join(', ')} (matmuls, trainingStepFlops); ` +
        `${benchmark.backend} multiplies ${benchmark.size}x${benchmark.size} float32 matrices at ${benchmark.gflops.toFixed(1)} GFLOP/s`,
    );
    for (const p of time.perPhase) lines.push(`  ${pad(p.name, 20)}${formatFlops(p.epochFlops)} an epoch: at least ${duration(p.secondsPerEpoch)} an epoch here`);
    lines.push(`  all ${plan.totalEpochs} epochs: ${formatFlops(time.totalFlops)}, at least ${duration(time.totalSeconds)} on ${benchmark.backend} (matmul-bound; expect more)`);
    const original = `  the original: ~${ORIGINAL_RUN.secondsPerEpoch} s an epoch on an ${ORIGINAL_RUN.gpu} in ${ORIGINAL_RUN.precision}, ~${ORIGINAL_RUN.hours} h in all`;
    lines.push(plan.scale === 'full' ? `${original} (about ${time.originalTflops.toFixed(1)} TFLOP/s of this work)` : `${original}, at full scale`);
  }
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  return lines;
}
