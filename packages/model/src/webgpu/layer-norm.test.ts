import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '../../../../tests/helpers/webgpu.js';
import { layerNormBackward, layerNormForward } from '../internals/block/layer-norm.js';
import { layerNormBackwardWebgpu, layerNormWebgpu } from './layer-norm.js';
import { relativeError } from './test-helpers.js';

const webgpu = await webgpuForTests();

// Widths whose vec4 count is not a multiple of the 64-thread row workgroup: 17, and 130 (3 per thread);
// and more rows than one dispatch dimension takes (65535 workgroups), which tfjs folds into a 2-D grid
// whose spare workgroups redo the last row.
const cases = [
  { rows: 5, width: 68 },
  { rows: 9, width: 520 },
  { rows: 65535 + 300, width: 8 },
];

describe.skipIf(!webgpu.available)(`LayerNorm on webgpu${webgpu.skipNote}`, () => {
  beforeAll(() => webgpu.use());
  afterAll(() => webgpu.restore());

  it.each(cases)('matches the generic path forward and backward: [$rows, $width]', async ({ rows, width }) => {
    // Offset, scaled rows: the variance is taken from the centred values.
    const x = tf.add(tf.mul(tf.randomNormal([rows, width], 0, 1, 'float32', width), 3), 5) as tf.Tensor2D;
    const dNormalized = tf.randomNormal([rows, width], 0, 1, 'float32', 2) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const { normalized, rstd } = layerNormWebgpu(x);
    const dx = layerNormBackwardWebgpu(dNormalized, normalized, rstd);
    expect(tf.memory().numTensors - before).toBe(3);
    expect(rstd.shape).toEqual([rows, 1]);

    const generic = layerNormForward(x);
    const genericDx = layerNormBackward(dNormalized, generic.normalized, generic.rstd);
    // Also against autograd of the generic forward, so a shared mistake in both backward passes shows.
    const autogradDx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(layerNormForward(input as tf.Tensor2D).normalized, dNormalized)))(x);
    expect(relativeError(await normalized.data(), await generic.normalized.data())).toBeLessThan(2e-6);
    expect(relativeError(await rstd.data(), await generic.rstd.data())).toBeLessThan(2e-6);
    expect(relativeError(await dx.data(), await genericDx.data())).toBeLessThan(5e-6);
    expect(relativeError(await dx.data(), await autogradDx.data())).toBeLessThan(5e-6);
    tf.dispose([x, dNormalized, normalized, rstd, dx, generic.normalized, generic.rstd, genericDx, autogradDx]);
  });

  it('names the operand at fault', () => {
    const x = tf.zeros([4, 6]) as tf.Tensor2D;
    expect(() => layerNormWebgpu(x)).toThrow(/multiple of 4, found \[4, 6\]/);
    const rows = tf.zeros([4, 8]) as tf.Tensor2D;
    expect(() => layerNormBackwardWebgpu(rows, rows, tf.zeros([3, 1]) as tf.Tensor2D)).toThrow(/rstd must be \[4, 1\]/);
    tf.dispose([x, rows]);
  });
});
