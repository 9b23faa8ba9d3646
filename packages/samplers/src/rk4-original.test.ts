import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { rk4Original } from './rk4-original.js';
import { rk4 } from './rk4.js';
import { sample } from './sample.js';

describe('rk4Original', () => {
  it('evaluates k4 at t + h/2 like the original rk4_step', async () => {
    // dx/dt = t (independent of x): one step from 0 with h = 1 gives h/6 (k1 + 2k2 + 2k3 + k4).
    const velocity = (x: tf.Tensor, t: tf.Tensor) => tf.mul(tf.onesLike(x), tf.reshape(t, [-1, 1]));
    const noise = tf.zeros([1, 1]);
    const cond = tf.zeros([1, 1]);
    const original = await sample({ velocity, noise, cond, steps: 1, sampler: rk4Original, guidanceScale: 1 });
    const textbook = await sample({ velocity, noise, cond, steps: 1, sampler: 'rk4', guidanceScale: 1 });
    expect((await original.data())[0]).toBeCloseTo((0 + 2 * 0.5 + 2 * 0.5 + 0.5) / 6, 6); // 2.5/6
    expect((await textbook.data())[0]).toBeCloseTo(0.5, 6); // exact integral of t over [0, 1]
    tf.dispose([noise, cond, original, textbook]);
    expect(rk4Original.name).toBe('rk4-original');
    expect(rk4.order).toBe(4);
  });
});
