import { Rng } from '@dit/core';
import { expect, it } from 'vitest';
import { RunningMoments } from './moments.js';

function twoPass(values: readonly number[]) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

it('merging slices gives the two-pass mean and unbiased std of the whole', () => {
  const rng = new Rng(3);
  const values = Array.from({ length: 1000 }, () => rng.normal(-0.3, 1.2));
  const moments = new RunningMoments();
  for (let start = 0; start < values.length; start += 137) moments.addStrided(values.slice(start, start + 137));
  const expected = twoPass(values);
  expect(moments.count).toBe(1000);
  expect(moments.mean).toBeCloseTo(expected.mean, 12);
  expect(moments.std).toBeCloseTo(expected.std, 12);
  expect(moments.min).toBe(Math.min(...values));
  expect(moments.max).toBe(Math.max(...values));
});

it('stays accurate for a large offset where a naive sum of squares cancels', () => {
  const values = Array.from({ length: 10_000 }, (_, i) => 1e9 + (i % 2 ? 0.5 : -0.5));
  const moments = new RunningMoments();
  for (let start = 0; start < values.length; start += 100) moments.addStrided(values, start, 100);
  expect(moments.std).toBeCloseTo(Math.sqrt((0.25 * 10_000) / 9_999), 9);
  const naive = Math.sqrt(values.reduce((a, v) => a + v * v, 0) / values.length - (values.reduce((a, v) => a + v, 0) / values.length) ** 2);
  expect(Math.abs(naive - 0.5)).toBeGreaterThan(1e-3); // what the stable update avoids
});

it('reads strided slices (one channel of an interleaved array)', () => {
  const moments = new RunningMoments();
  moments.addStrided([1, 100, 3, 100, 5, 100], 0, 3, 2);
  expect([moments.count, moments.mean, moments.std]).toEqual([3, 3, 2]);
});
