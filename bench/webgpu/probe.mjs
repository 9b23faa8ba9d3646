#!/usr/bin/env node
// Can tfjs' WebGPU backend train and sample @dit models under Node? Opt-in, outside the
// workspace (it downloads Dawn, ~100 MB for all platforms):
//
//   cd bench/webgpu && npm install && node probe.mjs [--case tiny|small|seed1] [--backend webgpu|cpu]
//
// Steps: expose Dawn's navigator.gpu, ask for an adapter, list the kernels a @dit training
// step uses that the WebGPU backend lacks, then (when an adapter exists) time a training step
// and a CFG-pair forward and compare the loss and gradients with the cpu backend.
// `--backend cpu` runs the same path without a GPU, to check the wiring.
//
// tfjs-core keeps its engine and kernel registry in globals, so the WebGPU backend installed
// here and @dit's own copy of tfjs-core (bench/node_modules) share one engine.
import { create, globals } from 'webgpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';

const argv = process.argv.slice(2);
const arg = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const backendName = arg('backend', 'webgpu');
const caseId = arg('case', 'tiny');
const sampleSteps = Number(arg('steps', 30));
const report = { node: process.version, tfjs: tf.version_core, backend: backendName };

Object.assign(globalThis, globals);
globalThis.navigator ??= {};
Object.defineProperty(globalThis.navigator, 'gpu', { value: create([]), configurable: true });
const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' }).catch((e) => ({ error: e.message }));
report.adapter = adapter && !adapter.error ? { ...(adapter.info ? { vendor: adapter.info.vendor, architecture: adapter.info.architecture, description: adapter.info.description } : {}) } : null;

const { selectBackend } = await import('@dit/core');
const { SingleStreamDiTV2 } = await import('@dit/model');
const { sample } = await import('@dit/samplers');
const { caseById } = await import('../cases.mjs');

// The kernels a training step and a sampling run use on backends without @dit's fused kernels.
await selectBackend({ force: 'cpu' });
const benchCase = caseById(caseId);
const { config, batch, height, width } = benchCase;
const model = new SingleStreamDiTV2({ ...config, seed: 0 });
model.namedVariables().forEach(({ variable }, i) => tf.tidy(() => variable.assign(tf.randomNormal(variable.shape, 0, 0.02, 'float32', 100 + i))));
const x = tf.randomNormal([batch, config.inChannels, height, width], 0, 1, 'float32', 1);
const t = tf.randomUniform([batch], 0, 1, 'float32', 3);
const text = tf.randomNormal([batch, config.textLength, config.textDim], 0, 1, 'float32', 4);
const step = () => model.valueAndGradients(() => tf.tidy(() => tf.mean(tf.square(model.forward(x, t, text)))));
const reference = step();
const referenceLoss = (await reference.value.data())[0];
const referenceGrads = await Promise.all(reference.gradients.map((g) => g.data()));

const webgpuKernels = new Set(tf.getKernelsForBackend('webgpu').map((k) => k.kernelName));
report.webgpuKernels = webgpuKernels.size;

if (backendName === 'webgpu' && !report.adapter) {
  report.result = 'no WebGPU adapter: Dawn needs a GPU with a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver';
} else {
  // Tensors move to the new backend on first use; the weights are read back from cpu first.
  const ok = await tf.setBackend(backendName);
  if (!ok) throw new Error(`tf.setBackend('${backendName}') failed`);
  const profile = await tf.profile(() => {
    const { value, gradients } = step();
    return [value, ...gradients];
  });
  report.kernelsUsed = [...new Set(profile.kernels.map((k) => k.name))].filter((n) => tf.getKernel(n, backendName)).sort();
  // @dit's own fused kernels (Dit*) exist for wasm and cpu only; elsewhere they fall back to tfjs ops.
  report.missingOnWebgpu = [...new Set(profile.kernels.map((k) => k.name))].filter((n) => tf.getKernel(n, 'cpu') && !n.startsWith('Dit') && !webgpuKernels.has(n));
  const time = async (fn, reps = 3) => {
    await fn();
    const times = [];
    for (let i = 0; i < reps; i++) {
      const start = performance.now();
      await fn();
      times.push(performance.now() - start);
    }
    return times.sort((a, b) => a - b)[Math.floor(reps / 2)];
  };
  let loss;
  let maxGradError = 0;
  report.trainMs = await time(async () => {
    const { value, gradients } = step();
    loss = (await value.data())[0];
    const grads = await Promise.all(gradients.map((g) => g.data()));
    maxGradError = Math.max(...grads.map((g, i) => g.reduce((m, v, j) => Math.max(m, Math.abs(v - referenceGrads[i][j])), 0)));
    tf.dispose([value, ...gradients]);
  });
  report.lossVsCpu = Math.abs(loss - referenceLoss);
  report.maxGradientErrorVsCpu = maxGradError;
  const pair = [tf.concat([x, x]), tf.concat([t, t]), tf.concat([tf.zerosLike(text), text])];
  report.forwardPairMs = await time(async () => {
    const v = model.forward(...pair);
    await v.data();
    v.dispose();
  });
  const noise = tf.randomNormal(x.shape, 0, 1, 'float32', 5);
  const start = performance.now();
  const out = await sample({ velocity: (a, b, c) => model.forward(a, b, c), noise, cond: text, steps: sampleSteps, sampler: 'euler', guidanceScale: 1.5 });
  await out.data();
  report.sampleMs = performance.now() - start;
  report.sampleSteps = sampleSteps;
  report.result = 'ok';
}
console.log(JSON.stringify(report, null, 2));
process.exit(0);
