import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import { describe, expect, it } from 'vitest';
import { PixelAutoencoder } from './pixel-autoencoder.js';

describe('PixelAutoencoder', () => {
  it('folds f x f patches into channels and inverts exactly', async () => {
    const ae = new PixelAutoencoder({ factor: 2, scalingFactor: 0.5 });
    expect(ae.latentChannels).toBe(12);
    expect(ae.downsample).toBe(2);
    const images = new Rng(1).uniformTensor([2, 3, 4, 6], -1, 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const latents = await ae.encode(images);
    expect(latents.shape).toEqual([2, 12, 2, 3]);
    // channel (c=1, py=1, px=0) at latent (0, 2) is pixel (1, 4) of channel 1, times 0.5
    const pixels = images.arraySync();
    const folded = latents.arraySync();
    expect(folded[1][1 * 4 + 1 * 2 + 0][0][2]).toBeCloseTo(pixels[1][1][1][4] * 0.5, 6);
    const back = await ae.decode(latents);
    expect(Array.from(await back.data())).toEqual(Array.from(await images.data()));
    tf.dispose([latents, back]);
    expect(tf.memory().numTensors).toBe(before);
    images.dispose();
  });

  it('names the shape at fault', async () => {
    const ae = new PixelAutoencoder({ factor: 4 });
    const odd = tf.zeros([1, 3, 6, 8]) as tf.Tensor4D;
    await expect(ae.encode(odd)).rejects.toThrow(/image 6x8 is not divisible by the factor 4/);
    const wrong = tf.zeros([1, 3, 2, 2]) as tf.Tensor4D;
    await expect(ae.decode(wrong)).rejects.toThrow(/expected 48 latent channels, got latents \[1, 3, 2, 2\]/);
    tf.dispose([odd, wrong]);
    expect(() => new PixelAutoencoder({ factor: 0 })).toThrow(/factor must be a positive integer/);
  });
});
