import * as tf from '@tensorflow/tfjs-core';
import { readAllTensors, tensorFromData } from '@dit/core';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { sample, type VelocityFn } from './index.js';

// Expected runs come from tools/reference/samplers_fixture.py (PyTorch, float64 from float32 weights).
const fixturePath = fileURLToPath(new URL('../fixtures/samplers-reference.safetensors', import.meta.url));
const tolerance = 1e-4;

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

/** The fixture's field: tanh(x W_in + mean_L(text) W_text + t w_time + b_in) W_out + b_out - x/2. */
const fixtureVelocity: VelocityFn = (x, t, text) =>
  tf.tidy(() => {
    const flat = tf.reshape(x, [x.shape[0], -1]);
    const preActivation = tf.addN([
      tf.matMul(flat, get('weight.w_in') as tf.Tensor2D),
      tf.matMul(tf.mean(text, 1) as tf.Tensor2D, get('weight.w_text') as tf.Tensor2D),
      tf.mul(tf.reshape(t, [-1, 1]), get('weight.w_time')),
    ]);
    const hidden = tf.tanh(tf.add(preActivation, get('weight.b_in'))) as tf.Tensor2D;
    const out = tf.sub(tf.add(tf.matMul(hidden, get('weight.w_out') as tf.Tensor2D), get('weight.b_out')), tf.mul(flat, 0.5));
    return tf.reshape(out, x.shape);
  });

async function maxAbsError(actual: tf.Tensor, expected: tf.Tensor): Promise<number> {
  expect(actual.shape).toEqual(expected.shape);
  const error = tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))));
  const [value] = await error.data();
  tf.dispose([actual, error]);
  return value;
}

describe('sampling matches the PyTorch reference loop', () => {
  it('the velocity field itself', async () => {
    const t = tf.tensor1d([0, 0.6]);
    expect(await maxAbsError(fixtureVelocity(get('input.noise'), t, get('input.cond')), get('expected.velocity_probe'))).toBeLessThan(1e-5);
    t.dispose();
  });

  it('Euler, 30 steps, CFG 3 (batched)', async () => {
    const x = await sample({ velocity: fixtureVelocity, noise: get('input.noise'), cond: get('input.cond'), steps: 30, sampler: 'euler', guidanceScale: 3 });
    const error = await maxAbsError(x, get('expected.euler_30_cfg3'));
    console.info(`parity euler 30 steps cfg 3: max abs error ${error.toExponential(2)}`);
    expect(error).toBeLessThan(tolerance);
  });

  it('RK4, 50 steps, CFG 1.5 (batched)', async () => {
    const x = await sample({ velocity: fixtureVelocity, noise: get('input.noise'), cond: get('input.cond'), steps: 50, sampler: 'rk4', guidanceScale: 1.5 });
    const error = await maxAbsError(x, get('expected.rk4_50_cfg1.5'));
    console.info(`parity rk4 50 steps cfg 1.5: max abs error ${error.toExponential(2)}`);
    expect(error).toBeLessThan(tolerance);
  });

  it('RK4, 20 shifted steps, CFG 4 against a negative prompt (separate passes)', async () => {
    const x = await sample({
      velocity: fixtureVelocity,
      noise: get('input.noise'),
      cond: get('input.cond'),
      uncond: get('input.negative'),
      steps: 20,
      shift: 3,
      sampler: 'rk4',
      guidanceScale: 4,
      cfgMode: 'separate',
    });
    const error = await maxAbsError(x, get('expected.rk4_20_cfg4_shift3_negative'));
    console.info(`parity rk4 20 shifted steps cfg 4 negative: max abs error ${error.toExponential(2)}`);
    expect(error).toBeLessThan(tolerance);
  });
});
