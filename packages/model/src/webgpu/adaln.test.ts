import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '../../../../tests/helpers/webgpu.js';
import { gatedResidual, gatedResidualBackward, modulate, modulateBackward } from '../internals/block/adaln.js';
import { gatedResidualBackwardWebgpu, gatedResidualWebgpu, modulateBackwardWebgpu, modulateWebgpu } from './adaln.js';
import { perSampleAffine } from './per-sample-affine.js';
import { relativeError } from './test-helpers.js';

const webgpu = await webgpuForTests();

/** Values of each tensor, then every tensor disposed. */
async function values(tensors: tf.Tensor[]): Promise<Float32Array[]> {
  const read = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(tensors);
  return read;
}

describe.skipIf(!webgpu.available)(`adaLN modulation and gated residual on webgpu${webgpu.skipNote}`, () => {
  beforeAll(() => webgpu.use());
  afterAll(() => webgpu.restore());

  // 3 samples of 70 tokens (two 64-row chunks in the column sums), width 36 (9 vec4).
  const shape = { batch: 3, tokens: 70, hiddenSize: 36, numHeads: 1 };
  const rows = shape.batch * shape.tokens;
  const random = (dims: number[], seed: number) => tf.randomNormal(dims, 0, 1, 'float32', seed);

  it('match the generic steps, forward and backward', async () => {
    const normalized = random([rows, shape.hiddenSize], 1) as tf.Tensor2D;
    const branch = random([rows, shape.hiddenSize], 2) as tf.Tensor2D;
    const dOut = random([rows, shape.hiddenSize], 3) as tf.Tensor2D;
    const [scalePlus1, shift, gate] = [4, 5, 6].map((seed) => random([shape.batch, 1, shape.hiddenSize], seed) as tf.Tensor3D);
    const before = tf.memory().numTensors;

    const kernel = () => {
      const modulated = modulateWebgpu(normalized, scalePlus1, shift, shape);
      const m = modulateBackwardWebgpu(dOut, normalized, scalePlus1, shape);
      const residual = gatedResidualWebgpu(normalized, gate, branch, shape);
      const g = gatedResidualBackwardWebgpu(dOut, gate, branch, shape);
      return [modulated, m.dNormalized, m.dScale, m.dShift, residual, g.dBranch, g.dGate];
    };
    const generic = () => {
      const modulated = modulate(normalized, scalePlus1, shift, shape);
      const m = modulateBackward(dOut, normalized, scalePlus1, shape);
      const residual = gatedResidual(normalized, gate, branch, shape);
      const g = gatedResidualBackward(dOut, gate, branch, shape);
      return [modulated, m.dNormalized, m.dScale, m.dShift, residual, g.dBranch, g.dGate];
    };
    const fromKernels = kernel();
    expect(tf.memory().numTensors - before).toBe(7);
    const [actual, expected] = [await values(fromKernels), await values(generic())];
    const names = ['modulated', 'dNormalized', 'dScale', 'dShift', 'gated residual', 'dBranch', 'dGate'];
    // Element-wise steps agree to an ulp or two; the column sums add 70 terms in another order.
    names.forEach((name, i) => expect(relativeError(actual[i], expected[i]), name).toBeLessThan(i === 2 || i === 3 || i === 6 ? 2e-6 : 5e-7));
    tf.dispose([normalized, branch, dOut, scalePlus1, shift, gate]);
  });

  it('names the operand at fault', () => {
    const x = tf.zeros([6, 8]) as tf.Tensor2D;
    expect(() => perSampleAffine(x, 4, { scale: tf.zeros([2, 8]) })).toThrow(/not whole samples of 4 tokens/);
    expect(() => perSampleAffine(x, 3, { scale: tf.zeros([2, 4]) })).toThrow(/scale must be \[2, 8\]/);
    expect(() => perSampleAffine(x, 3, { scale: tf.zeros([2, 8]), residual: tf.zeros([6, 4]) as tf.Tensor2D })).toThrow(/residual must be \[6, 8\]/);
    tf.dispose(x);
  });
});
