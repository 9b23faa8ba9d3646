#!/usr/bin/env node
// Forward and training-step times of SingleStreamDiTV2 on the available tfjs backends, with
// GFLOP/s, and the same configs in the PyTorch reference (tools/reference/model_bench.py) when
// Python with torch is available. A benchmark, not a test: nothing here asserts a time.
//
//   pnpm --filter @dit/model bench                 # everything
//   DIT_BENCH_BACKENDS=wasm pnpm --filter @dit/model bench
//   DIT_PYTHON=/path/to/python                     # which Python runs the reference
//   DIT_BENCH_CPU_FULL=1                           # also the seed-width case on the cpu backend
//                                                  # (plain JavaScript: tens of minutes)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@dit/core';
import { SingleStreamDiTV2, presets, forwardFlops, trainingStepFlops } from '../dist/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const cases = [
  { name: 'tiny (hidden 64, depth 2), batch 2, 32x32 latents', config: presets.tiny, batch: 2, height: 32, width: 32, reps: 5 },
  {
    name: 'seed width, 1 block (hidden 1024), batch 1, 64x64 latents (1280 tokens)',
    config: { ...presets.seed, depth: 1 },
    batch: 1,
    height: 64,
    width: 64,
    reps: 2,
  },
];

const backends = (process.env.DIT_BENCH_BACKENDS ?? 'wasm,cpu').split(',').map((b) => b.trim()).filter(Boolean);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeMs(fn, reps) {
  await fn(); // warm-up (kernel compilation, allocations)
  const times = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

async function benchTfjs(backend, testCase) {
  const { config, batch, height, width } = testCase;
  const reps = testCase.reps;
  const model = new SingleStreamDiTV2({ ...config, seed: 0 });
  for (const { variable } of model.namedVariables()) {
    tf.tidy(() => variable.assign(tf.randomNormal(variable.shape, 0, 0.02, 'float32', 1)));
  }
  const x = tf.randomNormal([batch, config.inChannels, height, width]);
  const t = tf.randomUniform([batch]);
  const text = tf.randomNormal([batch, config.textLength, config.textDim]);
  const forwardMs = await timeMs(async () => {
    const v = model.forward(x, t, text);
    await v.data();
    v.dispose();
  }, reps);
  const trainMs = await timeMs(async () => {
    const { value, gradients } = model.valueAndGradients(() => tf.mean(tf.square(model.forward(x, t, text))));
    await Promise.all(gradients.map((g) => g.data()));
    tf.dispose([value, ...gradients]);
  }, reps);
  tf.dispose([x, t, text]);
  model.dispose();
  return { forwardMs, trainMs };
}

function pythonCommand() {
  if (process.env.DIT_PYTHON) return process.env.DIT_PYTHON;
  if (existsSync('/opt/refvenv/bin/python')) return '/opt/refvenv/bin/python';
  return 'python3';
}

function benchTorch() {
  const python = pythonCommand();
  const probe = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
  if (probe.status !== 0) return { skipped: `${python} cannot import torch` };
  const torchCases = cases.map((c) => ({
    name: c.name,
    batch: c.batch,
    height: c.height,
    width: c.width,
    reps: c.reps,
    config: {
      in_channels: c.config.inChannels, patch_size: c.config.patchSize, hidden_size: c.config.hiddenSize, depth: c.config.depth,
      num_heads: c.config.numHeads, text_embed_dim: c.config.textDim, text_length: c.config.textLength,
    },
  }));
  const output = execFileSync(python, [`${repoRoot}tools/reference/model_bench.py`, JSON.stringify(torchCases)], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop());
}

const gflops = (flops, ms) => (flops / (ms / 1000) / 1e9).toFixed(1);
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

const rows = [];
for (const backend of backends) {
  try {
    await selectBackend({ force: backend });
  } catch (error) {
    console.log(`backend ${backend}: unavailable (${error.message})`);
    continue;
  }
  for (const testCase of cases) {
    if (backend === 'cpu' && testCase.config.hiddenSize >= 1024 && !process.env.DIT_BENCH_CPU_FULL) {
      console.log(`cpu   ${testCase.name}\n      skipped: the plain-JS backend needs tens of minutes here (DIT_BENCH_CPU_FULL=1 runs it)`);
      continue;
    }
    const result = await benchTfjs(backend, testCase);
    rows.push({ backend, ...testCase, ...result });
    const shape = { batch: testCase.batch, height: testCase.height, width: testCase.width };
    console.log(
      `${backend.padEnd(5)} ${testCase.name}\n      forward ${fmt(result.forwardMs)} (${gflops(forwardFlops(testCase.config, shape), result.forwardMs)} GFLOP/s), ` +
        `training step ${fmt(result.trainMs)} (${gflops(trainingStepFlops(testCase.config, shape), result.trainMs)} GFLOP/s)`,
    );
  }
}

const torch = benchTorch();
if (torch.skipped) {
  console.log(`PyTorch reference skipped: ${torch.skipped}`);
} else {
  console.log(`\nPyTorch ${torch.torch} (${torch.threads} threads), same configs; ratio = tfjs time / PyTorch time`);
  for (const result of torch.results) {
    const testCase = cases.find((c) => c.name === result.name);
    const shape = { batch: testCase.batch, height: testCase.height, width: testCase.width };
    console.log(
      `torch ${result.name}\n      forward ${fmt(result.forward_ms)} (${gflops(forwardFlops(testCase.config, shape), result.forward_ms)} GFLOP/s), ` +
        `training step ${fmt(result.train_ms)} (${gflops(trainingStepFlops(testCase.config, shape), result.train_ms)} GFLOP/s)`,
    );
    for (const row of rows.filter((r) => r.name === result.name)) {
      console.log(`      ${row.backend}: forward x${(row.forwardMs / result.forward_ms).toFixed(2)}, training step x${(row.trainMs / result.train_ms).toFixed(2)}`);
    }
  }
}
