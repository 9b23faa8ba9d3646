import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuErrors } from './candidate.js';
import { webgpuForTests } from '../../../../tests/helpers/webgpu.js';

const webgpu = await webgpuForTests();

describe.skipIf(!webgpu.available)(`tfjs-webgpu kernel fixes${webgpu.skipNote}`, () => {
  beforeAll(() => webgpu.use());
  afterAll(() => webgpu.restore());

  it('AddN sums more inputs than one shader may bind (tfjs alone returns zeros)', async () => {
    const limit = webgpu.adapter!.limits.maxStorageBuffersPerShaderStage;
    const before = tf.memory().numTensors;
    for (const count of [limit - 1, limit, 3 * limit + 2]) {
      const terms = Array.from({ length: count }, (_, i) => tf.fill([3000], i + 1));
      const sum = tf.addN(terms);
      // A kernel submitted in the same batch: an invalid AddN pipeline used to take it down too.
      const neighbour = tf.sum(terms[0]);
      expect(Array.from((await sum.data()).slice(0, 3)), `${count} inputs`).toEqual([1, 2, 3].map(() => (count * (count + 1)) / 2));
      expect((await neighbour.data())[0]).toBe(3000);
      tf.dispose([...terms, sum, neighbour]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(webgpuErrors()).toEqual([]);
  });

  it('AddN keeps its gradient: each input receives the upstream gradient', async () => {
    const xs = Array.from({ length: 20 }, (_, i) => tf.scalar(i));
    const grads = tf.grads((...args: tf.Tensor[]) => tf.mul(tf.addN(args), 3))(xs);
    expect(await Promise.all(grads.map(async (g) => (await g.data())[0]))).toEqual(Array(20).fill(3));
    tf.dispose([...xs, ...grads]);
  });

  it('Reverse works past rank 4 (tfjs alone drops the leading axes): rank 5 and 6, one or several axes', async () => {
    const before = tf.memory().numTensors;
    for (const [shape, axes] of [
      [[2, 3, 4, 2, 5], [3]],
      [[2, 3, 4, 2, 5], [0, 1]],
      [[2, 1, 3, 2, 2, 3], [2, 3, 5]],
    ] as [number[], number[]][]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: size }, (_, i) => i);
      const x = tf.tensor(values, shape);
      const reversed = tf.reverse(x, axes);
      // The same reversal by index arithmetic.
      const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
      const expected = values.map((_, flat) => {
        let source = 0;
        shape.forEach((n, axis) => {
          const index = Math.floor(flat / strides[axis]) % n;
          source += (axes.includes(axis) ? n - 1 - index : index) * strides[axis];
        });
        return source;
      });
      expect(Array.from(await reversed.data()), `shape [${shape}] axes [${axes}]`).toEqual(expected);
      tf.dispose([x, reversed]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(webgpuErrors()).toEqual([]);
  });
});
