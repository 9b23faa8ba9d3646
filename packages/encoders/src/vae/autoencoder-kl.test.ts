import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderKL } from './autoencoder-kl.js';
import { defaultQueryChunk } from './attention.js';
import { readAutoencoderKL } from './load.js';
import type { VaeWeights } from './weights.js';
import { maxAbsDiff, readIo, vaeFixture } from './test-helpers.js';

// Parity with diffusers 0.42 on tiny random models (tools/reference/vae_fixtures.py).
const TOLERANCE = 1e-4;

describe('AutoencoderKL parity with diffusers', () => {
  let io: Record<string, tf.Tensor4D>;
  let vae: AutoencoderKL;
  let weights: VaeWeights;
  beforeAll(async () => {
    io = await readIo('tiny');
    const dir = vaeFixture('tiny');
    const loaded = await readAutoencoderKL(`${dir}/config.json`, `${dir}/diffusion_pytorch_model.safetensors`);
    weights = loaded.weights;
    vae = new AutoencoderKL(loaded.config, weights, { id: 'tiny' });
  });
  afterAll(() => {
    vae.dispose();
    tf.dispose(Object.values(io));
  });

  it('reads the layout from config.json', () => {
    expect([vae.latentChannels, vae.downsample, vae.scalingFactor, vae.shiftFactor]).toEqual([4, 4, 0.13025, 0]);
    expect(vae.id).toBe('tiny');
  });

  it('encodes to the posterior mean and logvar of diffusers (odd 5x7 latents, batch 2)', async () => {
    const { mean, logvar } = await vae.encodePosterior(io.image);
    expect(mean.shape).toEqual([2, 4, 5, 7]);
    const errors = [await maxAbsDiff(mean, io.mean), await maxAbsDiff(logvar, io.logvar)];
    console.info(`tiny encode: mean err ${errors[0].toExponential(2)}, logvar err ${errors[1].toExponential(2)}`);
    expect(Math.max(...errors)).toBeLessThan(TOLERANCE);
    const scaled = await vae.encode(io.image, { mode: 'mean' });
    const expected = tf.mul(io.mean, 0.13025);
    expect(await maxAbsDiff(scaled, expected)).toBeLessThan(TOLERANCE * 0.13025);
    tf.dispose([mean, logvar, scaled, expected]);
  });

  it('decodes as diffusers, scaling undone', async () => {
    const scaled = tf.mul(io.z, 0.13025) as tf.Tensor4D;
    const images = await vae.decode(scaled);
    expect(images.shape).toEqual([2, 3, 20, 28]);
    const error = await maxAbsDiff(images, io.decoded);
    console.info(`tiny decode: err ${error.toExponential(2)}`);
    expect(error).toBeLessThan(TOLERANCE);
    tf.dispose([scaled, images]);
  });

  it('samples mean + exp(logvar / 2) * eps with eps from the seeded Rng', async () => {
    const a = await vae.encode(io.image, { seed: 7 });
    const b = await vae.encode(io.image, { seed: 7 });
    const c = await vae.encode(io.image);
    expect(await maxAbsDiff(a, b)).toBe(0);
    expect(await maxAbsDiff(a, c)).toBeGreaterThan(1e-3);
    const eps = new Rng(7).normalTensor([2, 4, 5, 7]);
    const expected = tf.tidy(() => tf.mul(tf.add(io.mean, tf.mul(tf.exp(tf.mul(io.logvar, 0.5)), eps)), 0.13025));
    expect(await maxAbsDiff(a, expected)).toBeLessThan(TOLERANCE * 0.13025);
    tf.dispose([a, b, c, eps, expected]);
  });

  it('gives the same result with attention in small query chunks', async () => {
    // A 1024x1024 SDXL image has 128x128 = 16384 latent tokens: chunks keep scores at 16M floats, not 268M.
    expect(defaultQueryChunk(16384)).toBe(1024);
    expect(defaultQueryChunk(35)).toBeGreaterThanOrEqual(35);
    const chunked = new AutoencoderKL(vae.config, weights, { attentionQueryChunk: 4 }); // 35 tokens -> 9 chunks
    const { mean, logvar } = await chunked.encodePosterior(io.image);
    expect(await maxAbsDiff(mean, io.mean)).toBeLessThan(TOLERANCE);
    const images = await chunked.decode(tf.mul(io.z, 0.13025) as tf.Tensor4D);
    expect(await maxAbsDiff(images, io.decoded)).toBeLessThan(TOLERANCE);
    tf.dispose([mean, logvar, images]);
  });

  it('decodes in tiles exactly as diffusers enable_tiling (sample_size 16 -> 4-latent tiles)', async () => {
    const tiled = new AutoencoderKL(vae.config, weights, { tiling: true });
    const scaled = tf.mul(io.tiled_z, 0.13025) as tf.Tensor4D;
    const images = await tiled.decode(scaled);
    expect(images.shape).toEqual([1, 3, 36, 32]);
    const error = await maxAbsDiff(images, io.tiled_decoded);
    console.info(`tiny tiled decode: err ${error.toExponential(2)}`);
    expect(error).toBeLessThan(TOLERANCE);
    const untiled = await vae.decode(scaled);
    expect(await maxAbsDiff(untiled, io.tiled_decoded)).toBeGreaterThan(1e-3); // tiling really happened
    tf.dispose([scaled, images, untiled]);
  });

  it('leaks no tensors in encode or decode', async () => {
    const before = tf.memory().numTensors;
    const latents = await vae.encode(io.image);
    const images = await vae.decode(latents);
    tf.dispose([latents, images]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the shape at fault', async () => {
    const odd = tf.zeros([1, 3, 18, 28]) as tf.Tensor4D;
    await expect(vae.encode(odd)).rejects.toThrow(/image 18x28 is not divisible by the downsample factor 4/);
    const gray = tf.zeros([1, 1, 8, 8]) as tf.Tensor4D;
    await expect(vae.encode(gray)).rejects.toThrow(/expected images \[B, 3, H, W\], got \[1, 1, 8, 8\]/);
    const wrong = tf.zeros([1, 3, 2, 2]) as tf.Tensor4D;
    await expect(vae.decode(wrong)).rejects.toThrow(/expected 4 latent channels, got latents \[1, 3, 2, 2\]/);
    await expect(vae.encode(io.image, { mode: 'median' as never })).rejects.toThrow(/mode must be 'sample' or 'mean'/);
    tf.dispose([odd, gray, wrong]);
  });
});

describe('AutoencoderKL variants', () => {
  it('loads legacy attention names stored as fp16 1x1 convs (the fp16 variant file)', async () => {
    const io = await readIo('tiny-legacy');
    const vae = await AutoencoderKL.fromPretrained(vaeFixture('tiny-legacy'));
    expect(vae.id).toBe(vaeFixture('tiny-legacy'));
    const { mean, logvar } = await vae.encodePosterior(io.image);
    const images = await vae.decode(tf.mul(io.z, 0.13025) as tf.Tensor4D);
    const errors = [await maxAbsDiff(mean, io.mean), await maxAbsDiff(logvar, io.logvar), await maxAbsDiff(images, io.decoded)];
    console.info(`legacy fp16: mean ${errors[0].toExponential(2)}, logvar ${errors[1].toExponential(2)}, decode ${errors[2].toExponential(2)}`);
    expect(Math.max(...errors)).toBeLessThan(TOLERANCE);
    tf.dispose([mean, logvar, images, ...Object.values(io)]);
    vae.dispose();
  });

  it('applies shift_factor and runs without quant convs or mid attention', async () => {
    const io = await readIo('flat');
    const vae = await AutoencoderKL.fromPretrained(vaeFixture('flat'));
    expect([vae.latentChannels, vae.downsample, vae.scalingFactor, vae.shiftFactor]).toEqual([2, 2, 0.3611, 0.1159]);
    const latents = await vae.encode(io.image, { mode: 'mean' });
    const expected = tf.tidy(() => tf.mul(tf.sub(io.mean, 0.1159), 0.3611));
    const meanError = await maxAbsDiff(latents, expected);
    expect(meanError).toBeLessThan(TOLERANCE);
    const scaled = tf.tidy(() => tf.mul(tf.sub(io.z, 0.1159), 0.3611)) as tf.Tensor4D;
    const images = await vae.decode(scaled);
    const error = await maxAbsDiff(images, io.decoded);
    console.info(`flat: scaled mean err ${meanError.toExponential(2)}, decode err ${error.toExponential(2)}`);
    expect(error).toBeLessThan(TOLERANCE);
    tf.dispose([latents, expected, scaled, images, ...Object.values(io)]);
    vae.dispose();
  });

  it('dispose() frees every weight', async () => {
    const before = tf.memory();
    const vae = await AutoencoderKL.fromPretrained(vaeFixture('tiny'));
    expect(tf.memory().numTensors).toBeGreaterThan(before.numTensors + 100);
    vae.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
    await expect(vae.decode(tf.zeros([1, 4, 2, 2]))).rejects.toThrow(/disposed/);
  });
});
