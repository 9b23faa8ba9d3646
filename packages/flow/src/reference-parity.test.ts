import * as tf from '@tensorflow/tfjs-core';
import { readAllTensors, tensorFromData } from '@dit/core';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { flowLoss, interpolate, predictClean, predictNoise, velocityTarget, type LossKind, type LossReduction } from './index.js';

// Expected values come from tools/reference/flow_fixture.py (PyTorch, float64 from float32 inputs).
const fixturePath = fileURLToPath(new URL('../fixtures/flow-reference.safetensors', import.meta.url));
// float32 against float64: 1e-5 relative to the larger of 1 and the expected magnitude (sums reach ~100).
const tolerance = 1e-5;

let fixture: Map<string, tf.Tensor>;
beforeAll(async () => {
  const { tensors } = await readAllTensors(fixturePath);
  fixture = new Map([...tensors].map(([name, data]) => [name, tensorFromData(data)]));
  return () => fixture.forEach((tensor) => tensor.dispose());
});

function get(name: string): tf.Tensor {
  const tensor = fixture.get(name);
  if (!tensor) throw new Error(`fixture has no tensor ${name}`);
  return tensor;
}

/** Max abs error divided by max(1, max |expected|). */
async function scaledMaxError(actual: tf.Tensor, expected: tf.Tensor): Promise<number> {
  expect(actual.shape).toEqual(expected.shape);
  const error = tf.tidy(() => actual.sub(expected).abs().max().div(expected.abs().max().maximum(1)));
  const [value] = await error.data();
  tf.dispose([actual, error]);
  return value;
}

describe('path functions match the PyTorch reference', () => {
  it('interpolate, velocityTarget, predictClean, predictNoise', async () => {
    const [x0, x1, t, v] = ['x0', 'x1', 't', 'velocity'].map((k) => get(`input.${k}`));
    expect(await scaledMaxError(interpolate(x0, x1, t), get('expected.xt'))).toBeLessThan(tolerance);
    expect(await scaledMaxError(velocityTarget(x0, x1), get('expected.target'))).toBeLessThan(tolerance);
    expect(await scaledMaxError(predictClean(get('expected.xt'), t, v), get('expected.clean'))).toBeLessThan(tolerance);
    expect(await scaledMaxError(predictNoise(get('expected.xt'), t, v), get('expected.noise'))).toBeLessThan(tolerance);
  });
});

describe('losses match F.mse_loss, F.l1_loss, F.huber_loss', () => {
  const cases: Array<{ name: string; kind: LossKind; delta?: number }> = [
    { name: 'mse', kind: 'mse' },
    { name: 'l1', kind: 'l1' },
    { name: 'huber', kind: 'huber' },
    { name: 'huber_delta0.5', kind: 'huber', delta: 0.5 },
  ];
  const reductions: LossReduction[] = ['mean', 'sum', 'none', 'per-sample'];
  for (const { name, kind, delta } of cases) {
    it(`${name}: every reduction, with and without per-sample weights`, async () => {
      const prediction = get('input.velocity');
      const target = get('expected.target');
      for (const reduction of reductions) {
        const plain = flowLoss({ kind, prediction, target, delta, reduction });
        expect(await scaledMaxError(plain, get(`expected.${name}.${reduction}`)), `${name} ${reduction}`).toBeLessThan(tolerance);
      }
      for (const reduction of ['mean', 'sum', 'per-sample'] as const) {
        const weighted = flowLoss({ kind, prediction, target, delta, reduction, weight: get('input.weight') });
        expect(await scaledMaxError(weighted, get(`expected.${name}.weighted.${reduction}`)), `${name} weighted ${reduction}`).toBeLessThan(tolerance);
      }
    });
  }
});
