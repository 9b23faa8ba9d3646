import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { defineSampler, euler, getSampler, listSamplers, registerSampler, rk4, sample, unregisterSampler } from './index.js';

const forwardEuler = defineSampler({ name: 'test-forward-euler', order: 1, step: ({ x, t, h, velocity }) => tf.add(x, tf.mul(velocity(x, t), h)) });

afterEach(() => {
  unregisterSampler('test-forward-euler');
});

describe('sampler registry', () => {
  it('holds the built-ins by name', () => {
    expect(listSamplers().slice(0, 6)).toEqual(['euler', 'midpoint', 'heun', 'rk4', 'rk4-original', 'dpm-solver++2m']);
    expect(getSampler('rk4')).toBe(rk4);
  });

  it('makes a defined sampler available to sample() by name', async () => {
    registerSampler(forwardEuler);
    expect(listSamplers()).toContain('test-forward-euler');
    const noise = tf.tensor2d([[0.5, -1]]);
    const cond = tf.zeros([1, 1]);
    const velocity = (x: tf.Tensor, t: tf.Tensor1D) => tf.mul(x, tf.reshape(t, [-1, 1]));
    const byName = await sample({ velocity, noise, cond, sampler: 'test-forward-euler', steps: 5, guidanceScale: 1 });
    const builtIn = await sample({ velocity, noise, cond, sampler: euler, steps: 5, guidanceScale: 1 });
    expect(byName.arraySync()).toEqual(builtIn.arraySync());
    tf.dispose([noise, cond, byName, builtIn]);
  });

  it('refuses to overwrite a name unless asked', () => {
    registerSampler(forwardEuler);
    const other = defineSampler({ name: 'test-forward-euler', order: 1, step: ({ x }) => x });
    expect(() => registerSampler(other)).toThrow(/'test-forward-euler' is already registered; pass \{ replace: true \}/);
    registerSampler(other, { replace: true });
    expect(getSampler('test-forward-euler')).toBe(other);
    expect(unregisterSampler('test-forward-euler')).toBe(true);
    expect(() => getSampler('test-forward-euler')).toThrow(/unknown sampler 'test-forward-euler'/);
  });
});

describe('defineSampler', () => {
  it('returns a frozen sampler', () => {
    expect(Object.isFrozen(forwardEuler)).toBe(true);
    expect(forwardEuler.order).toBe(1);
  });

  it('names the field at fault', () => {
    const step = ({ x }: { x: tf.Tensor }) => x;
    expect(() => defineSampler({ name: '', order: 1, step })).toThrow(/name must be a non-empty string/);
    expect(() => defineSampler({ name: 'x', order: 0, step })).toThrow(/order of 'x' must be a positive number, got 0/);
    expect(() => defineSampler({ name: 'x', order: 2, step: 'no' as never })).toThrow(/step of 'x' must be a function/);
    expect(() => registerSampler({} as never)).toThrow(/expected a sampler from defineSampler/);
  });
});
