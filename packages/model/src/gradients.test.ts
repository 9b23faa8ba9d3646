import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SingleStreamDiTV2 } from './model.js';
import { setFusedKernelsEnabled } from './internals/kernels/registry.js';
import { setPlainProductsOnly } from './internals/products.js';
import { maxAbsDiff, randomInputs, randomizeWeights } from './internals/test-helpers.js';

// hidden 16, 2 heads (head_dim 8): small enough for finite differences in float32.
const config = { inChannels: 4, patchSize: 2, hiddenSize: 16, depth: 2, numHeads: 2, textDim: 8, textLength: 3 };

describe('gradients', () => {
  it('match central finite differences for parameters of every kind', async () => {
    const model = new SingleStreamDiTV2({ ...config, seed: 1 });
    randomizeWeights(model, 11);
    const { x, t, text } = randomInputs(config, 2, 4, 6, 21);
    const weights = tf.randomNormal([2, 4, 4, 6], 0, 1, 'float32', 31);
    const loss = () => tf.tidy(() => tf.sum(tf.mul(model.forward(x, t, text), weights)) as tf.Scalar);
    const { value, gradients } = model.valueAndGradients(loss);
    value.dispose();
    const checked = new Set<string>();
    const named = model.namedVariables();
    for (const [i, { name, variable }] of named.entries()) {
      const kind = name.replace(/^blocks\.\d+\./, 'blocks.');
      const grad = (await gradients[i].data()) as Float32Array;
      const values = (await variable.data()) as Float32Array;
      // Two entries per parameter: the largest gradient and one fixed index.
      const largest = grad.reduce((best, g, j) => (Math.abs(g) > Math.abs(grad[best]) ? j : best), 0);
      for (const index of new Set([largest, Math.floor(values.length / 3)])) {
        const step = 1e-2;
        const at = async (delta: number) => {
          const changed = values.slice();
          changed[index] += delta;
          tf.tidy(() => variable.assign(tf.tensor(changed, variable.shape)));
          const l = loss();
          const result = (await l.data())[0];
          l.dispose();
          return result;
        };
        const numeric = ((await at(step)) - (await at(-step))) / (2 * step);
        tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
        expect(Math.abs(numeric - grad[index]), `${name}[${index}]: numeric ${numeric} vs analytic ${grad[index]}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
      }
      checked.add(kind);
    }
    expect([...checked].sort()).toEqual(
      ['blocks.adaLN_modulation.1.bias', 'blocks.adaLN_modulation.1.weight', 'blocks.mlp.0.bias', 'blocks.mlp.0.weight', 'blocks.mlp.2.bias', 'blocks.mlp.2.weight',
        'blocks.proj.bias', 'blocks.proj.weight', 'blocks.qkv.bias', 'blocks.qkv.weight', 'final_layer.bias', 'final_layer.weight', 't_embedder.0.bias',
        't_embedder.0.weight', 't_embedder.2.bias', 't_embedder.2.weight', 'text_embedder.bias', 'text_embedder.weight', 'x_embedder.bias', 'x_embedder.weight'].sort(),
    );
    tf.dispose([x, t, text, weights, ...gradients]);
    model.dispose();
  });

  it('flow into the inputs: x, t and text', async () => {
    const model = new SingleStreamDiTV2({ ...config, seed: 2 });
    randomizeWeights(model, 12);
    const { x, t, text } = randomInputs(config, 1, 4, 4, 22);
    const grads = tf.grads((xx, tt, cc) => tf.sum(tf.square(model.forward(xx as tf.Tensor4D, tt as tf.Tensor1D, cc as tf.Tensor3D))))([x, t, text]);
    for (const [i, grad] of grads.entries()) {
      expect(grad.shape).toEqual([x, t, text][i].shape);
      expect(Math.max(...Array.from(await grad.data(), Math.abs))).toBeGreaterThan(0);
    }
    tf.dispose([x, t, text, ...grads]);
    model.dispose();
  });

  it("are the same whether products transpose explicitly (wasm's path) or by matMul's flags (native and GPU backends)", async () => {
    const model = new SingleStreamDiTV2({ ...config, seed: 3 });
    randomizeWeights(model, 13);
    const { x, t, text } = randomInputs(config, 2, 4, 6, 23);
    const run = async (explicit: boolean) => {
      // A native backend has no fused layout kernels either: the flags path runs their tfjs-op fallbacks.
      setPlainProductsOnly(explicit);
      setFusedKernelsEnabled(explicit);
      const tensorsBefore = tf.memory().numTensors;
      const { value, gradients } = model.valueAndGradients(() => tf.tidy(() => tf.mean(tf.square(model.forward(x, t, text))) as tf.Scalar));
      const values = await Promise.all([value, ...gradients].map(async (g) => (await g.data()) as Float32Array));
      tf.dispose([value, ...gradients]);
      expect(tf.memory().numTensors, 'tensors left behind').toBe(tensorsBefore);
      return values;
    };
    try {
      const explicit = await run(true);
      const flags = await run(false);
      explicit.forEach((values, i) => expect(maxAbsDiff(values, flags[i]), `output ${i}`).toBeLessThan(1e-5));
    } finally {
      setPlainProductsOnly('auto');
      setFusedKernelsEnabled(true);
    }
    tf.dispose([x, t, text]);
    model.dispose();
  });
});
