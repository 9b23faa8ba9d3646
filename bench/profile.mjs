#!/usr/bin/env node
// Per-kernel profile of one training step (or one CFG-pair forward) with tf.profile.
//
//   node bench/profile.mjs [--case small] [--backend wasm] [--threads 1] [--measure train|forward] [--warmup 3]
//                          [--model path/to/other/dist/index.js] [--out file.json]
//
// On wasm every kernel runs synchronously on the calling thread (which waits for its pthread
// pool), and the wasm backend's `time()` is wall time around the kernel, so tf.profile's
// kernelTimeMs is the real time of each kernel. Kernels are grouped by name and by name +
// shapes; the JSON keeps both tables and the wall time of the profiled step.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@dit/core';
import * as ditModel from '@dit/model';
import { caseById } from './cases.mjs';

const args = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
const backend = args.backend ?? 'wasm';
const threads = Number(args.threads ?? 1);
const measure = args.measure ?? 'train';
const benchCase = caseById(args.case ?? 'small');
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const out = args.out ?? join(repoRoot, 'bench-results', `profile-${benchCase.id}-${measure}-${backend}${threads > 1 ? `-${threads}t` : ''}${args.model ? '-baseline' : ''}.json`);
const top = Number(args.top ?? 25);

// libtensorflow (tfjs-node) sizes its thread pools from the environment when it starts.
if (backend === 'node') {
  process.env.TF_NUM_INTRAOP_THREADS ??= String(threads);
  process.env.TF_NUM_INTEROP_THREADS ??= '1';
}
await selectBackend({ force: backend, threads });
// --model: another build of @dit/model (as in run-tfjs.mjs), e.g. the saved pre-change dist.
const { SingleStreamDiTV2 } = args.model ? await import(new URL(args.model, `file://${process.cwd()}/`).href) : ditModel;
const { config, batch, height, width } = benchCase;
const model = new SingleStreamDiTV2({ ...config, seed: 0 });
model.namedVariables().forEach(({ variable }, i) => tf.tidy(() => variable.assign(tf.randomNormal(variable.shape, 0, 0.02, 'float32', 100 + i))));
const b = measure === 'forward' ? 2 * batch : batch;
const x = tf.randomNormal([b, config.inChannels, height, width], 0, 1, 'float32', 1);
const target = tf.randomNormal([b, config.inChannels, height, width], 0, 1, 'float32', 2);
const t = tf.randomUniform([b], 0, 1, 'float32', 3);
const text = tf.randomNormal([b, config.textLength, config.textDim], 0, 1, 'float32', 4);

function step() {
  if (measure === 'forward') return [model.forward(x, t, text)];
  const { value, gradients } = model.valueAndGradients(() => tf.tidy(() => tf.mean(tf.square(tf.sub(model.forward(x, t, text), target)))));
  return [value, ...gradients];
}

// Warm-up outside the profile (JIT of the JS kernels, XNNPACK operator caches), then one profiled step.
const warmup = Number(args.warmup ?? 3);
for (let i = 0; i < warmup; i++) tf.dispose(step());
const start = performance.now();
let outputs;
const profile = await tf.profile(() => {
  outputs = step();
  return outputs;
});
await Promise.all(outputs.map((o) => o.data()));
const wallMs = performance.now() - start;
tf.dispose(outputs);

// tf.profile also lists ops with a custom gradient (tf.customGrad: 'unnamed scope',
// 'fusedMatMul__op', ...) whose time includes the kernels they ran: keep only real kernels.
const backendName = tf.getBackend();
const allEntries = await Promise.all(profile.kernels.map(async (k) => ({
  name: k.name,
  ms: Number(await k.kernelTimeMs),
  inputShapes: k.inputShapes,
  outputShapes: k.outputShapes,
})));
const kernels = allEntries.filter((k) => tf.getKernel(k.name, backendName) !== undefined);
const scopes = allEntries.filter((k) => tf.getKernel(k.name, backendName) === undefined);
const group = (keyOf) => {
  const map = new Map();
  for (const k of kernels) {
    const key = keyOf(k);
    const entry = map.get(key) ?? { key, calls: 0, ms: 0 };
    entry.calls++;
    entry.ms += k.ms;
    map.set(key, entry);
  }
  return [...map.values()].sort((a, b) => b.ms - a.ms);
};
const kernelMs = kernels.reduce((sum, k) => sum + k.ms, 0);
const byName = group((k) => k.name);
const byShape = group((k) => `${k.name} ${JSON.stringify(k.inputShapes)}`);
const report = {
  case: benchCase.id, measure, backend, threads, model: args.model ?? '@dit/model', wallMs, kernelMs, kernelCalls: kernels.length, peakBytes: profile.peakBytes,
  timer: 'tf.profile kernelTimeMs (wasm/cpu: wall time around each synchronous kernel)',
  byName, byShape: byShape.slice(0, 200),
  scopes: [...new Set(scopes.map((k) => k.name))],
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(report, null, 2));

const pct = (ms) => `${((100 * ms) / kernelMs).toFixed(1)}%`;
console.log(`${benchCase.id} ${measure} on ${backend} (${threads} thread${threads > 1 ? 's' : ''}): wall ${wallMs.toFixed(0)} ms, kernels ${kernelMs.toFixed(0)} ms in ${kernels.length} calls`);
console.log('\n| kernel | calls | ms | share |\n|---|---|---|---|');
for (const e of byName.slice(0, top)) console.log(`| ${e.key} | ${e.calls} | ${e.ms.toFixed(1)} | ${pct(e.ms)} |`);
console.log('\n| kernel and input shapes | calls | ms | share |\n|---|---|---|---|');
for (const e of byShape.slice(0, top)) console.log(`| ${e.key} | ${e.calls} | ${e.ms.toFixed(1)} | ${pct(e.ms)} |`);
console.log(`\nwritten ${out}`);
tf.dispose([x, target, t, text]);
model.dispose();
