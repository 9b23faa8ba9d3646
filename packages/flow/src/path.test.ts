import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { interpolate, predictClean, predictNoise, velocityTarget } from './index.js';

const x0 = () => tf.tensor4d([1, -2, 3, 0.5, -1, 2, 0, 4], [2, 1, 2, 2]);
const x1 = () => tf.tensor4d([0, 1, -1, 2, 3, 3, -2, 1], [2, 1, 2, 2]);

describe('flow path', () => {
  it('is noise at t = 0 and data at t = 1, per sample', () => {
    const [noise, data] = [x0(), x1()];
    const t = tf.tensor1d([0, 1]);
    const xt = interpolate(noise, data, t);
    const values = xt.arraySync() as number[][][][];
    expect(values[0]).toEqual((noise.arraySync() as number[][][][])[0]);
    expect(values[1]).toEqual((data.arraySync() as number[][][][])[1]);
    tf.dispose([noise, data, t, xt]);
  });

  it('predictClean and predictNoise recover x1 and x0 from the exact velocity at any t', () => {
    const [noise, data] = [x0(), x1()];
    const t = tf.tensor1d([0.2, 0.85]);
    const xt = interpolate(noise, data, t);
    const v = velocityTarget(noise, data);
    const clean = predictClean(xt, t, v);
    const recoveredNoise = predictNoise(xt, t, v);
    expect(tf.max(tf.abs(clean.sub(data))).dataSync()[0]).toBeLessThan(1e-6);
    expect(tf.max(tf.abs(recoveredNoise.sub(noise))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([noise, data, t, xt, v, clean, recoveredNoise]);
  });

  it('accepts one number for the whole batch', () => {
    const [noise, data] = [x0(), x1()];
    const byNumber = interpolate(noise, data, 0.25);
    const t = tf.tensor1d([0.25, 0.25]);
    const byTensor = interpolate(noise, data, t);
    expect(byNumber.arraySync()).toEqual(byTensor.arraySync());
    tf.dispose([noise, data, byNumber, byTensor, t]);
  });

  it('names the field and shape at fault', () => {
    const [noise, data] = [x0(), x1()];
    const wrongT = tf.tensor1d([0.1, 0.2, 0.3]);
    const wrongX = tf.zeros([2, 1, 2, 3]);
    expect(() => interpolate(noise, data, wrongT)).toThrow(/t must have shape \[B\] = \[2\].*got \[3\]/);
    expect(() => interpolate(noise, wrongX, 0.5)).toThrow(/x0 \[2, 1, 2, 2\] and x1 \[2, 1, 2, 3\]/);
    expect(() => predictClean(noise, 0.5, wrongX)).toThrow(/xt .* and velocity/);
    tf.dispose([noise, data, wrongT, wrongX]);
  });

  it('leaves no tensors behind but its result', () => {
    const [noise, data] = [x0(), x1()];
    const t = tf.tensor1d([0.3, 0.6]);
    const before = tf.memory().numTensors;
    const results = [interpolate(noise, data, t), velocityTarget(noise, data), predictClean(noise, t, data), predictNoise(noise, t, data)];
    expect(tf.memory().numTensors).toBe(before + results.length);
    tf.dispose([noise, data, t, ...results]);
  });
});
