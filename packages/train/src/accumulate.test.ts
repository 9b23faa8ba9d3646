import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import { describe, expect, it } from 'vitest';
import { GradientAccumulator, microBatchSizes } from './accumulate.js';

describe('GradientAccumulator', () => {
  it('gives the full-batch gradient of a mean loss from weighted micro-batches', async () => {
    const rng = new Rng('accumulate');
    const w = tf.variable(rng.normalTensor([5, 3]), true, 'accumulate/w');
    const x = rng.normalTensor([8, 5]);
    const y = rng.normalTensor([8, 3]);
    const loss = (xs: tf.Tensor, ys: tf.Tensor) => () => tf.matMul(xs, w).sub(ys).square().mean() as tf.Scalar;
    const full = tf.variableGrads(loss(x, y), [w]);
    const accumulator = new GradientAccumulator();
    let offset = 0;
    for (const size of microBatchSizes({ batchSize: 8, microBatch: 3 })) {
      const part = tf.tidy(() => tf.variableGrads(loss(x.slice(offset, size), y.slice(offset, size)), [w]).grads[w.name]);
      accumulator.add(new Map([['w', part]]), size / 8);
      part.dispose();
      offset += size;
    }
    expect(accumulator.accumulatedWeight).toBeCloseTo(1, 12);
    const summed = accumulator.take();
    const expected = await full.grads[w.name].data();
    const got = await summed.get('w')!.data();
    for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i], 5);
    expect(accumulator.accumulatedWeight).toBe(0);
    tf.dispose([w, x, y, full.value, ...Object.values(full.grads), ...summed.values()]);
  });

  it('splits batches and names the field at fault', () => {
    expect(microBatchSizes({ batchSize: 8, microBatch: 3 })).toEqual([3, 3, 2]);
    expect(microBatchSizes({ batchSize: 8, microBatch: 8 })).toEqual([8]);
    expect(() => microBatchSizes({ batchSize: 8, microBatch: 0 })).toThrow(/microBatch/);
    const accumulator = new GradientAccumulator();
    const g = tf.zeros([2]);
    expect(() => accumulator.add(new Map([['a', g]]), 0)).toThrow(/weight/);
    accumulator.add(new Map([['a', g]]), 0.5);
    const wrong = tf.zeros([3]);
    expect(() => accumulator.add(new Map([['a', wrong]]), 0.5)).toThrow(/a has shape/);
    accumulator.dispose();
    tf.dispose([g, wrong]);
  });
});
