import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff } from '../test-helpers.js';
import { geluTanh, geluTanhBackward } from './gelu.js';

const random = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('GELU (tanh approximation) as x * sigmoid(2u)', () => {
  const tanhForm = (x: tf.Tensor) => tf.tidy(() => {
    const u = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(u), 1));
  });

  it('equals the tanh form, and its backward equals tfjs\' gradient of the tanh form', async () => {
    const x = tf.mul(random([7, 11], 9), 3) as tf.Tensor2D; // covers the tails as well as 0
    const dy = random([7, 11], 10) as tf.Tensor2D;
    const y = geluTanh(x);
    const yReference = tanhForm(x);
    expect(maxAbsDiff(await y.data(), await yReference.data())).toBeLessThan(1e-5);
    const dx = geluTanhBackward(dy, x);
    const dxReference = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tanhForm(input), dy)))(x);
    expect(maxAbsDiff(await dx.data(), await dxReference.data())).toBeLessThan(1e-5);
    tf.dispose([x, dy, y, yReference, dx, dxReference]);
  });
});
