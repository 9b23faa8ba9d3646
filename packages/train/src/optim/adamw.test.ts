import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { clipGradNorm } from '../clip.js';
import { Ema } from '../ema.js';
import { maxAbsDiff, readFixtureTensors, variablesFrom } from '../test-support/fixtures.js';
import { AdamW } from './adamw.js';

const NAMES = ['weight', 'bias'];

describe('AdamW, clipping and EMA against PyTorch (fixtures/optim.safetensors)', async () => {
  const { tensors, metadata } = await readFixtureTensors('optim.safetensors');
  const lrs = JSON.parse(metadata.lrs) as number[];
  const norms = JSON.parse(metadata.norms) as number[];
  const weightDecay = Number(metadata.weight_decay);
  const emaDecay = Number(metadata.ema_decay);
  const t = (name: string) => tensors.get(name)!;

  it('reproduces clip_grad_norm_, AdamW and AveragedModel step by step', async () => {
    const before = tf.memory().numTensors;
    const params = variablesFrom(NAMES.map((n) => [n, t(`init.${n}`)]));
    const optimizer = new AdamW(params, { weightDecay });
    const ema = new Ema(params, { decay: emaDecay });
    let worstParam = 0;
    let worstEma = 0;
    for (let k = 0; k < lrs.length; k++) {
      const grads = new Map(NAMES.map((n) => [n, tf.tensor(t(`grad.${k}.${n}`).data, t(`grad.${k}.${n}`).shape)]));
      const { totalNorm } = await clipGradNorm(grads, { maxNorm: 1 });
      expect(totalNorm).toBeCloseTo(norms[k], 5);
      for (const n of NAMES) expect(maxAbsDiff(await grads.get(n)!.data(), t(`clipped.${k}.${n}`).data)).toBeLessThan(1e-6);
      optimizer.apply(grads, lrs[k]);
      ema.update();
      tf.dispose([...grads.values()]);
      for (const n of NAMES) {
        worstParam = Math.max(worstParam, maxAbsDiff(await params.get(n)!.data(), t(`param.${k}.${n}`).data));
        worstEma = Math.max(worstEma, maxAbsDiff(await ema.weights.get(n)!.data(), t(`ema.${k}.${n}`).data));
      }
    }
    expect(worstParam).toBeLessThan(2e-6);
    expect(worstEma).toBeLessThan(2e-6);
    const snapshot = await optimizer.snapshot();
    expect(maxAbsDiff(snapshot.tensors['weight.exp_avg'].data, t('exp_avg.weight').data)).toBeLessThan(1e-7);
    expect(maxAbsDiff(snapshot.tensors['weight.exp_avg_sq'].data, t('exp_avg_sq.weight').data)).toBeLessThan(1e-9);
    expect(snapshot.meta.steps).toEqual({ weight: lrs.length, bias: lrs.length });
    optimizer.dispose();
    ema.dispose();
    tf.dispose([...params.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('restores a snapshot and continues identically', async () => {
    const run = (optimizer: AdamW, params: Map<string, tf.Variable>, from: number, to: number) => {
      for (let k = from; k < to; k++) {
        const grads = new Map(NAMES.map((n) => [n, tf.tensor(t(`clipped.${k}.${n}`).data, t(`clipped.${k}.${n}`).shape)]));
        optimizer.apply(grads, lrs[k]);
        tf.dispose([...grads.values()]);
      }
    };
    const a = variablesFrom(NAMES.map((n) => [n, t(`init.${n}`)]));
    const optA = new AdamW(a, { weightDecay });
    run(optA, a, 0, 3);
    const saved = await optA.snapshot();
    const aValues = await Promise.all(NAMES.map((n) => a.get(n)!.data()));
    const b = variablesFrom(NAMES.map((n, i) => [n, { name: n, dtype: 'F32', shape: a.get(n)!.shape, data: aValues[i] as Float32Array }]));
    const optB = new AdamW(b, { weightDecay });
    const asData = new Map(Object.entries(saved.tensors).map(([k, v]) => [k, { name: k, dtype: 'F32' as const, shape: [...v.shape], data: v.data as Float32Array }]));
    optB.restore(asData, saved.meta);
    run(optA, a, 3, 6);
    run(optB, b, 3, 6);
    for (const n of NAMES) expect(await b.get(n)!.data()).toEqual(await a.get(n)!.data());
    for (const n of NAMES) expect(maxAbsDiff(await b.get(n)!.data(), t(`param.5.${n}`).data)).toBeLessThan(2e-6);
    optA.dispose();
    optB.dispose();
    tf.dispose([...a.values(), ...b.values()]);
  });

  it('names the field at fault', () => {
    const params = variablesFrom([['weight', t('init.weight')]]);
    expect(() => new AdamW(params, { betas: [1, 0.999] })).toThrow(/betas\[0\]/);
    expect(() => new AdamW(params, { eps: 0 })).toThrow(/eps/);
    const optimizer = new AdamW(params);
    expect(() => optimizer.apply(new Map([['weight', tf.zeros([2])]]), 1e-3)).toThrow(/weight.*shape/);
    expect(() => optimizer.apply(new Map(), Number.NaN)).toThrow(/lr/);
    tf.dispose([...params.values()]);
  });
});
