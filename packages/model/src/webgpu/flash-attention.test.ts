import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '../../../../tests/helpers/webgpu.js';
import { applyRope, ropeTables, type RopeTables } from '../rope.js';
import { flashAttentionApplies, flashAttentionBackward, flashAttentionForward, flashAttentionSupportsHeadDim, type AttentionGeometry } from './flash-attention.js';
import { KEY_BLOCK_TILES } from './flash-attention-backward.js';
import { setWebgpuKernelsEnabled } from './switches.js';
import { relativeError } from './test-helpers.js';

const webgpu = await webgpuForTests();

/** The generic path, in plain tfjs ops: split heads, RoPE, scale, softmax(q k^T) v, merge heads. */
function referenceAttention(qkv: tf.Tensor2D, rope: RopeTables, g: AttentionGeometry): { output: tf.Tensor2D; logSumExp: tf.Tensor2D } {
  return tf.tidy(() => {
    const { batch, heads, tokens, headDim, scale } = g;
    const [q, k, v] = tf.split(qkv, 3, 1).map((part) => tf.reshape(part, [batch, tokens, heads, headDim]) as tf.Tensor4D);
    const byHead = (x: tf.Tensor4D) => tf.transpose(x, [0, 2, 1, 3]);
    const scores = tf.matMul(byHead(tf.mul(applyRope(q, rope), scale) as tf.Tensor4D), byHead(applyRope(k, rope)), false, true);
    const attended = tf.matMul(tf.softmax(scores), byHead(v));
    return {
      output: tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [batch * tokens, heads * headDim]) as tf.Tensor2D,
      logSumExp: tf.reshape(tf.logSumExp(scores, -1), [batch * heads, tokens]) as tf.Tensor2D,
    };
  });
}

interface Case {
  name: string;
  batch: number;
  heads: number;
  headDim: number;
  textLength: number;
  grid: [number, number];
}

// Token counts that are not multiples of any tile (64 query rows, 32 keys, 16 or 32 key blocks).
const cases: Case[] = [
  { name: 'head dim 16, 2 samples x 3 heads, 73 tokens', batch: 2, heads: 3, headDim: 16, textLength: 3, grid: [7, 10] },
  { name: 'head dim 64 (the presets), 2 heads, 38 tokens', batch: 1, heads: 2, headDim: 64, textLength: 2, grid: [6, 6] },
  { name: 'head dim 128, 1 head, 21 tokens', batch: 1, heads: 1, headDim: 128, textLength: 1, grid: [4, 5] },
];

