import * as tf from '@tensorflow/tfjs-core';
import { Rng, type TensorData } from '@dit/core';
import { describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { AdamW8bit } from './adamw-8bit.js';
import type { Optimizer, OptimizerSnapshot } from './optimizer.js';

function makeParams(tag: string): Map<string, tf.Variable> {
  const rng = new Rng('adamw-8bit-params');
  return new Map(
    (
      [
        ['weight', [64, 128], 0.5],
        ['bias', [128], 0.1],
      ] as const
    ).map(([name, shape, std]) => {
      const initial = rng.normalTensor([...shape], 0, std);
      const variable = tf.variable(initial, true, `${tag}/${name}`);
      initial.dispose();
      return [name, variable];
    }),
  );
}

/** Gradients of 0.5 ||w - target||^2 plus noise: a problem both optimisers should solve alike. */
function gradients(params: Map<string, tf.Variable>, rng: Rng): Map<string, tf.Tensor> {
  return new Map(
    [...params].map(([name, p]) => [name, tf.tidy(() => p.sub(0.25).add(rng.normalTensor(p.shape, 0, 0.05)))]),
  );
}

async function run(optimizer: Optimizer, params: Map<string, tf.Variable>, steps: number, rng: Rng): Promise<void> {
  for (let k = 0; k < steps; k++) {
    const grads = gradients(params, rng);
    await optimizer.apply(grads, 1e-2);
    tf.dispose([...grads.values()]);
  }
}

function asTensorData(snapshot: OptimizerSnapshot): Map<string, TensorData> {
  return new Map(
    Object.entries(snapshot.tensors).map(([name, t]) => [
      name,
      { name, dtype: t.data instanceof Int32Array ? 'I32' : 'F32', shape: [...t.shape], data: t.data as Float32Array | Int32Array },
    ]),
  );
}

describe('AdamW8bit', () => {
  it('tracks float32 AdamW closely and stores about 2 bytes a weight', async () => {
    const before = tf.memory().numTensors;
    const exact = makeParams('exact');
    const quantised = makeParams('quantised');
    const initial = exact.get('weight')!.dataSync().slice();
    const adam = new AdamW(exact, { weightDecay: 0.01 });
    const adam8 = new AdamW8bit(quantised, { weightDecay: 0.01 });
    await run(adam, exact, 60, new Rng('grads'));
    await run(adam8, quantised, 60, new Rng('grads'));
    const a = exact.get('weight')!.dataSync();
    const b = quantised.get('weight')!.dataSync();
    // Compare the distance each moved: relative error of the displacement and its direction.
    let diff = 0;
    let norm = 0;
    let dot = 0;
    let normB = 0;
    for (let i = 0; i < a.length; i++) {
      const da = a[i] - initial[i];
      const db = b[i] - initial[i];
      diff += (da - db) ** 2;
      norm += da * da;
      normB += db * db;
      dot += da * db;
    }
    const relative = Math.sqrt(diff / norm);
    const cosine = dot / Math.sqrt(norm * normB);
    expect(relative).toBeLessThan(0.05);
    expect(cosine).toBeGreaterThan(0.999);
    // The 128-element bias is under min8bitSize: float32 moments, so it matches AdamW up to the decay order.
    const biasDiff = Math.max(...exact.get('bias')!.dataSync().map((v, i) => Math.abs(v - quantised.get('bias')!.dataSync()[i])));
    expect(biasDiff).toBeLessThan(1e-4);
    const weights = 64 * 128;
    expect(adam8.stateBytes()).toBe(2 * weights + 2 * 4 * (weights / 256) + 2 * 4 * 128);
    expect(adam.stateBytes()).toBe(8 * (weights + 128));
    adam.dispose();
    adam8.dispose();
    tf.dispose([...exact.values(), ...quantised.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resumes exactly from a snapshot', async () => {
    const a = makeParams('resume-a');
    const optA = new AdamW8bit(a);
    const rngA = new Rng('resume');
    await run(optA, a, 5, rngA);
    const snapshot = await optA.snapshot();
    expect(snapshot.tensors['weight.state1'].data).toBeInstanceOf(Int32Array);
    const b = new Map([...a].map(([name, p]) => [name, tf.variable(p.clone(), true, `resume-b/${name}`)]));
    const optB = new AdamW8bit(b);
    optB.restore(asTensorData(snapshot), JSON.parse(JSON.stringify(snapshot.meta)));
    const rngB = Rng.fromState(rngA.getState());
    await run(optA, a, 5, rngA);
    await run(optB, b, 5, rngB);
    for (const name of a.keys()) expect(b.get(name)!.dataSync()).toEqual(a.get(name)!.dataSync());
    expect(() => new AdamW8bit(b, { blockSize: 2048 }).restore(asTensorData(snapshot), snapshot.meta)).toThrow(/blockSize/);
    tf.dispose([...a.values(), ...b.values()]);
  });

  it('names the field at fault', () => {
    const params = makeParams('fields');
    expect(() => new AdamW8bit(params, { blockSize: 0 })).toThrow(/blockSize/);
    expect(() => new AdamW8bit(params, { weightDecay: -1 })).toThrow(/weightDecay/);
    tf.dispose([...params.values()]);
  });
});
