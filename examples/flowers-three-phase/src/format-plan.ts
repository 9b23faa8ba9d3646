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

/** The dry run's report: dataset, batching, phases and memory, one fact a line (time: {@link formatTime}). */
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
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  return lines;
}

/** The plan's time section: the timed steps, a step per bucket, an epoch per phase, the whole schedule. */
export function formatTime(plan: RunPlan): string[] {
  const lines: string[] = [];
  const time = plan.time;
  if (time) {
    const { measurement, bucket, backend } = time.timing;
    lines.push(`time on ${backend}, from training steps timed here at ${bucket.width}x${bucket.height}:`);
    lines.push(`  ${measurement.description}`);
    lines.push(`  a step: ${time.stepSeconds.map((s, i) => `${duration(s.seconds)} at ${s.bucket} (${formatFlops(time.stepFlops[i].flops)})`).join(', ')}; other buckets scaled by their matmul work`);
    for (const p of time.perPhase) lines.push(`  ${pad(p.name, 20)}${duration(p.secondsPerEpoch)} an epoch`);
    lines.push(`  all ${plan.totalEpochs} epochs: ${duration(time.totalSeconds)} on ${backend}${measurement.method === 'full' ? '' : ' (projected from the proxy)'}`);
  } else {
    lines.push('time: not measured (--time-budget 0)');
  }
  const original = `  the original: ~${ORIGINAL_RUN.secondsPerEpoch} s an epoch on an ${ORIGINAL_RUN.gpu} in ${ORIGINAL_RUN.precision}, ~${ORIGINAL_RUN.hours} h in all`;
  lines.push(plan.scale !== 'full' ? `${original}, at full scale` : time ? `${original} (about ${time.originalTflops.toFixed(1)} TFLOP/s of this work)` : original);
  return lines;
}
