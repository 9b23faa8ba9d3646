import * as tf from '@tensorflow/tfjs-core';
import { createNoise, getSampler, registerSampler, sample, unregisterSampler } from '@dit/samplers';
import { afterAll, describe, expect, it } from 'vitest';
import { gaussianFlow } from '../src/gaussian-flow.mjs';
import { ralston } from '../src/ralston.mjs';

describe('the Ralston example sampler', () => {
  const flow = gaussianFlow({ mean: [2, -1, 0.5, 1.5], std: [0.3, 0.5, 1.5, 0.8] });
  afterAll(() => flow.dispose());

  it('takes the step x + h (k1 / 4 + 3 k2 / 4) with k2 at t + 2h/3', () => {
    // v(x, t) = x t: k1 = x t, k2 = (x + 2h/3 k1)(t + 2h/3)
    const x = tf.tensor2d([[1, 2]]);
    const [t, h] = [0.5, 0.25];
    const next = tf.tidy(() =>
      ralston.step({ x, t, tNext: t + h, h, stepIndex: 0, timesteps: [t, t + h], velocity: (y: tf.Tensor, s: number) => tf.mul(y, s), memory: { get: () => undefined, set: () => {} } }),
    );
    const expected = [1, 2].map((value) => {
      const k1 = value * t;
      const k2 = (value + ((2 * h) / 3) * k1) * (t + (2 * h) / 3);
      return value + h * (k1 / 4 + (3 * k2) / 4);
    });
    (next.arraySync() as number[][])[0].forEach((value, i) => expect(value).toBeCloseTo(expected[i], 6));
    tf.dispose([x, next]);
  });

  it('converges with order 2 on a flow with a known end point, by name after registering', async () => {
    registerSampler(ralston);
    expect(getSampler('ralston')).toBe(ralston);
    const noise = createNoise({ shape: [8, 4], seed: 2024 });
    const cond = tf.zeros([8, 1]);
    const expected = flow.exactEnd(noise);
    const stepCounts = [5, 10, 20, 40];
    const errors: number[] = [];
    for (const steps of stepCounts) {
      const x = await sample({ velocity: flow.velocity, noise, cond, sampler: 'ralston', steps, guidanceScale: 1 });
      errors.push(tf.tidy(() => tf.max(tf.abs(tf.sub(x, expected))).dataSync()[0]));
      x.dispose();
    }
    const slope = Math.log(errors[0] / errors[3]) / Math.log(40 / 5);
    console.info(`ralston errors ${errors.map((e) => e.toExponential(2)).join(' ')} order ${slope.toFixed(2)}`);
    expect(Math.abs(slope - 2)).toBeLessThan(0.3);
    tf.dispose([noise, cond, expected]);
    unregisterSampler('ralston');
  });

  it('leaves the tensor count unchanged over a 50-step guided run', async () => {
    const noise = createNoise({ shape: [2, 4], seed: 1 });
    const cond = tf.ones([2, 1]);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const x = await sample({ velocity: flow.velocity, noise, cond, sampler: ralston, steps: 50, guidanceScale: 2, onStep: () => void counts.push(tf.memory().numTensors) });
    expect(new Set(counts).size).toBe(1);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([noise, cond]);
  });
});
