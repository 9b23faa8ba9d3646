import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SingleStreamDiTV2 } from './model.js';
import { fixturePath, maxAbsDiff, readFixture, toTensor } from './internals/test-helpers.js';

// Fixtures from tools/reference/model_fixtures.py (PyTorch reference of SPEC section 2).
describe('parity with the PyTorch reference', () => {
  it('gives the same velocities for non-square latents, batch 2 and 3, several t (max abs error <= 1e-4)', async () => {
    const model = await SingleStreamDiTV2.fromPretrained(fixturePath('parity'));
    const io = await readFixture('parity-io.safetensors');
    for (const key of ['a', 'b']) {
      const [x, t, text] = [`${key}.x`, `${key}.t`, `${key}.text`].map((name) => toTensor(io.get(name)));
      const v = model.forward(x as tf.Tensor4D, t as tf.Tensor1D, text as tf.Tensor3D);
      const expected = io.get(`${key}.v`)!;
      expect(v.shape).toEqual(expected.shape);
      expect(maxAbsDiff(await v.data(), expected.data)).toBeLessThanOrEqual(1e-4);
      tf.dispose([x, t, text, v]);
    }
    model.dispose();
  });

  it('gives the same gradients of a weighted sum of the velocity', async () => {
    const model = await SingleStreamDiTV2.fromPretrained(fixturePath('parity'));
    const io = await readFixture('parity-io.safetensors');
    const [x, t, text, weights] = ['a.x', 'a.t', 'a.text', 'a.loss_weights'].map((name) => toTensor(io.get(name)));
    const byName = new Map(model.namedVariables().map((entry) => [entry.name, entry]));
    const loss = (input: tf.Tensor) => tf.sum(tf.mul(model.forward(input as tf.Tensor4D, t as tf.Tensor1D, text as tf.Tensor3D), weights)) as tf.Scalar;
    const { grads } = tf.variableGrads(() => loss(x));
    const dx = tf.grad(loss)(x);
    expect(maxAbsDiff(await dx.data(), io.get('a.grad.x')!.data)).toBeLessThanOrEqual(1e-4);
    const names = [...io.keys()].filter((k) => k.startsWith('a.grad.') && k !== 'a.grad.x').map((k) => k.slice('a.grad.'.length));
    expect(names.length).toBeGreaterThan(8);
    for (const name of names) {
      const entry = byName.get(name)!;
      const grad = grads[entry.variable.name];
      const inTorchLayout = entry.transposed ? tf.transpose(grad) : grad;
      const expected = io.get(`a.grad.${name}`)!;
      const scale = Math.max(1, ...Array.from(expected.data, Math.abs));
      expect(maxAbsDiff(await inTorchLayout.data(), expected.data) / scale, name).toBeLessThanOrEqual(1e-4);
      if (inTorchLayout !== grad) inTorchLayout.dispose();
    }
    tf.dispose([x, t, text, weights, dx, ...Object.values(grads)]);
    model.dispose();
  });

  for (const tag of ['bf16', 'f16'] as const) {
    it(`loads weights stored as ${tag.toUpperCase()}`, async () => {
      const model = await SingleStreamDiTV2.fromPretrained(fixturePath('half/config.json').replace(/config\.json$/, `model-${tag}.safetensors`));
      const io = await readFixture('half-io.safetensors');
      const [x, t, text] = ['x', 't', 'text'].map((name) => toTensor(io.get(name)));
      const v = model.forward(x as tf.Tensor4D, t as tf.Tensor1D, text as tf.Tensor3D);
      expect(maxAbsDiff(await v.data(), io.get(`v.${tag}`)!.data)).toBeLessThanOrEqual(1e-4);
      tf.dispose([x, t, text, v]);
      model.dispose();
    });
  }
});
