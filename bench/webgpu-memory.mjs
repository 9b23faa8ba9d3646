#!/usr/bin/env node
// tfjs-webgpu's buffer pool against the tensors alive, over training steps (docs/performance.md,
// "Memory on WebGPU"). One case per process (the pool lives as long as the backend):
//
//   node bench/webgpu-memory.mjs --case tiny [--checkpointing] [--backend webgpu] [--out file.json]
//   node bench/webgpu-memory.mjs --config '{"hiddenSize":128,"depth":2,...}' --batch 8 --latents 32x32
//
// Steps: a forward + backward alone (tf.profile's peak tensor bytes, and the pool's peak of
// allocated bytes: tfjs-webgpu's numBytesAllocatedInGPU, which only grows as the pool keeps every
// released buffer), then AdamW's first update (creates the moments), then two full steps. Prints
// one JSON line with the measurements and @dit/model's estimate (`estimateMemory` on 'webgpu':
// `totalBytes` counts tensors, `deviceBytes` adds the pool model). Runs on any WebGPU adapter;
// lavapipe (DIT_BACKEND=webgpu on a machine without a GPU) is slow: keep to tiny cases there.
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, webgpuBufferPool } from '@dit/core';
import { estimateMemory, SingleStreamDiTV2, stateDictShapes, WEBGPU_OPTIMIZER_TEMPORARIES } from '@dit/model';
import { createOptimizer } from '@dit/train';
import { fillBenchWeights } from './weights.mjs';
import { caseById } from './cases.mjs';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
// --config (a partial DiTConfig over the tiny case's), --batch and --latents describe a case of one's own.
const base = caseById(option('case', 'tiny'));
const [latentHeight, latentWidth] = option('latents', `${base.height}x${base.width}`).split('x').map(Number);
const benchCase = option('config')
  ? { ...base, id: `custom ${option('config')}`, config: { ...base.config, ...JSON.parse(option('config')) }, batch: Number(option('batch', base.batch)), height: latentHeight, width: latentWidth }
  : { ...base, batch: Number(option('batch', base.batch)), height: latentHeight, width: latentWidth };
const checkpointing = flag('checkpointing');
const backend = option('backend', 'webgpu');

const choice = await selectBackend({ force: backend });
const { config, batch, height, width } = benchCase;

// The pool's allocated bytes only grow (released buffers stay allocated): its peak is its value
// after a step. numBytesInGPU (in use) is sampled at every kernel through tf.profile instead.
const pool = () => webgpuBufferPool() ?? { allocatedBytes: tf.memory().numBytes, usedBytes: tf.memory().numBytes, idleBytes: 0 };

// Every weight is set on the backend below: the JavaScript initialisation is skipped.
const model = new SingleStreamDiTV2({ ...config, seed: 0, initialize: false, gradientCheckpointing: checkpointing, checkMemory: false });
fillBenchWeights(model);
const variables = new Map(model.namedVariables().map(({ name, variable }) => [name, variable]));
const optimizer = createOptimizer(variables, { kind: 'adamw' });
const x = tf.randomNormal([batch, config.inChannels, height, width], 0, 1, 'float32', 1);
const target = tf.randomNormal([batch, config.inChannels, height, width], 0, 1, 'float32', 2);
const t = tf.randomUniform([batch], 0, 1, 'float32', 3);
const text = tf.randomNormal([batch, config.textLength, config.textDim], 0, 1, 'float32', 4);

function gradients() {
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(model.forward(x, t, text), target))), [...variables.values()]);
  return { value, named: new Map([...variables].map(([name, variable]) => [name, grads[variable.name]])) };
}

async function measured(label, fn) {
  const profile = await tf.profile(fn);
  const flush = tf.zeros([1]);
  await flush.data(); // submits tfjs-webgpu's queue, which releases the buffers of disposed tensors
  flush.dispose();
  const { allocatedBytes } = pool();
  return { label, peakTensorBytes: profile.peakBytes, allocatedBytes, aliveTensorBytes: tf.memory().numBytes };
}

const phases = [];
let step;
phases.push(await measured('forward + backward', async () => {
  step = gradients();
  await step.value.data();
}));
phases.push(await measured('AdamW update (first: creates the moments)', async () => {
  await optimizer.apply(step.named, 1e-4);
  tf.dispose([step.value, ...step.named.values()]);
}));
for (let i = 0; i < 2; i++) {
  phases.push(await measured(`full step ${i + 2}`, async () => {
    step = gradients();
    await step.value.data();
    await optimizer.apply(step.named, 1e-4);
    tf.dispose([step.value, ...step.named.values()]);
  }));
}
const estimate = estimateMemory(config, { batch, height, width, training: true, checkpointing, optimizerStates: 2, backend });
const last = phases[phases.length - 1];
// AdamW's parameter-shaped temporaries, WEBGPU_OPTIMIZER_TEMPORARIES buffers of each distinct parameter size.
const distinctSizes = new Set(stateDictShapes(config).map(({ shape }) => 4 * shape.reduce((a, b) => a * b, 1)));
const optimizerTemporaries = WEBGPU_OPTIMIZER_TEMPORARIES * [...distinctSizes].reduce((a, b) => a + b, 0);
const peakTensorBytes = Math.max(...phases.map((p) => p.peakTensorBytes));
const record = {
  case: benchCase.id,
  batch,
  latents: `${height}x${width}`,
  checkpointing,
  backend,
  adapter: choice.adapter ? `${choice.adapter.vendor} ${choice.adapter.architecture} ${choice.adapter.description}`.trim() : undefined,
  phases,
  peakTensorBytes,
  peakAllocatedBytes: last.allocatedBytes,
  persistentBytes: last.aliveTensorBytes,
  poolOverTensors: last.allocatedBytes / peakTensorBytes,
  estimate: { totalBytes: estimate.totalBytes, persistentBytes: estimate.persistentBytes, deviceBytes: estimate.deviceBytes },
  /**
   * The pool factor this case implies for estimateMemory's model, deviceBytes = persistent +
   * factor x (total - persistent) + AdamW's temporaries: (allocated - persistent - temporaries) / (total - persistent).
   */
  impliedPoolFactor: (last.allocatedBytes - estimate.persistentBytes - optimizerTemporaries) / (estimate.totalBytes - estimate.persistentBytes),
  allocatedOverDeviceEstimate: last.allocatedBytes / estimate.deviceBytes,
};
const line = JSON.stringify(record);
console.log(line);
if (option('out')) writeFileSync(option('out'), `${line}\n`, { flag: 'a' });
tf.dispose([x, target, t, text]);
model.dispose();
process.exit(0);
