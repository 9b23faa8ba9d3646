import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { attentionBackward, attentionForward, BATCHED_SCORE_FLOATS, scoreChunkFloats, scoreChunking } from './scaled-dot-product.js';
import { setDeviceBufferLimits } from '../device-limits.js';
import { transposeEach } from '../kernels/transpose.js';
import type { AttentionHeads } from './head-layouts.js';
import { setPlainProductsOnly } from '../products.js';
import { maxAbsDiff } from '../test-helpers.js';
import { webgpuForTests } from '../../../../../tests/helpers/webgpu.js';

// 6 heads of [8 tokens, head_dim 4]: each score map is 64 floats.
const groups = 6;
const tokens = 8;
const headDim = 4;
const perHead = (shape: [number, number], seed: number) => Array.from({ length: groups }, (_, g) => tf.randomNormal(shape, 0, 1, 'float32', seed + g) as tf.Tensor2D);
const read = (tensors: tf.Tensor[]) => Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));

afterEach(() => {
  setPlainProductsOnly('auto');
  setDeviceBufferLimits('auto');
});

describe('score map chunking', () => {
  it('batches whole heads while a map fits, else splits one head in query rows', () => {
    expect(scoreChunking(8, 64 * 4 + 10)).toEqual({ heads: 4, rows: 8 });
    expect(scoreChunking(8, 64)).toEqual({ heads: 1, rows: 8 });
    expect(scoreChunking(8, 30)).toEqual({ heads: 1, rows: 3 });
    expect(scoreChunking(8, 3)).toEqual({ heads: 1, rows: 1 });
    // The original preset at 512 px: 1280 tokens, two 6.25 MiB heads per 16 MiB chunk.
    expect(scoreChunking(1280, BATCHED_SCORE_FLOATS)).toEqual({ heads: 2, rows: 1280 });
  });

  it("stays under a WebGPU device's binding limit", () => {
    expect(scoreChunkFloats()).toBe(BATCHED_SCORE_FLOATS);
    setDeviceBufferLimits({ maxStorageBufferBindingSize: 1024, maxBufferSize: 4096 });
    expect(scoreChunkFloats()).toBe(256);
    setDeviceBufferLimits({ maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 32 });
    expect(scoreChunkFloats()).toBe(BATCHED_SCORE_FLOATS);
  });
});

describe('attention, one head at a time (wasm) and batched in chunks (native and GPU backends)', () => {
  const heads: AttentionHeads = { queries: perHead([tokens, headDim], 1), keysT: perHead([headDim, tokens], 11), values: perHead([tokens, headDim], 21) };
  const dOutputs = perHead([tokens, headDim], 31);
  afterAll(() => tf.dispose([...heads.queries, ...heads.keysT, ...heads.values, ...dOutputs]));

  it.each([
    ['one chunk', undefined],
    ['one head per chunk', 64],
    ['chunks of 4 and 2 heads', 4 * 64 + 10],
    ['one head at a time in blocks of 3 query rows (a map exceeds the limit)', 3 * tokens + 5],
    ['one query row at a time', 1],
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

const webgpu = await webgpuForTests();

describe.skipIf(!webgpu.available)(`attention on webgpu under a small binding limit${webgpu.skipNote}`, () => {
  // 2 heads of [64 tokens, head_dim 16]: one score map is 64 x 64 floats = 16 KiB.
  const [heads2, tokens64, dim16] = [2, 64, 16];
  const make = (shape: [number, number], seed: number) => Array.from({ length: heads2 }, (_, g) => tf.randomNormal(shape, 0, 1, 'float32', seed + g) as tf.Tensor2D);
  beforeAll(() => webgpu.use());
  afterAll(() => webgpu.restore());

  it('cuts each map into query-row blocks no tensor of which exceeds a 4 KiB binding, with the same outputs and gradients', async () => {
    expect(tf.getBackend()).toBe('webgpu');
    const heads: AttentionHeads = { queries: make([tokens64, dim16], 1), keysT: make([dim16, tokens64], 11), values: make([tokens64, dim16], 21) };
    const dOutputs = make([tokens64, dim16], 31);
    const run = () => {
      const out = attentionForward(heads);
      const grads = attentionBackward(heads, dOutputs);
      return [...out, ...grads.dQueries, ...grads.dKeysT, ...grads.dValuesT];
    };
    const whole = run();
    const expected = await read(whole);
    tf.dispose(whole);
    // The full map (16 KiB, both heads 32 KiB) exceeds the limit: blocks of 16 query rows.
    setDeviceBufferLimits({ maxStorageBufferBindingSize: 4096, maxBufferSize: 2 ** 20 });
    expect(scoreChunkFloats()).toBe(1024);
    const before = tf.memory().numTensors;
    let chunked: tf.Tensor[] = [];
    const profile = await tf.profile(() => {
      chunked = run();
    });
    expect(tf.memory().numTensors - before, 'only the outputs are new').toBe(chunked.length);
    const largest = Math.max(...profile.kernels.flatMap((k) => k.outputShapes.map((shape) => 4 * shape.reduce((a, b) => a * b, 1))));
    expect(largest).toBeLessThanOrEqual(4096);
    expect(profile.kernels.some((k) => k.outputShapes.some((shape) => shape.join() === '16,64')), 'a [16, 64] block of scores').toBe(true);
    const actual = await read(chunked);
    tf.dispose(chunked);
    expected.forEach((values, i) => expect(maxAbsDiff(values, actual[i]), `output ${i}`).toBeLessThan(1e-4));
    tf.dispose([...heads.queries, ...heads.keysT, ...heads.values, ...dOutputs]);
  });
});
