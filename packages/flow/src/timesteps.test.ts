import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import { describe, expect, it } from 'vitest';
import { sampleTimesteps, sampleTimestepValues, shiftTime, type TimestepDistribution } from './index.js';

const sampleCount = 4000;
// Kolmogorov-Smirnov critical value at the 1% level is 1.63 / sqrt(n) = 0.026 for n = 4000;
// the seed is fixed, so each statistic is one deterministic number below it.
const ksLimit = 1.63 / Math.sqrt(sampleCount);

function ksStatistic(values: number[], cdf: (x: number) => number): number {
  const sorted = [...values].sort((a, b) => a - b);
  let worst = 0;
  sorted.forEach((x, i) => {
    const model = cdf(x);
    worst = Math.max(worst, Math.abs((i + 1) / sorted.length - model), Math.abs(i / sorted.length - model));
  });
  return worst;
}

/** Abramowitz and Stegun 7.1.26 (error < 1.5e-7). */
function erf(x: number): number {
  const sign = Math.sign(x);
  const a = Math.abs(x);
  const k = 1 / (1 + 0.3275911 * a);
  const poly = k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429))));
  return sign * (1 - poly * Math.exp(-a * a));
}
const normalCdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

// CDFs of t = 1 - sigma for each distribution, derived from its definition.
function logitNormalCdf(mean: number, std: number) {
  // t = sigmoid(-u): t <= x  <=>  u >= -logit(x)
  return (x: number) => normalCdf((Math.log(x / (1 - x)) + mean) / std);
}
function modeCdf(scale: number) {
  // sigma = f(u) decreasing from 1 to 0, so t <= x  <=>  u <= f^-1(1 - x); f^-1 by bisection.
  const f = (u: number) => 1 - u - scale * (Math.cos((Math.PI * u) / 2) ** 2 - 1 + u);
  return (x: number) => {
    let [low, high] = [0, 1];
    for (let i = 0; i < 60; i++) {
      const mid = (low + high) / 2;
      if (f(mid) > 1 - x) low = mid;
      else high = mid;
    }
    return (low + high) / 2;
  };
}
const cosmapCdf = (x: number) => 1 - (2 / Math.PI) * Math.atan((1 - x) / x);

describe('sampleTimesteps', () => {
  const cases: Array<{ distribution: TimestepDistribution; cdf: (x: number) => number }> = [
    { distribution: { kind: 'uniform' }, cdf: (x) => x },
    { distribution: { kind: 'logit-normal' }, cdf: logitNormalCdf(0, 1) },
    { distribution: { kind: 'logit-normal', mean: 0.5, std: 0.8 }, cdf: logitNormalCdf(0.5, 0.8) },
    { distribution: { kind: 'mode', scale: 1.29 }, cdf: modeCdf(1.29) },
    { distribution: { kind: 'mode', scale: -0.5 }, cdf: modeCdf(-0.5) },
    { distribution: { kind: 'cosmap' }, cdf: cosmapCdf },
  ];
  for (const { distribution, cdf } of cases) {
    it(`${JSON.stringify(distribution)} follows its distribution (KS statistic below the 1% critical value)`, () => {
      const values = sampleTimestepValues({ batchSize: sampleCount, rng: 7, distribution });
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...values)).toBeLessThanOrEqual(1);
      expect(ksStatistic(values, cdf)).toBeLessThan(ksLimit);
    });
  }

  it('the KS check rejects a wrong distribution', () => {
    const values = sampleTimestepValues({ batchSize: sampleCount, rng: 7, distribution: { kind: 'logit-normal', mean: 0.5, std: 1 } });
    expect(ksStatistic(values, (x) => x)).toBeGreaterThan(3 * ksLimit);
    expect(ksStatistic(values, logitNormalCdf(-0.5, 1))).toBeGreaterThan(3 * ksLimit);
  });

  it('logit-normal mean > 0 moves t towards noise (t = 1 - sigmoid(u))', () => {
    const values = sampleTimestepValues({ batchSize: sampleCount, rng: 1, distribution: { kind: 'logit-normal', mean: 1 } });
    expect(values.reduce((a, b) => a + b, 0) / sampleCount).toBeLessThan(0.4);
  });

  it('is seeded: a seed repeats, a generator streams', () => {
    const options = { batchSize: 5, distribution: { kind: 'logit-normal' } } as const;
    expect(sampleTimestepValues({ ...options, rng: 3 })).toEqual(sampleTimestepValues({ ...options, rng: 3 }));
    expect(sampleTimestepValues({ ...options, rng: 3 })).not.toEqual(sampleTimestepValues({ ...options, rng: 4 }));
    const rng = new Rng(3);
    const first = sampleTimestepValues({ ...options, rng });
    expect(sampleTimestepValues({ ...options, rng })).not.toEqual(first);
  });

  it('applies the shift to the drawn times', () => {
    const plain = sampleTimestepValues({ batchSize: 6, rng: 9 });
    const shifted = sampleTimestepValues({ batchSize: 6, rng: 9, shift: 3 });
    shifted.forEach((t, i) => expect(t).toBeCloseTo(shiftTime(plain[i], 3), 12));
  });

  it('returns a float32 tensor [B]', () => {
    const t = sampleTimesteps({ batchSize: 4, rng: 2, distribution: { kind: 'cosmap' } });
    expect(t.shape).toEqual([4]);
    expect(t.dtype).toBe('float32');
    Array.from(t.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(sampleTimestepValues({ batchSize: 4, rng: 2, distribution: { kind: 'cosmap' } })[i], 6));
    t.dispose();
  });

  it('names the option at fault', () => {
    expect(() => sampleTimestepValues({ batchSize: 0, rng: 1 })).toThrow(/batchSize must be a positive integer/);
    expect(() => sampleTimestepValues({ batchSize: 2, rng: 1, distribution: { kind: 'logit-normal', std: 0 } })).toThrow(/distribution.std/);
    expect(() => sampleTimestepValues({ batchSize: 2, rng: 1, distribution: { kind: 'mode', scale: 3 } })).toThrow(/distribution.scale must lie/);
    expect(() => sampleTimestepValues({ batchSize: 2, rng: 1, distribution: { kind: 'beta' } as never })).toThrow(/distribution.kind/);
    expect(() => sampleTimestepValues({ batchSize: 2, rng: 1, shift: -1 })).toThrow(/shift must be a positive number/);
  });

  it('allocates only its result', () => {
    const before = tf.memory().numTensors;
    const t = sampleTimesteps({ batchSize: 3, rng: 1 });
    expect(tf.memory().numTensors).toBe(before + 1);
    t.dispose();
  });
});
