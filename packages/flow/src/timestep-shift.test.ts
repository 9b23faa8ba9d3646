import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { shiftTime, shiftTimesteps } from './index.js';

const grid = Array.from({ length: 101 }, (_, i) => i / 100);

describe('timestep shift t / (t + s (1 - t))', () => {
  it('keeps the endpoints for every shift', () => {
    for (const shift of [0.25, 1, 3, 10]) {
      expect(shiftTime(0, shift)).toBe(0);
      expect(shiftTime(1, shift)).toBe(1);
    }
  });

  it('is strictly increasing in t', () => {
    for (const shift of [0.5, 3]) {
      const shifted = grid.map((t) => shiftTime(t, shift));
      shifted.slice(1).forEach((value, i) => expect(value).toBeGreaterThan(shifted[i]));
    }
  });

  it('s > 1 moves every interior time towards noise (t = 0), s = 1 is the identity', () => {
    grid.slice(1, -1).forEach((t) => {
      expect(shiftTime(t, 3)).toBeLessThan(t);
      expect(shiftTime(t, 0.5)).toBeGreaterThan(t);
      expect(shiftTime(t, 1)).toBe(t);
    });
    expect(shiftTime(0.5, 3)).toBeCloseTo(0.25, 12);
  });

  it('shift 1/s undoes shift s', () => {
    grid.forEach((t) => expect(shiftTime(shiftTime(t, 3), 1 / 3)).toBeCloseTo(t, 12));
  });

  it('the tensor form agrees with the number form', () => {
    const t = tf.tensor1d(grid);
    const shifted = shiftTimesteps(t, 3);
    Array.from(shifted.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(shiftTime(grid[i], 3), 6));
    tf.dispose([t, shifted]);
  });

  it('rejects a non-positive shift', () => {
    expect(() => shiftTime(0.5, 0)).toThrow(/shift must be a positive number, got 0/);
    const t = tf.tensor1d([0.5]);
    expect(() => shiftTimesteps(t, Number.NaN)).toThrow(/shiftTimesteps: shift/);
    t.dispose();
  });
});
