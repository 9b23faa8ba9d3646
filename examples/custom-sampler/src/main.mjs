// Registers the Ralston sampler and compares it with the built-ins on a flow whose exact
// end point is known. Run: pnpm --filter @dit/example-custom-sampler start
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@dit/core';
import { createNoise, registerSampler, sample } from '@dit/samplers';
import { gaussianFlow } from './gaussian-flow.mjs';
import { ralston } from './ralston.mjs';

await selectBackend();
registerSampler(ralston);

const flow = gaussianFlow({ mean: [2, -1, 0.5, 1.5], std: [0.3, 0.5, 1.5, 0.8] });
const noise = createNoise({ shape: [8, 4], seed: 2024 });
const cond = tf.zeros([8, 1]);
const expected = flow.exactEnd(noise);
const stepCounts = [5, 10, 20];

console.log(`backend ${tf.getBackend()}; max |x - exact| at t = 1`);
console.log(['sampler', ...stepCounts.map((n) => `${n} steps`), 'order'].map((s) => s.padEnd(12)).join(''));
for (const sampler of ['euler', 'ralston', 'heun', 'rk4']) {
  const errors = [];
  for (const steps of stepCounts) {
    const x = await sample({ velocity: flow.velocity, noise, cond, sampler, steps, guidanceScale: 1 });
    errors.push(tf.tidy(() => tf.max(tf.abs(tf.sub(x, expected))).dataSync()[0]));
    x.dispose();
  }
  const order = Math.log(errors[0] / errors[errors.length - 1]) / Math.log(stepCounts[stepCounts.length - 1] / stepCounts[0]);
  console.log([sampler, ...errors.map((e) => e.toExponential(2)), order.toFixed(2)].map((s) => String(s).padEnd(12)).join(''));
}
tf.dispose([noise, cond, expected]);
flow.dispose();
