import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { flowLoss, huberLoss, l1Loss, mseLoss, type FlowLossOptions } from './index.js';

// Values checked against PyTorch in reference-parity.test.ts; this file covers behaviour.
describe('losses', () => {
  it('give hand-computed values', () => {
    const prediction = tf.tensor2d([[0, 2], [1, -3]]);
    const target = tf.tensor2d([[1, 2], [1, 0]]);
    // differences: -1, 0, 0, -3
    expect(mseLoss({ prediction, target }).dataSync()[0]).toBeCloseTo(10 / 4, 6);
    expect(l1Loss({ prediction, target, reduction: 'sum' }).dataSync()[0]).toBeCloseTo(4, 6);
    // delta 2: |d| = 1 -> 0.5; |d| = 3 -> 2 (3 - 1) = 4
    expect(huberLoss({ prediction, target, delta: 2, reduction: 'per-sample' }).arraySync()).toEqual([0.25, 2]);
    tf.dispose([prediction, target]);
  });

  it('Huber has the gradient clip(d, -delta, delta) / n', () => {
    const target = tf.zeros([4]);
    const prediction = tf.tensor1d([-2, -0.3, 0.4, 5]);
    const gradient = tf.grad((p: tf.Tensor) => huberLoss({ prediction: p, target, delta: 0.5 }))(prediction);
    const expected = [-0.5, -0.3, 0.4, 0.5].map((g) => g / 4);
    (gradient.arraySync() as number[]).forEach((g, i) => expect(g).toBeCloseTo(expected[i], 6));
    tf.dispose([target, prediction, gradient]);
  });

  it('weights scale each sample', () => {
    const prediction = tf.tensor2d([[1, 1], [2, 2]]);
    const target = tf.zerosLike(prediction);
    const weight = tf.tensor1d([3, 0]);
    expect(mseLoss({ prediction, target, weight, reduction: 'per-sample' }).arraySync()).toEqual([3, 0]);
    expect(mseLoss({ prediction, target, weight }).dataSync()[0]).toBeCloseTo(1.5, 6);
    tf.dispose([prediction, target, weight]);
  });

  it('reject bad shapes, options and kinds by name', () => {
    const prediction = tf.zeros([2, 3]);
    const target = tf.zeros([2, 4]);
    const weight = tf.zeros([3]);
    expect(() => mseLoss({ prediction, target })).toThrow(/mseLoss: prediction \[2, 3\] and target \[2, 4\]/);
    expect(() => l1Loss({ prediction, target: prediction, weight })).toThrow(/weight must have shape \[B\] = \[2\], got \[3\]/);
    expect(() => huberLoss({ prediction, target: prediction, delta: 0 })).toThrow(/delta must be a positive number/);
    expect(() => flowLoss({ kind: 'l2', prediction, target: prediction } as unknown as FlowLossOptions)).toThrow(/kind must be/);
    expect(() => mseLoss({ prediction, target: prediction, reduction: 'avg' as never })).toThrow(/reduction must be/);
    tf.dispose([prediction, target, weight]);
  });

  it('leave only the result', () => {
    const prediction = tf.randomNormal([2, 3, 4]);
    const target = tf.randomNormal([2, 3, 4]);
    const before = tf.memory().numTensors;
    const loss = flowLoss({ kind: 'huber', prediction, target, weight: tf.tidy(() => tf.ones([2])) });
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([prediction, target, loss]);
  });
});
