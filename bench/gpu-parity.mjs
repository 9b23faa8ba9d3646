#!/usr/bin/env node
// The GPU measurement's correctness check: @dit's forward and gradients on one backend against
// PyTorch in float64 (tools/reference/gpu_parity.py wrote the model and the expected values).
//
//   python tools/reference/gpu_parity.py '{"config": ..., "out": "DIR", ...}'
//   DIT_WEBGPU_KERNELS=on node bench/gpu-parity.mjs --backend webgpu --reference DIR
//
// (Not `--dir`: tfjs-node's node-pre-gyp reads process.argv, takes `--dir` for its `--directory`
// and then fails to find its own package.json, so `--backend node` could not start.)
//
// Prints one JSON line: the backend, the adapter and kernel switches on webgpu, and the errors
// relative to the largest reference value: velocity, input gradient, and the worst of the
// parameter gradients (named).
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { readAllTensors, selectBackend } from '@dit/core';
import * as ditModel from '@dit/model';

const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const dir = option('reference');
if (!dir) throw new Error('gpu-parity: --reference DIR (the folder tools/reference/gpu_parity.py wrote) is required');
const choice = await selectBackend({ force: option('backend', 'webgpu') });

/** max |actual - expected| / max |expected|. */
function relativeError(actual, expected) {
  if (actual.length !== expected.length) throw new Error(`gpu-parity: ${actual.length} values against ${expected.length} expected`);
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    difference = Math.max(difference, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return difference / scale;
}

const io = (await readAllTensors(join(dir, 'io.safetensors'))).tensors;
const input = (name) => {
  const entry = io.get(name);
  if (!entry) throw new Error(`gpu-parity: ${join(dir, 'io.safetensors')} has no tensor '${name}'`);
  return tf.tensor(entry.data, entry.shape, 'float32');
};
const model = await ditModel.SingleStreamDiTV2.fromPretrained(join(dir, 'model'));
const [x, t, text, weights] = ['x', 't', 'text', 'w'].map(input);
const loss = (value) => tf.sum(tf.mul(model.forward(value, t, text), weights));

const velocity = model.forward(x, t, text);
const velocityError = relativeError(await velocity.data(), io.get('v').data);
const { grads } = tf.variableGrads(() => loss(x));
const dx = tf.grad(loss)(x);
const inputGradientError = relativeError(await dx.data(), io.get('grad.x').data);
const byName = new Map(model.namedVariables().map((entry) => [entry.name, entry]));
const parameterGradients = {};
for (const key of [...io.keys()].filter((k) => k.startsWith('grad.') && k !== 'grad.x')) {
  const name = key.slice('grad.'.length);
  const entry = byName.get(name);
  if (!entry) throw new Error(`gpu-parity: the model has no parameter '${name}'`);
  const grad = grads[entry.variable.name];
  // @dit keeps Linear weights [in, out]; PyTorch's are [out, in].
  const torchLayout = entry.transposed ? tf.transpose(grad) : grad;
  parameterGradients[name] = relativeError(await torchLayout.data(), io.get(key).data);
  if (torchLayout !== grad) torchLayout.dispose();
}
const [worstName, worst] = Object.entries(parameterGradients).reduce((a, b) => (b[1] > a[1] ? b : a));
tf.dispose([velocity, dx, x, t, text, weights, ...Object.values(grads)]);
model.dispose();

console.log(
  JSON.stringify({
    backend: choice.name,
    adapter: choice.adapter,
    kernels: choice.name === 'webgpu' ? ditModel.webgpuKernelSwitches() : undefined,
    config: model.config,
    errors: { velocity: velocityError, inputGradient: inputGradientError, parameterGradient: worst, worstParameter: worstName },
    parameterGradients,
  }),
);
