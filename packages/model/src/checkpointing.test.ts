import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SingleStreamDiTV2 } from './model.js';
import { presets } from './presets.js';
import { maxAbsDiff, randomInputs, randomizeWeights } from './internals/test-helpers.js';

const config = { ...presets.tiny, depth: 4 };

async function step(model: SingleStreamDiTV2, inputs: ReturnType<typeof randomInputs>) {
  const { x, t, text } = inputs;
  // The profiler would read every kernel's output; the flag is global, so it is put back.
  const checks = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  let gradients: Float32Array[] = [];
  try {
    const profile = await tf.profile(async () => {
      const result = model.valueAndGradients(() => tf.mean(tf.square(model.forward(x, t, text))) as tf.Scalar);
      // await, not dataSync: webgpu under Node has no synchronous read.
      gradients = await Promise.all(result.gradients.map(async (gradient) => (await gradient.data()) as Float32Array));
      tf.dispose([result.value, ...result.gradients]);
    });
    return { gradients, peakBytes: profile.peakBytes };
  } finally {
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', checks);
  }
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

  it('leaves the global CHECK_COMPUTATION_FOR_ERRORS flag as it found it', async () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, depth: 1, seed: 2 });
    const inputs = randomInputs(presets.tiny, 1, 4, 4);
    const initial = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
    for (const value of [true, false]) {
      tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', value);
      await step(model, inputs);
      expect(tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS')).toBe(value);
    }
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', initial);
    tf.dispose(Object.values(inputs));
    model.dispose();
  });
});
