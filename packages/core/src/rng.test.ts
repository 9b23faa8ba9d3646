import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, toRng } from './rng.js';

describe('Rng', () => {
  it('reproduces the same sequence from the same seed, and differs for another seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
    expect(seqA.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('restores exactly from a saved state, including a cached normal', () => {
    const rng = new Rng('state');
    rng.normal();
    const state = JSON.parse(JSON.stringify(rng.getState()));
    const after = [rng.normal(), rng.next(), rng.int(10)];
    const again = Rng.fromState(state);
    expect([again.normal(), again.next(), again.int(10)]).toEqual(after);
  });

  it('draws normals with mean 0 and std 1 and uniforms in range', () => {
    const rng = new Rng(7);
    const n = 200_000;
    const xs = rng.normalArray(n);
    const mean = xs.reduce((s, v) => s + v, 0) / n;
    const variance = xs.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(Math.sqrt(variance) - 1)).toBeLessThan(0.01);
    const us = rng.uniformArray(n, -2, 3);
    expect(us.every((v) => v >= -2 && v < 3)).toBe(true);
    expect(Math.abs(us.reduce((s, v) => s + v, 0) / n - 0.5)).toBeLessThan(0.02);
  });

  it('shuffles into a permutation, seeded', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const s1 = new Rng(1).shuffle([...items]);
    const s2 = new Rng(1).shuffle([...items]);
    expect(s1).toEqual(s2);
    expect(s1).not.toEqual(items);
    expect([...s1].sort((a, b) => a - b)).toEqual(items);
  });

  it('forks independent, reproducible streams by label', () => {
    const root1 = new Rng(5);
    const root2 = new Rng(5);
    const noise = root1.fork('noise').next();
    expect(root2.fork('noise').next()).toBe(noise);
    expect(new Rng(5).fork('timesteps').next()).not.toBe(noise);
  });

  it('makes seeded tensors and accepts seeds or generators', async () => {
    const t = new Rng(3).normalTensor([2, 3]);
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(await t.data())).toEqual(Array.from(new Rng(3).normalArray(6)));
    t.dispose();
    const rng = new Rng(9);
    expect(toRng(rng)).toBe(rng);
    expect(toRng(9).next()).toBe(new Rng(9).next());
    expect(() => new Rng(Number.NaN)).toThrow(/finite/);
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
  });
});
