import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '../../../../tests/helpers/webgpu.js';
import { geluTanhBackwardWebgpu, geluTanhWebgpu } from './gelu.js';
import { relativeError } from './test-helpers.js';

const webgpu = await webgpuForTests();

/** PyTorch's GELU(approximate="tanh") as written there: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). */
function reference(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))));
}

describe.skipIf(!webgpu.available)(`GELU (tanh) on webgpu${webgpu.skipNote}`, () => {
  beforeAll(() => webgpu.use());
  afterAll(() => {
    return webgpu.restore();
  });

  it('matches the tanh formula in values and gradients, far into both tails', async () => {
    // [7, 52]: 91 vec4 (not a multiple of the 256-thread workgroup); values up to +-12.
    const x = tf.mul(tf.randomNormal([7, 52], 0, 1, 'float32', 1), 4);
    const tails = tf.tensor2d([[-30, -12, -5, -1e-3, 0, 1e-3, 5, 30]]);
    const dy = tf.randomNormal([7, 52], 0, 1, 'float32', 2);
    const before = tf.memory().numTensors;
    const out = geluTanhWebgpu(x);
    const outTails = geluTanhWebgpu(tails);
    const dx = geluTanhBackwardWebgpu(dy, x);
    expect(tf.memory().numTensors - before).toBe(3);

    const expected = reference(x);
    const expectedTails = reference(tails);
    const expectedDx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(reference(input), dy)))(x);
    expect(relativeError(await out.data(), await expected.data())).toBeLessThan(1e-6);
    // Exact zeros far left, x far right, within 1e-6 of 30 (the largest) in between.
    expect(relativeError(await outTails.data(), await expectedTails.data())).toBeLessThan(1e-6);
    expect(relativeError(await dx.data(), await expectedDx.data())).toBeLessThan(2e-6);
    tf.dispose([x, tails, dy, out, outTails, dx, expected, expectedTails, expectedDx]);
  });
});
