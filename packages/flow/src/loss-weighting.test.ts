import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { timestepLossWeight } from './index.js';

describe('timestepLossWeight', () => {
  const t = () => tf.tensor1d([0, 0.5, 0.75, 1]);

  it('cosmap is 2 / (pi (1 - 2 sigma + 2 sigma^2)) with sigma = 1 - t', () => {
    const times = t();
    const weights = timestepLossWeight({ t: times, scheme: 'cosmap' }).arraySync() as number[];
    [0, 0.5, 0.75, 1].forEach((time, i) => {
      const sigma = 1 - time;
      expect(weights[i]).toBeCloseTo(2 / (Math.PI * (1 - 2 * sigma + 2 * sigma * sigma)), 5);
    });
    times.dispose();
  });

  it('sigma-sqrt is sigma^-2, floored at minSigma near data', () => {
    const times = t();
    const weights = timestepLossWeight({ t: times, scheme: 'sigma-sqrt', minSigma: 0.01 }).arraySync() as number[];
    expect(weights[0]).toBeCloseTo(1, 6);
    expect(weights[2]).toBeCloseTo(16, 4);
    expect(weights[3]).toBeCloseTo(1e4, 0);
    times.dispose();
  });

  it('none gives ones, and bad input names the field', () => {
    const times = t();
    expect(timestepLossWeight({ t: times }).arraySync()).toEqual([1, 1, 1, 1]);
    const matrix = tf.zeros([2, 2]);
    expect(() => timestepLossWeight({ t: matrix })).toThrow(/t must have shape \[B\], got \[2, 2\]/);
    expect(() => timestepLossWeight({ t: times, scheme: 'snr' as never })).toThrow(/scheme must be/);
    tf.dispose([times, matrix]);
  });
});
