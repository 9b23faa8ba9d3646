import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import { describe, expect, it } from 'vitest';
import { createNoise } from './index.js';

describe('createNoise', () => {
  it('is standard normal and repeats for a seed', () => {
    const noise = createNoise({ shape: [4, 4, 32, 32], seed: 42 });
    const again = createNoise({ shape: [4, 4, 32, 32], seed: 42 });
    const other = createNoise({ shape: [4, 4, 32, 32], seed: 43 });
    const values = noise.dataSync();
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    // 16384 draws: standard errors 0.008 (mean) and 0.011 (variance)
    expect(Math.abs(mean)).toBeLessThan(0.04);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    expect(Array.from(again.dataSync())).toEqual(Array.from(values));
    expect(Array.from(other.dataSync())).not.toEqual(Array.from(values));
    tf.dispose([noise, again, other]);
  });

  it('draws the same values as the Rng it is given', () => {
    const noise = createNoise({ shape: [2, 3], seed: new Rng(5) });
    expect(Array.from(noise.dataSync())).toEqual(Array.from(new Rng(5).normalArray(6)));
    noise.dispose();
  });

  it('rejects a bad shape by name', () => {
    expect(() => createNoise({ shape: [2, 0], seed: 1 })).toThrow(/shape must be a non-empty list of positive integers, got \[2,0\]/);
  });
});
