import * as tf from '@tensorflow/tfjs-core';
import { SingleStreamDiTV2 } from '@dit/model';
import { describe, expect, it } from 'vitest';
import { overfit } from './overfit.js';
import { flowerEntries, TINY_PIXEL_CONFIG } from './test-support/flowers.js';

const meanSquare = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a, (v, i) => (v - b[i]) ** 2).reduce((s, v) => s + v, 0) / a.length;

describe('overfit', () => {
  it('learns one flower: the loss falls and sampling reproduces that image', async () => {
    const before = tf.memory().numTensors;
    const entries = await flowerEntries({ size: 8 });
    const target = (entries[0].latents as { data: Float32Array }).data;
    const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, depth: 1, seed: 0 });
    const result = await overfit({ model, entry: entries[0], steps: 300, lr: 2e-3, batchSize: 4 });
    expect(result.losses[0]).toBeGreaterThan(1);
    expect(result.finalLoss).toBeLessThan(0.2);
    // The sample explains over 90% of the image's variance...
    const variance = meanSquare(target, new Float32Array(target.length));
    expect(result.sampleError).toBeLessThan(0.1 * variance);
    // ...and is that flower, not an average: every other fixture flower is at least 3 times farther.
    const sample = result.sample.dataSync();
    expect(meanSquare(sample, target)).toBeCloseTo(result.sampleError, 6);
    for (const other of entries.slice(1)) expect(meanSquare(sample, (other.latents as { data: Float32Array }).data)).toBeGreaterThan(3 * result.sampleError);
    result.sample.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the field at fault', async () => {
    const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 0 });
    const [entry] = await flowerEntries({ size: 8, count: 1 });
    await expect(overfit({ model, entry, steps: 0 })).rejects.toThrow(/steps/);
    await expect(overfit({ model, entry: { ...entry, text: { data: new Float32Array(4), shape: [4] } }, steps: 1 })).rejects.toThrow(/entry\.text must have rank 2/);
    model.dispose();
  });
});
