import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '../../../../tests/helpers/webgpu.js';
import { columnSums, sampleColumnSumsOfProduct, sampleColumnSumsWithProduct } from './sample-column-sums.js';
import { relativeError } from './test-helpers.js';

const webgpu = await webgpuForTests();

describe.skipIf(!webgpu.available)(`column sums on webgpu${webgpu.skipNote}`, () => {
  beforeAll(() => webgpu.use());
  afterAll(() => webgpu.restore());

  it('match tf.sum per sample and over all rows, across 64-row chunks', async () => {
    // 2 samples of 65 tokens: the second chunk of each sample holds one row.
    const [batch, tokens, width] = [2, 65, 20];
    const a = tf.randomNormal([batch * tokens, width], 0, 1, 'float32', 1) as tf.Tensor2D;
    const y = tf.randomNormal([batch * tokens, width], 0, 1, 'float32', 2) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const product = sampleColumnSumsOfProduct(a, y, tokens);
    const both = sampleColumnSumsWithProduct(a, y, tokens);
    const all = columnSums(a);
    expect(tf.memory().numTensors - before).toBe(4);
    const perSample = (t: tf.Tensor) => tf.sum(tf.reshape(t, [batch, tokens, width]), 1);
    const pairs: [tf.Tensor, tf.Tensor][] = [[product, perSample(tf.mul(a, y))], [both.sumOfProduct, perSample(tf.mul(a, y))], [both.sum, perSample(a)], [all, tf.sum(a, 0)]];
    for (const [actual, expected] of pairs) {
      expect(actual.shape).toEqual(expected.shape);
      expect(relativeError(await actual.data(), await expected.data())).toBeLessThan(2e-6);
    }
    tf.dispose([a, y, product, both.sumOfProduct, both.sum, all, ...pairs.map(([, expected]) => expected)]);
  });
});
