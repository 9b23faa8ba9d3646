import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SingleStreamDiTV2 } from './model.js';
import { presets } from './presets.js';
import { maxAbsDiff, randomInputs, randomizeWeights } from './internals/test-helpers.js';

const config = { ...presets.tiny, depth: 4 };

async function step(model: SingleStreamDiTV2, inputs: ReturnType<typeof randomInputs>) {
  const { x, t, text } = inputs;
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  let gradients: Float32Array[] = [];
  const profile = await tf.profile(() => {
    const result = model.valueAndGradients(() => tf.mean(tf.square(model.forward(x, t, text))) as tf.Scalar);
    gradients = result.gradients.map((g) => g.dataSync() as Float32Array);
    tf.dispose([result.value, ...result.gradients]);
  });
  return { gradients, peakBytes: profile.peakBytes };
}

describe('gradient checkpointing', () => {
  it('gives the same gradients with a lower peak', async () => {
    const model = new SingleStreamDiTV2({ ...config, seed: 1 });
    randomizeWeights(model, 5);
    const inputs = randomInputs(config, 2, 16, 16);
    const plain = await step(model, inputs);
    model.gradientCheckpointing = true;
    const checkpointed = await step(model, inputs);
    for (const [i, grad] of plain.gradients.entries()) {
      expect(maxAbsDiff(checkpointed.gradients[i], grad), model.namedVariables()[i].name).toBeLessThanOrEqual(1e-5);
    }
    // Depth 4: every block keeps 13 [B*N, D] activations without checkpointing, 1 with.
    expect(checkpointed.peakBytes).toBeLessThan(0.85 * plain.peakBytes);
    tf.dispose(Object.values(inputs));
    model.dispose();
  });
});
