import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '../../../../tests/helpers/webgpu.js';
import { chooseMatMulTiling, tiledMatMul, tiledMatMulApplies, type MatMulTiling } from './matmul.js';
import { relativeError } from './test-helpers.js';

const webgpu = await webgpuForTests();

const tile128: MatMulTiling = { tileRows: 128, tileColumns: 128, tileDepth: 8, threadRows: 8, threadColumns: 8, splits: 1 };
const tile64: MatMulTiling = { tileRows: 64, tileColumns: 64, tileDepth: 16, threadRows: 4, threadColumns: 4, splits: 1 };

describe('matmul tiling choice', () => {
  it('takes 128-tiles for the forward products, 64-tiles or a split K for the weight gradients (original preset, batch 8)', () => {
    const [T, D] = [8 * 1280, 1024];
    // Forward X W: [T, D] x [D, 3D] -> 80 x 24 = 1920 tiles of 128.
    expect(chooseMatMulTiling(T, 3 * D, D)).toMatchObject({ tileRows: 128, splits: 1 });
    // Forward proj and dX of every Linear: [T, D] outputs, 80 x 8 = 640 tiles of 128.
    expect(chooseMatMulTiling(T, D, 4 * D)).toMatchObject({ tileRows: 128, splits: 1 });
    // dW of qkv: [D, 3D] over K = T: 192 tiles of 128, 768 of 64.
    expect(chooseMatMulTiling(D, 3 * D, T)).toMatchObject({ tileRows: 64, splits: 1 });
    // dW of proj: [D, D] over K = T: 256 tiles of 64, so K is split in 2.
    expect(chooseMatMulTiling(D, D, T)).toMatchObject({ tileRows: 64, splits: 2 });
    // Sampling, a CFG pair: [2 * 1280, 3D] -> 480 tiles of 128, 1920 of 64.
    expect(chooseMatMulTiling(2 * 1280, 3 * D, D)).toMatchObject({ tileRows: 64, splits: 1 });
    // A short K is never split below 512 per split.
    expect(chooseMatMulTiling(64, 64, 1000).splits).toBe(1);
  });
});

describe.skipIf(!webgpu.available)(`tiled matmul on webgpu${webgpu.skipNote}`, () => {
  beforeAll(() => webgpu.use());
  afterAll(() => webgpu.restore());

  const random = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor2D;

  // Sizes that are no multiple of the tiles (rows, columns) or of the k depth.
  const cases = [
    { name: '128-tiles', tiling: tile128, rows: 136, columns: 132, inner: 28 },
    { name: '64-tiles', tiling: tile64, rows: 68, columns: 132, inner: 40 },
    { name: '64-tiles, K split in 3', tiling: { ...tile64, splits: 3 }, rows: 72, columns: 64, inner: 100 },
  ];

  it.each(cases)('matches tf.matMul in all four transpose forms, with and without bias: $name', async ({ tiling, rows, columns, inner }) => {
    const bias = random([columns], 9) as unknown as tf.Tensor1D;
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = random(transposeA ? [inner, rows] : [rows, inner], 1);
      const b = random(transposeB ? [columns, inner] : [inner, columns], 2);
      expect(tiledMatMulApplies(a, b, transposeA, transposeB)).toBe(true);
      const before = tf.memory().numTensors;
      const product = tiledMatMul(a, b, { transposeA, transposeB, tiling });
      const withBias = tiledMatMul(a, b, { transposeA, transposeB, bias, tiling });
      expect(tf.memory().numTensors - before).toBe(2);
      const expected = tf.matMul(a, b, transposeA, transposeB);
      const expectedWithBias = tf.add(expected, bias);
      expect(product.shape).toEqual([rows, columns]);
      // f32 sums of `inner` products in another order.
      expect(relativeError(await product.data(), await expected.data()), `${transposeA} ${transposeB}`).toBeLessThan(1e-6);
      expect(relativeError(await withBias.data(), await expectedWithBias.data()), `${transposeA} ${transposeB} bias`).toBeLessThan(1e-6);
      tf.dispose([a, b, product, withBias, expected, expectedWithBias]);
    }
    bias.dispose();
  });

  it('says which operands it takes', () => {
    const a = tf.zeros([64, 30]);
    expect(tiledMatMulApplies(a, tf.zeros([30, 64]))).toBe(false); // K = 30 is not read as vec4
    expect(tiledMatMulApplies(tf.zeros([8, 32]), tf.zeros([32, 64]))).toBe(false); // 8 rows: tfjs' small-output programs
    expect(tiledMatMulApplies(tf.zeros([64, 32]), tf.zeros([32, 64]))).toBe(true);
    expect(() => tiledMatMul(tf.zeros([64, 32]) as tf.Tensor2D, tf.zeros([32, 64]) as tf.Tensor2D, { bias: tf.zeros([32]) as tf.Tensor1D })).toThrow(/bias must be \[64\]/);
  });
});
