#!/usr/bin/env node
// Times one bench case on one tfjs backend and prints one JSON line (scripts/bench.mjs runs
// this once per backend, case and round, each in a fresh process: the wasm thread count is
// fixed when the backend first starts).
//
//   node bench/run-tfjs.mjs --backend wasm --threads 2 --case small [--measures train,forward] [--reps 3]
//   DIT_WEBGPU_KERNELS=off node bench/run-tfjs.mjs --backend webgpu --case tiny
//
// On webgpu the line also carries the adapter, the state of @dit's WebGPU kernel switches
// (DIT_WEBGPU_KERNELS) and tfjs-webgpu's allocated GPU bytes after
// each measure (its buffer pool only grows: the value is the peak so far).
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, webgpuBufferPool } from '@dit/core';
import * as ditModel from '@dit/model';
import { sample } from '@dit/samplers';
import { globalNorm } from '@dit/train';
import { fillBenchWeights } from './weights.mjs';
import { caseById, GUIDANCE_SCALE, MEASURES, sampleStepsOf } from './cases.mjs';

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const backend = args.backend ?? 'wasm';
const threads = Number(args.threads ?? 1);
const benchCase = caseById(args.case ?? 'tiny');
const measures = (args.measures ?? MEASURES.join(',')).split(',').filter(Boolean);
const repsOverride = args.reps === undefined ? undefined : Number(args.reps);

const choice = await selectBackend({ force: backend, threads });
// --model points at another build of @dit/model (e.g. a saved copy of the previous dist) to
// time before and after a change in one run; it must resolve its imports like bench/ does.
const { SingleStreamDiTV2 } = args.model ? await import(new URL(args.model, `file://${process.cwd()}/`).href) : ditModel;

const { config, batch, height, width } = benchCase;
// Every weight is set below, so the (JavaScript, ~30 s at the original size) initialisation is skipped.
const model = new SingleStreamDiTV2({ ...config, seed: 0, initialize: false });
// Non-zero weights everywhere (a fresh model's adaLN and final layer are zero).
fillBenchWeights(model);
const x = tf.randomNormal([batch, config.inChannels, height, width], 0, 1, 'float32', 1);
const target = tf.randomNormal([batch, config.inChannels, height, width], 0, 1, 'float32', 2);
const t = tf.randomUniform([batch], 0, 1, 'float32', 3);
const text = tf.randomNormal([batch, config.textLength, config.textDim], 0, 1, 'float32', 4);
const pairX = tf.concat([x, x], 0);
const pairT = tf.concat([t, t], 0);
const pairText = tf.concat([tf.zerosLike(text), text], 0);

// A step ends by reading the global gradient norm (what clipping reads, one number): it waits for
// every gradient without copying them all back, which on a GPU would cost more than the step
// (916 MB at the original preset).
async function trainStep() {
  const { value, gradients } = model.valueAndGradients(() => tf.tidy(() => tf.mean(tf.square(tf.sub(model.forward(x, t, text), target)))));
  await globalNorm(gradients);
  tf.dispose([value, ...gradients]);
}

async function forwardPair() {
  const v = model.forward(pairX, pairT, pairText);
  await v.data();
  v.dispose();
}

/** The case's Euler steps (30 by default) with batched CFG; returns the time of each step. */
async function sampleRun() {
  const noise = tf.randomNormal([batch, config.inChannels, height, width], 0, 1, 'float32', 5);
  const stepMs = [];
  let last = performance.now();
  const result = await sample({
    velocity: (xs, ts, texts) => model.forward(xs, ts, texts),
    noise,
    cond: text,
    steps: sampleStepsOf(benchCase),
    sampler: 'euler',
    guidanceScale: GUIDANCE_SCALE,
    onStep: async ({ x: state }) => {
      await state.data();
      const now = performance.now();
      stepMs.push(now - last);
      last = now;
    },
  });
  await result.data();
  tf.dispose([noise, result]);
  return stepMs;
}

/** Process CPU time (all threads, wasm workers included) in ms. */
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Wall and CPU time of each repetition after one warm-up. */
async function timeRepeated(fn, reps) {
  await fn(); // warm-up: kernel set-up, first allocations
  const times = [];
  for (let i = 0; i < reps; i++) {
    const [start, cpuStart] = [performance.now(), cpuNow()];
    await fn();
    times.push({ wallMs: performance.now() - start, cpuMs: cpuNow() - cpuStart });
  }
  return times;
}

const results = {};
const allocatedBytes = {};
const tensorsBefore = tf.memory().numTensors;
for (const measure of measures) {
  const reps = repsOverride ?? benchCase.reps[measure];
  if (measure === 'train') results.train = await timeRepeated(trainStep, reps);
  else if (measure === 'forward') results.forward = await timeRepeated(forwardPair, reps);
  else if (measure === 'sample') {
    // A sampling run is long: its first step is the warm-up, and its total and per-step times are kept.
    const runs = [];
    for (let i = 0; i < Math.max(1, reps); i++) {
      const [start, cpuStart] = [performance.now(), cpuNow()];
      const stepMs = await sampleRun();
      runs.push({ wallMs: performance.now() - start, cpuMs: cpuNow() - cpuStart, stepMs });
    }
    results.sample = runs;
  } else throw new Error(`unknown measure '${measure}' (known: ${MEASURES.join(', ')})`);
  const pool = webgpuBufferPool();
  if (pool) allocatedBytes[measure] = pool.allocatedBytes;
}
const leaked = tf.memory().numTensors - tensorsBefore;
tf.dispose([x, target, t, text, pairX, pairT, pairText]);
model.dispose();

const gpu =
  backend === 'webgpu'
    ? {
        adapter: choice.adapter,
        // Which of @dit/model's WebGPU kernels are switched on (DIT_WEBGPU_KERNELS).
        kernels: ditModel.webgpuKernelSwitches(),
        allocatedBytes,
      }
    : undefined;
console.log(JSON.stringify({ engine: 'tfjs', backend, threads, model: args.model ?? '@dit/model', case: benchCase.id, results, leakedTensors: leaked, tfjs: tf.version_core, gpu }));
