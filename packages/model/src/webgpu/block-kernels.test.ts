import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '../../../../tests/helpers/webgpu.js';
import { DiTBlock } from '../block.js';
import { randomizeWeights } from '../internals/test-helpers.js';
import { referenceBlock } from '../reference-block.js';
import { ropeTables } from '../rope.js';
import { setWebgpuKernelsEnabled } from './switches.js';
import { relativeError } from './test-helpers.js';

const webgpu = await webgpuForTests();

/** @dit's kernels a training step of one block runs on webgpu, all switches on. */
const EXPECTED_KERNELS = [
  'DitFlashAttentionForward', 'DitFlashAttentionBackward', 'DitLayerNormStatistics', 'DitLayerNormNormalize',
  'DitLayerNormBackward', 'DitPerSampleAffine', 'DitSampleColumnSums', 'DitGeluTanh', 'DitTiledMatMul',
];

interface Case {
  hiddenSize: number;
  numHeads: number;
  grid: { textLength: number; gridHeight: number; gridWidth: number };
}

/** The block's output and the gradients of <output, dOut> for x, SiLU(c) and all ten weights, with the kernels it ran. */
async function run(block: DiTBlock, { hiddenSize, numHeads, grid }: Case, path: 'fast' | 'reference', checkpointing = false) {
  const batch = 2;
  const rope = ropeTables({ ...grid, headDim: hiddenSize / numHeads });
  const tokens = grid.textLength + grid.gridHeight * grid.gridWidth;
  const x = tf.variable(tf.randomNormal([batch * tokens, hiddenSize], 0, 1, 'float32', 1), true, `x-${Math.random()}`);
  const siluC = tf.variable(tf.randomNormal([batch, hiddenSize], 0, 1, 'float32', 2), true, `c-${Math.random()}`);
  const dOut = tf.randomNormal([batch * tokens, hiddenSize], 0, 1, 'float32', 3);
  const weights = block.weights();
  const variables = [x, siluC, ...Object.values(weights)] as tf.Variable[];
  const before = tf.memory().numTensors;
  let values: Float32Array[] = [];
  const profile = await tf.profile(async () => {
    const { value, grads } = tf.variableGrads(() => {
      const out = path === 'fast'
        ? block.apply(x as tf.Tensor2D, siluC as tf.Tensor2D, { batch, tokens, rope, checkpointing })
        : tf.reshape(referenceBlock(tf.reshape(x, [batch, tokens, hiddenSize]) as tf.Tensor3D, siluC as tf.Tensor2D, weights, rope, numHeads), [batch * tokens, hiddenSize]);
      return tf.sum(tf.mul(out, dOut)) as tf.Scalar;
    }, variables);
    values = await Promise.all([value, ...variables.map((v) => grads[v.name])].map((t) => t.data() as Promise<Float32Array>));
    tf.dispose([value, ...Object.values(grads)]);
  });
  const leaked = tf.memory().numTensors - before;
  tf.dispose([x, siluC, dOut, rope.cos, rope.sin]);
  return { values, leaked, kernels: new Set(profile.kernelNames) };
}

// Head dims 16 and 64 (the presets'); token counts not multiples of any tile; at least 64 token
// rows (2 samples), so the products take the tiled matmul too.
const cases: Case[] = [
  { hiddenSize: 64, numHeads: 4, grid: { textLength: 3, gridHeight: 4, gridWidth: 8 } },
  { hiddenSize: 128, numHeads: 2, grid: { textLength: 2, gridHeight: 5, gridWidth: 7 } },
];

describe.skipIf(!webgpu.available)(`the block on webgpu, with @dit's kernels, against the reference block${webgpu.skipNote}`, () => {
  beforeAll(() => webgpu.use());
  afterEach(() => setWebgpuKernelsEnabled('env'));
  afterAll(() => webgpu.restore());

  const makeBlock = (hiddenSize: number, numHeads: number) => {
    const block = new DiTBlock(0, hiddenSize, numHeads, `webgpu-block-${Math.random()}/`);
    randomizeWeights({ namedVariables: () => Object.values(block.weights()).map((variable) => ({ name: '', variable: variable as tf.Variable })) }, 5);
    return block;
  };

  it.each(cases)('gives the same output and gradients (hidden $hiddenSize, $numHeads heads), also checkpointed', async (testCase) => {
    setWebgpuKernelsEnabled(true);
    const block = makeBlock(testCase.hiddenSize, testCase.numHeads);
    const reference = await run(block, testCase, 'reference');
    for (const checkpointing of [false, true]) {
      const fast = await run(block, testCase, 'fast', checkpointing);
      for (const name of EXPECTED_KERNELS) expect(fast.kernels.has(name), `${name} ran`).toBe(true);
      // The reference runs none of them: the comparison is between two different paths.
      expect(EXPECTED_KERNELS.some((name) => reference.kernels.has(name))).toBe(false);
      // f32 in another summation order: relative to each tensor's largest magnitude.
      fast.values.forEach((actual, i) => expect(relativeError(actual, reference.values[i]), `output/gradient ${i}`).toBeLessThan(1e-5));
      expect(fast.leaked).toBe(0);
    }
    tf.dispose(Object.values(block.weights()));
  });

  it('takes the generic steps with the kernels switched off', async () => {
    setWebgpuKernelsEnabled(false);
    const testCase = cases[0];
    const block = makeBlock(testCase.hiddenSize, testCase.numHeads);
    const fast = await run(block, testCase, 'fast');
    expect(EXPECTED_KERNELS.filter((name) => fast.kernels.has(name))).toEqual([]);
    tf.dispose(Object.values(block.weights()));
  });
});
