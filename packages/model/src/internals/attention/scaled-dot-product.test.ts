import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { attentionBackward, attentionForward } from './scaled-dot-product.js';
import { transposeEach } from '../kernels/transpose.js';
import type { AttentionHeads } from './head-layouts.js';
import { setPlainProductsOnly } from '../products.js';
import { maxAbsDiff } from '../test-helpers.js';

// 6 heads of [8 tokens, head_dim 4]: each score map is 64 floats.
const groups = 6;
const tokens = 8;
const headDim = 4;
const perHead = (shape: [number, number], seed: number) => Array.from({ length: groups }, (_, g) => tf.randomNormal(shape, 0, 1, 'float32', seed + g) as tf.Tensor2D);
const read = (tensors: tf.Tensor[]) => Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));

afterEach(() => setPlainProductsOnly('auto'));

describe('attention, one head at a time (wasm) and batched in chunks (native and GPU backends)', () => {
  const heads: AttentionHeads = { queries: perHead([tokens, headDim], 1), keysT: perHead([headDim, tokens], 11), values: perHead([tokens, headDim], 21) };
  const dOutputs = perHead([tokens, headDim], 31);
  afterAll(() => tf.dispose([...heads.queries, ...heads.keysT, ...heads.values, ...dOutputs]));

  it.each([
    ['one chunk', undefined],
    ['one head per chunk', 64],
    ['chunks of 4 and 2 heads', 4 * 64 + 10],
  ])('give the same outputs and gradients: %s', async (_, scoreFloats) => {
    setPlainProductsOnly(true);
    const dOutputsT = transposeEach(dOutputs);
    const plainOut = attentionForward(heads);
    const plainGrad = attentionBackward(heads, dOutputs, dOutputsT);
    const plain = await read([...plainOut, ...plainGrad.dQueries, ...plainGrad.dKeysT, ...plainGrad.dValuesT]);
    tf.dispose([...dOutputsT, ...plainOut, ...plainGrad.dQueries, ...plainGrad.dKeysT, ...plainGrad.dValuesT]);

    setPlainProductsOnly(false);
    const before = tf.memory().numTensors;
    const batchedOut = attentionForward(heads, scoreFloats);
    const batchedGrad = attentionBackward(heads, dOutputs, undefined, scoreFloats);
    const outputs = [...batchedOut, ...batchedGrad.dQueries, ...batchedGrad.dKeysT, ...batchedGrad.dValuesT];
    expect(tf.memory().numTensors - before, 'only the outputs are new').toBe(outputs.length);
    const batched = await read(outputs);
    tf.dispose(outputs);
    expect(batched.length).toBe(plain.length);
    plain.forEach((values, i) => expect(maxAbsDiff(values, batched[i]), `output ${i}`).toBeLessThan(1e-5));
  });
});
