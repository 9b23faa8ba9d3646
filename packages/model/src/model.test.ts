import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SingleStreamDiTV2 } from './model.js';
import { presets } from './presets.js';
import { randomInputs, randomizeWeights } from './internals/test-helpers.js';

describe('SingleStreamDiTV2', () => {
  it('takes the bucket shapes in any order and changes shape between calls', async () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, seed: 1 });
    randomizeWeights(model, 2);
    for (const [height, width] of [[8, 8], [6, 10], [10, 6]]) {
      const { x, t, text } = randomInputs(presets.tiny, 2, height, width);
      const v = model.forward(x, t, text);
      expect(v.shape).toEqual([2, 4, height, width]);
      expect(Array.from(await v.data()).every(Number.isFinite)).toBe(true);
      tf.dispose([x, t, text, v]);
    }
    model.dispose();
  });

  it('treats samples of a batch independently', async () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, seed: 1 });
    randomizeWeights(model, 3);
    const { x, t, text } = randomInputs(presets.tiny, 3, 4, 6);
    const together = model.forward(x, t, text);
    const alone = model.forward(tf.slice(x, [1], [1]) as tf.Tensor4D, tf.slice(t, [1], [1]) as tf.Tensor1D, tf.slice(text, [1], [1]) as tf.Tensor3D);
    const [a, b] = [await tf.slice(together, [1], [1]).data(), await alone.data()];
    expect(Math.max(...Array.from(a, (value, i) => Math.abs(value - b[i])))).toBeLessThan(1e-5);
    tf.dispose([x, t, text, together, alone]);
    model.dispose();
  });

  it('names the input and the expected shape when one is wrong', () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, seed: 1 });
    const { x, t, text } = randomInputs(presets.tiny, 2, 8, 8);
    const wrongChannels = tf.zeros([2, 3, 8, 8]) as tf.Tensor4D;
    const oddSize = tf.zeros([2, 4, 8, 7]) as tf.Tensor4D;
    const wrongT = tf.zeros([3]) as tf.Tensor1D;
    const wrongText = tf.zeros([2, 256, 48]) as tf.Tensor3D;
    expect(() => model.forward(wrongChannels, t, text)).toThrow('forward: x must be [B, 4, H, W] latents, found [2, 3, 8, 8]');
    expect(() => model.forward(oddSize, t, text)).toThrow(/8 x 7 must be positive multiples of patchSize 2/);
    expect(() => model.forward(x, wrongT, text)).toThrow('forward: t must be [2] (one time per sample of x), found [3]');
    expect(() => model.forward(x, t, wrongText)).toThrow('forward: text must be [2, 16, 48] ([B, textLength, textDim]), found [2, 256, 48]');
    tf.dispose([x, t, text, wrongChannels, oddSize, wrongT, wrongText]);
    model.dispose();
    expect(() => model.parameterCount()).toThrow(/disposed/);
  });

  it('leaks no tensor in forward, inside tf.tidy, or in a training step with and without checkpointing', () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, seed: 1 });
    randomizeWeights(model, 4);
    const { x, t, text } = randomInputs(presets.tiny, 2, 8, 12);
    const before = tf.memory().numTensors;
    model.forward(x, t, text).dispose();
    expect(tf.memory().numTensors).toBe(before);
    const sum = tf.tidy(() => tf.sum(model.forward(x, t, text)));
    expect(tf.memory().numTensors).toBe(before + 1);
    sum.dispose();
    for (const checkpointing of [false, true]) {
      model.gradientCheckpointing = checkpointing;
      const { value, gradients } = model.valueAndGradients(() => tf.mean(tf.square(model.forward(x, t, text))) as tf.Scalar);
      expect(gradients.length).toBe(model.trainableVariables.length);
      tf.dispose([value, ...gradients]);
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose([x, t, text]);
    model.dispose();
  });

  it('frees its variables on dispose', () => {
    const before = tf.memory().numTensors;
    const model = new SingleStreamDiTV2({ ...presets.tiny, seed: 1 });
    expect(tf.memory().numTensors).toBe(before + model.trainableVariables.length);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
