import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { guidedVelocity, type VelocityFn } from './index.js';

// v(x, t, text) = text's first feature per sample, so v_c and v_u are the texts themselves.
const textAsVelocity: VelocityFn = (x, _t, text) => tf.add(tf.zerosLike(x), tf.reshape(text, [text.shape[0], 1]));

describe('guidedVelocity', () => {
  const x = () => tf.zeros([2, 3]);
  const cond = () => tf.tensor2d([[2], [4]]);
  const uncond = () => tf.tensor2d([[1], [-1]]);

  for (const cfgMode of ['batched', 'separate'] as const) {
    it(`${cfgMode}: v = v_u + w (v_c - v_u), for w = 0, 1 and 3`, () => {
      const [state, c, u] = [x(), cond(), uncond()];
      for (const [w, expected] of [[0, [1, -1]], [1, [2, 4]], [3, [4, 14]]] as const) {
        const guidance = guidedVelocity({ velocity: textAsVelocity, cond: c, uncond: u, guidanceScale: w, cfgMode, batchSize: 2 });
        const v = tf.tidy(() => guidance.velocity(state, 0.5));
        expect((v.arraySync() as number[][]).map((row) => row[0])).toEqual(expected);
        tf.dispose(v);
        guidance.dispose();
      }
      tf.dispose([state, c, u]);
    });
  }

  it('frees the tensors it made and none of the caller', () => {
    const [state, c] = [x(), cond()];
    const before = tf.memory().numTensors;
    const guidance = guidedVelocity({ velocity: textAsVelocity, cond: tf.tidy(() => tf.slice(c, [0, 0], [1, 1])), guidanceScale: 2, batchSize: 2 });
    tf.dispose(tf.tidy(() => guidance.velocity(state, 0.1)));
    guidance.dispose();
    // the sliced cond (made by this test) is the one tensor left
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(c.isDisposed).toBe(false);
    tf.dispose([state, c]);
  });

  it('rejects x of another batch than it was set up for', () => {
    const [state, c] = [x(), tf.tensor2d([[2]])];
    const guidance = guidedVelocity({ velocity: textAsVelocity, cond: c, batchSize: 1 });
    expect(() => guidance.velocity(state, 0)).toThrow(/x has batch 2, but guidance was set up for batch 1/);
    guidance.dispose();
    tf.dispose([state, c]);
  });
});
