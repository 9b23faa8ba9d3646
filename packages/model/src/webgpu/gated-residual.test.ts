import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { gatedResidual, gatedResidualBackward } from './gated-residual.js';
import { ADALN_CHUNK } from './modulation.js';
import { maxAbs, maxAbsDifference, useWebgpuBackend } from './test-backend.js';

const startBackend = tf.getBackend();
const skipReason = await useWebgpuBackend();
afterAll(async () => {
  await tf.setBackend(startBackend);
});

/** The generic path: x + gate * y with the gate broadcast over each sample's tokens. */
function reference(x: tf.Tensor2D, y: tf.Tensor2D, modulation: tf.Tensor2D, tokens: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch] = modulation.shape;
    const width = x.shape[1];
    const gate = tf.reshape(tf.slice(modulation, [0, ADALN_CHUNK.gate1 * width], [batch, width]), [batch, 1, width]);
    return tf.reshape(tf.add(tf.reshape(x, [batch, tokens, width]), tf.mul(gate, tf.reshape(y, [batch, tokens, width]))), [batch * tokens, width]) as tf.Tensor2D;
  });
}

const relative = (a: ArrayLike<number>, b: ArrayLike<number>) => maxAbsDifference(a, b) / maxAbs(b);

describe.skipIf(skipReason)('gated residual on webgpu', () => {
  // 3 samples of 70 tokens (two 64-row chunks in the gate's column sums), width 36.
  it('matches the generic path in values and gradients', async () => {
    const [batch, tokens, width] = [3, 70, 36];
    const x = tf.randomNormal([batch * tokens, width], 0, 1, 'float32', 1) as tf.Tensor2D;
    const y = tf.randomNormal([batch * tokens, width], 0, 1, 'float32', 2) as tf.Tensor2D;
    const modulation = tf.randomNormal([batch, 6 * width], 0, 1, 'float32', 3) as tf.Tensor2D;
    const dOut = tf.randomNormal([batch * tokens, width], 0, 1, 'float32', 4) as tf.Tensor2D;
    const adaLN = { modulation, tokens, gate: ADALN_CHUNK.gate1 };
    const before = tf.memory().numTensors;

    const out = gatedResidual(x, y, adaLN);
    const { dY, dGate } = gatedResidualBackward(dOut, y, adaLN);
    expect(tf.memory().numTensors - before).toBe(3);

    const expected = reference(x, y, modulation, tokens);
    const [expectedDy, expectedDModulation] = tf.grads((yy: tf.Tensor, m: tf.Tensor) => tf.sum(tf.mul(reference(x, yy as tf.Tensor2D, m as tf.Tensor2D, tokens), dOut)))([y, modulation]);
    const expectedDGate = tf.slice(expectedDModulation, [0, ADALN_CHUNK.gate1 * width], [batch, width]);

    expect(relative(await out.data(), await expected.data())).toBeLessThan(1e-6);
    expect(relative(await dY.data(), await expectedDy.data())).toBeLessThan(1e-6);
    expect(relative(await dGate.data(), await expectedDGate.data())).toBeLessThan(2e-6);
    tf.dispose([x, y, modulation, dOut, out, dY, dGate, expected, expectedDy, expectedDModulation, expectedDGate]);
  });

  it('names the operand at fault', () => {
    const x = tf.zeros([6, 8]) as tf.Tensor2D;
    const modulation = tf.zeros([2, 48]) as tf.Tensor2D;
    expect(() => gatedResidual(x, tf.zeros([6, 4]) as tf.Tensor2D, { modulation, tokens: 3, gate: 2 })).toThrow(/same \[T, D\] shape/);
    expect(() => gatedResidual(x, x, { modulation, tokens: 2, gate: 2 })).toThrow(/B \* tokens/);
    tf.dispose([x, modulation]);
  });
});
