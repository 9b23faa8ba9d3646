import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DiTBlock } from './block.js';
import { clearBlockKernels, DEFAULT_BLOCK_KERNELS, registerBlockKernels } from './internals/block/kernels.js';
import { setFusedKernelsEnabled } from './internals/kernels/registry.js';
import { setPlainProductsOnly } from './internals/products.js';
import { maxAbsDiff, randomizeWeights } from './internals/test-helpers.js';
import { referenceBlock } from './reference-block.js';
import { ropeTables } from './rope.js';

// batch 2, hidden 32, 4 heads (head_dim 8), 3 text tokens + a 2 x 3 image grid = 9 tokens.
const batch = 2;
const hiddenSize = 32;
const numHeads = 4;
const grid = { textLength: 3, gridHeight: 2, gridWidth: 3, headDim: hiddenSize / numHeads };
const tokens = grid.textLength + grid.gridHeight * grid.gridWidth;

/**
 * The fast block (one op, hand-written backward, fused kernels) against the reference block
 * (plain autograd, SPEC section 2 step 4): output and the gradients of <output, dOut> with
 * respect to x, SiLU(c) and all ten weights. Both run in float32 on the same backend; they differ
 * only by rounding order, so the bound is 1e-5 relative to each tensor's largest magnitude.
 */
const TOLERANCE = 1e-5;

const startBackend = tf.getBackend();
const backends = [...new Set([startBackend, ...['wasm', 'cpu'].filter((name) => tf.findBackendFactory(name) != null)])];

afterEach(() => {
  setPlainProductsOnly('auto');
  setFusedKernelsEnabled(true);
});
afterAll(async () => {
  await tf.setBackend(startBackend);
});

/** Values of the output and of every gradient, and how many tensors the run left behind. */
async function run(block: DiTBlock, path: 'fast' | 'reference', checkpointing = false) {
  const rope = ropeTables(grid);
  const x = tf.variable(tf.randomNormal([batch * tokens, hiddenSize], 0, 1, 'float32', 1), true, `x-${path}-${Math.random()}`);
  const siluC = tf.variable(tf.randomNormal([batch, hiddenSize], 0, 1, 'float32', 2), true, `c-${path}-${Math.random()}`);
  const dOut = tf.randomNormal([batch * tokens, hiddenSize], 0, 1, 'float32', 3);
  const weights = block.weights();
  const variables = [x, siluC, ...Object.values(weights)] as tf.Variable[];
  const before = tf.memory().numTensors;
  let out: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    // Kept past variableGrads' scope and read afterwards: webgpu under Node has no synchronous read.
    out = tf.keep(
      path === 'fast'
        ? block.apply(x as tf.Tensor2D, siluC as tf.Tensor2D, { batch, tokens, rope, checkpointing })
        : tf.reshape(referenceBlock(tf.reshape(x, [batch, tokens, hiddenSize]) as tf.Tensor3D, siluC as tf.Tensor2D, weights, rope, numHeads), [batch * tokens, hiddenSize]),
    );
    return tf.sum(tf.mul(out, dOut)) as tf.Scalar;
  }, variables);
  const output = (await out!.data()) as Float32Array;
  const gradients = await Promise.all(variables.map(async (variable) => (await grads[variable.name].data()) as Float32Array));
  tf.dispose([out!, value, ...Object.values(grads)]);
  const leaked = tf.memory().numTensors - before;
  tf.dispose([x, siluC, dOut, rope.cos, rope.sin]);
  return { output, gradients, leaked };
}

function expectClose(fast: Awaited<ReturnType<typeof run>>, reference: Awaited<ReturnType<typeof run>>) {
  const names = ['x', 'siluC', 'adaW', 'adaB', 'qkvW', 'qkvB', 'projW', 'projB', 'mlpInW', 'mlpInB', 'mlpOutW', 'mlpOutB'];
  const bound = (values: Float32Array) => TOLERANCE * Math.max(1, ...Array.from(values, Math.abs));
  expect(maxAbsDiff(fast.output, reference.output), 'output').toBeLessThan(bound(reference.output));
  reference.gradients.forEach((expected, i) => {
    expect(Math.max(...Array.from(expected, Math.abs)), `${names[i]}: the reference gradient is not zero`).toBeGreaterThan(0);
    expect(maxAbsDiff(fast.gradients[i], expected), `d${names[i]}`).toBeLessThan(bound(expected));
  });
  expect(fast.leaked, 'tensors left behind by the fast block').toBe(0);
}

describe.each(backends)('the fast block against the reference block on %s', (backend) => {
  const makeBlock = async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    const block = new DiTBlock(0, hiddenSize, numHeads, `reference-test-${backend}-${Math.random()}/`);
    // Non-zero adaLN weights (a fresh block's are zero), so the gates and modulation carry gradient.
    randomizeWeights({ namedVariables: () => Object.values(block.weights()).map((variable) => ({ name: '', variable: variable as tf.Variable })) }, 5);
    return block;
  };
  const dispose = (block: DiTBlock) => tf.dispose(Object.values(block.weights()));

  it('gives the same output and gradients on the path this backend takes', async () => {
    const block = await makeBlock();
    expectClose(await run(block, 'fast'), await run(block, 'reference'));
    dispose(block);
  });

  it('and with gradient checkpointing (the backward pass recomputes the block)', async () => {
    const block = await makeBlock();
    expectClose(await run(block, 'fast', true), await run(block, 'reference'));
    dispose(block);
  });

  it("and in the native backends' form: transpose flags, batched heads, no fused kernels", async () => {
    const block = await makeBlock();
    setPlainProductsOnly(false);
    setFusedKernelsEnabled(false);
    expectClose(await run(block, 'fast'), await run(block, 'reference'));
    dispose(block);
  });

  it('runs the kernels registered for its backend in place of the defaults', async () => {
    const block = await makeBlock();
    const calls: string[] = [];
    registerBlockKernels(backend, {
      gelu: (x) => (calls.push('gelu'), DEFAULT_BLOCK_KERNELS.gelu(x)),
      attention: (qkv, rope, layout) => (calls.push('attention'), DEFAULT_BLOCK_KERNELS.attention(qkv, rope, layout)),
      attentionBackward: (...args) => (calls.push('attentionBackward'), DEFAULT_BLOCK_KERNELS.attentionBackward(...args)),
    });
    try {
      expectClose(await run(block, 'fast'), await run(block, 'reference'));
      expect(new Set(calls)).toEqual(new Set(['gelu', 'attention', 'attentionBackward']));
    } finally {
      clearBlockKernels(backend);
    }
    dispose(block);
  });
});