// lavapipe compiles each kernel variant with LLVM the first time: with a cold Mesa shader cache
// (a fresh CI machine) head dim 128 alone took 57 s on an idle 2-core machine.
describe.skipIf(!webgpu.available)(`flash attention on webgpu${webgpu.skipNote}`, { timeout: 300_000 }, () => {
  beforeAll(() => webgpu.use());
  afterAll(() => {
    setWebgpuKernelsEnabled('env');
    return webgpu.restore();
  });

  it.each(cases)('matches the generic path in values and gradients: $name', async ({ batch, heads, headDim, textLength, grid }) => {
    const rope = ropeTables({ textLength, gridHeight: grid[0], gridWidth: grid[1], headDim });
    const tokens = textLength + grid[0] * grid[1];
    const geometry = { batch, heads, tokens, headDim, scale: 1 / Math.sqrt(headDim) };
    // Scaled up so the softmax is far from uniform (scores of a few units).
    const qkv = tf.mul(tf.randomNormal([batch * tokens, 3 * heads * headDim], 0, 1, 'float32', headDim + tokens), 1.5) as tf.Tensor2D;
    const dOutput = tf.randomNormal([batch * tokens, heads * headDim], 0, 1, 'float32', 5) as tf.Tensor2D;
    const before = tf.memory().numTensors;

    const flash = flashAttentionForward(qkv, rope, geometry, true);
    const inference = flashAttentionForward(qkv, rope, geometry, false);
    const dQkv = flashAttentionBackward(qkv, rope, flash.output, flash.logSumExp!, dOutput, geometry);
    expect(tf.memory().numTensors - before).toBe(4);

    const reference = referenceAttention(qkv, rope, geometry);
    const referenceGradient = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(referenceAttention(x as tf.Tensor2D, rope, geometry).output, dOutput)))(qkv);

    const [output, inferenceOutput, lse, gradient, expectedOutput, expectedLse, expectedGradient] = await Promise.all(
      [flash.output, inference.output, flash.logSumExp!, dQkv, reference.output, reference.logSumExp, referenceGradient].map((t) => t.data()),
    );
    // f32 sums in another order: a few ulps of the largest value.
    expect(relativeError(output, expectedOutput)).toBeLessThan(2e-6);
    expect(relativeError(inferenceOutput, expectedOutput)).toBeLessThan(2e-6);
    expect(relativeError(lse, expectedLse)).toBeLessThan(2e-6);
    expect(relativeError(gradient, expectedGradient)).toBeLessThan(5e-6);

    tf.dispose([flash.output, flash.logSumExp!, inference.output, dQkv, reference.output, reference.logSumExp, referenceGradient, qkv, dOutput, rope.cos, rope.sin]);
  });

  // Devices differ in workgroup storage (16 KiB is WebGPU's minimum, 32 KiB here, more on some
  // GPUs), so each picks other tiles: head dim 128 takes dK/dV blocks of 2 x 16 keys by 2 x 4
  // queries from 42 KiB up, 1 x 16 by 2 x 4 at 32 KiB; head dim 96 2 x 16 by 1 x 4 at 32 KiB; head
  // dims over 64 key tiles of 16 at 16 KiB. Every tiling a supported head dim can get runs here,
  // forced, against the generic path: at head dim 16 only, since the tiles, not the head dim, shape
  // these code paths, and each new shader costs seconds of LLVM compilation on lavapipe with a
  // cold shader cache.
  it('matches the generic path with every tile size a device can pick: head dim 16', async () => {
    const { batch, heads, headDim, textLength, grid } = cases[0];
    const rope = ropeTables({ textLength, gridHeight: grid[0], gridWidth: grid[1], headDim });
    const tokens = textLength + grid[0] * grid[1];
    const geometry = { batch, heads, tokens, headDim, scale: 1 / Math.sqrt(headDim) };
    const qkv = tf.mul(tf.randomNormal([batch * tokens, 3 * heads * headDim], 0, 1, 'float32', headDim + tokens), 1.5) as tf.Tensor2D;
    const dOutput = tf.randomNormal([batch * tokens, heads * headDim], 0, 1, 'float32', 5) as tf.Tensor2D;
    const reference = referenceAttention(qkv, rope, geometry);
    const referenceGradient = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(referenceAttention(x as tf.Tensor2D, rope, geometry).output, dOutput)))(qkv);
    const [expectedOutput, expectedGradient] = await Promise.all([reference.output.data(), referenceGradient.data()]);
    const tried: string[] = [];
    for (const [index, keyBlock] of KEY_BLOCK_TILES.entries()) {
      // Key tiles of 8 and 4 are never picked: 16 KiB holds 16 keys at head dim 128.
      const keyTile = index % 2 === 0 ? 32 : 16;
      const flash = flashAttentionForward(qkv, rope, geometry, true, { keyTile });
      const dQkv = flashAttentionBackward(qkv, rope, flash.output, flash.logSumExp!, dOutput, geometry, { keyTile, keyBlock });
      const [output, gradient] = await Promise.all([flash.output.data(), dQkv.data()]);
      const tiles = `keyTile ${keyTile}, keyBlock ${JSON.stringify(keyBlock)}`;
      expect(relativeError(output, expectedOutput), tiles).toBeLessThan(2e-6);
      expect(relativeError(gradient, expectedGradient), tiles).toBeLessThan(5e-6);
      tried.push(tiles);
      tf.dispose([flash.output, flash.logSumExp!, dQkv]);
    }
    expect(tried).toHaveLength(6);
    tf.dispose([reference.output, reference.logSumExp, referenceGradient, qkv, dOutput, rope.cos, rope.sin]);
  });

  it('refuses forced tiles that are not a tiling or do not fit the device', () => {
    const rope = ropeTables({ textLength: 1, gridHeight: 2, gridWidth: 2, headDim: 128 });
    const qkv = tf.zeros([5, 3 * 128]) as tf.Tensor2D;
    const geometry = { batch: 1, heads: 1, tokens: 5, headDim: 128, scale: 1 };
    expect(() => flashAttentionForward(qkv, rope, geometry, false, { keyTile: 12 })).toThrow('DitFlashAttentionForward: keyTile must be one of 32, 16, 8, 4, got 12');
    const flash = flashAttentionForward(qkv, rope, geometry, true);
    const dOutput = tf.zeros([5, 128]) as tf.Tensor2D;
    // 2 x 16 keys and 4 x 4 queries of head dim 128 need 53376 bytes: more than lavapipe's 32 KiB (and WebGPU's 16 KiB minimum).
    expect(() => flashAttentionBackward(qkv, rope, flash.output, flash.logSumExp!, dOutput, geometry, { keyBlock: { keysPerThread: 2, queriesPerThread: 4 } })).toThrow(
      /DitFlashAttentionBackward: keyBlock \{"keysPerThread":2,"queriesPerThread":4\} at head dim 128 needs 53376 bytes of workgroup storage, the device has \d+/,
    );
    tf.dispose([qkv, dOutput, flash.output, flash.logSumExp!, rope.cos, rope.sin]);
  });

  it('says where it applies and rejects operands of the wrong shape', () => {
    expect(flashAttentionSupportsHeadDim(64)).toBe(true);
    expect(flashAttentionSupportsHeadDim(40)).toBe(false);
    expect(flashAttentionSupportsHeadDim(256)).toBe(false);
    expect(flashAttentionApplies(64)).toBe(true);
    expect(flashAttentionApplies(64, { backend: 'wasm' })).toBe(false);
    setWebgpuKernelsEnabled({ attention: false });
    expect(flashAttentionApplies(64)).toBe(false);
    setWebgpuKernelsEnabled(true);
    const rope = ropeTables({ textLength: 1, gridHeight: 2, gridWidth: 2, headDim: 16 });
    const qkv = tf.zeros([9, 48]) as tf.Tensor2D;
    expect(() => flashAttentionForward(qkv, rope, { batch: 2, heads: 1, tokens: 5, headDim: 16, scale: 0.25 }, false)).toThrow(/qkv must be \[10, 48\]/);
    tf.dispose([qkv, rope.cos, rope.sin]);
  });
});
