import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import { describe, expect, it } from 'vitest';
import { dropText } from './index.js';

describe('dropText', () => {
  it('zeroes exactly the samples it reports as dropped', () => {
    const text = tf.add(tf.randomNormal([16, 3, 4], 0, 1, 'float32', 1), 5);
    const { text: result, dropped } = dropText({ text, probability: 0.5, rng: 11 });
    const rows = result.arraySync() as number[][][];
    const original = text.arraySync() as number[][][];
    expect(dropped).toHaveLength(16);
    expect(dropped.some(Boolean)).toBe(true);
    expect(dropped.every(Boolean)).toBe(false);
    rows.forEach((row, b) => expect(row).toEqual(dropped[b] ? original[b].map((r) => r.map(() => 0)) : original[b]));
    tf.dispose([text, result]);
  });

  it('drops about probability p of the samples', () => {
    const text = tf.ones([2000, 1]);
    const { text: result, dropped } = dropText({ text, probability: 0.25, rng: 3 });
    const rate = dropped.filter(Boolean).length / dropped.length;
    // binomial standard deviation sqrt(0.25 * 0.75 / 2000) = 0.0097
    expect(Math.abs(rate - 0.25)).toBeLessThan(0.03);
    tf.dispose([text, result]);
  });

  it('is seeded, and p = 0 or 1 drop none or all', () => {
    const text = tf.ones([8, 2]);
    const draws = [dropText({ text, probability: 0.5, rng: 5 }), dropText({ text, probability: 0.5, rng: 5 })];
    expect(draws[0].dropped).toEqual(draws[1].dropped);
    const rng = new Rng(5);
    const streamed = [dropText({ text, probability: 0.5, rng }), dropText({ text, probability: 0.5, rng })];
    expect(streamed[0].dropped).not.toEqual(streamed[1].dropped);
    const none = dropText({ text, probability: 0, rng: 1 });
    const all = dropText({ text, probability: 1, rng: 1 });
    expect(none.dropped.some(Boolean)).toBe(false);
    expect(all.dropped.every(Boolean)).toBe(true);
    expect(all.text.sum().dataSync()[0]).toBe(0);
    tf.dispose([text, ...draws.map((d) => d.text), ...streamed.map((d) => d.text), none.text, all.text]);
  });

  it('rejects a probability outside [0, 1] and leaves only its result', () => {
    const text = tf.ones([2, 2]);
    expect(() => dropText({ text, probability: 1.5, rng: 1 })).toThrow(/probability must lie in \[0, 1\], got 1.5/);
    const before = tf.memory().numTensors;
    const { text: result } = dropText({ text, probability: 0.5, rng: 1 });
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([text, result]);
  });
});
