import * as tf from '@tensorflow/tfjs-core';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoencoderKL } from './autoencoder-kl.js';
import { parseAutoencoderKLConfig } from './config.js';
import { maxAbsDiff, readIo, vaeFixture } from './test-helpers.js';

// Parity with diffusers 0.42 on the tiny model: tools/reference/vae_encode_fixtures.py.
const TOLERANCE = 1e-4;
const SCALING = 0.13025;
const dir = mkdtempSync(join(tmpdir(), 'dit-vae-encode-'));
let io: Record<string, tf.Tensor4D>;
beforeAll(async () => {
  io = await readIo('tiny-encode');
});
afterAll(() => {
  tf.dispose(Object.values(io ?? {}));
  rmSync(dir, { recursive: true, force: true });
});

/** The tiny model with extra config.json fields. */
function tinyWith(fields: Record<string, unknown>, name: string): string {
  const folder = join(dir, name);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder);
  const config = JSON.parse(readFileSync(join(vaeFixture('tiny'), 'config.json'), 'utf8'));
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...config, ...fields }));
  copyFileSync(join(vaeFixture('tiny'), 'diffusion_pytorch_model.safetensors'), join(folder, 'diffusion_pytorch_model.safetensors'));
  return folder;
}

describe('AutoencoderKL.encode with given posterior noise', () => {
  it("reproduces diffusers' latent_dist.sample(generator) from the same torch.randn noise", async () => {
    const vae = await AutoencoderKL.fromPretrained(vaeFixture('tiny'));
    const before = tf.memory().numTensors;
    const expected = tf.mul(io.sample, SCALING);
    const given = await vae.encode(io.image, { noise: io.noise });
    const generated = await vae.encode(io.image, { noise: (shape) => tf.tidy(() => tf.reshape(io.noise, shape)) as tf.Tensor4D });
    const errors = [await maxAbsDiff(given, expected), await maxAbsDiff(generated, expected)];
    console.info(`posterior sample with diffusers' noise: err ${errors[0].toExponential(2)}`);
    expect(Math.max(...errors)).toBeLessThan(TOLERANCE * SCALING);
    expect(io.noise.isDisposed).toBe(false);
    tf.dispose([expected, given, generated]);
    expect(tf.memory().numTensors).toBe(before);
    const wrong = tf.zeros([1, 4, 2, 2]) as tf.Tensor4D;
    await expect(vae.encode(io.image, { noise: wrong })).rejects.toThrow(/noise must have the posterior's shape \[1, 4, 10, 7\] \(NCHW\), got \[1, 4, 2, 2\]/);
    await expect(vae.encode(io.image, { mode: 'mean', noise: io.noise })).rejects.toThrow(/noise is for mode 'sample'/);
    wrong.dispose();
    vae.dispose();
  });
});

describe('AutoencoderKL tiled encoding', () => {
  it("matches diffusers' enable_tiling() encode (16 px tiles at a 12 px stride over 40x28)", async () => {
    const tiled = await AutoencoderKL.fromPretrained(vaeFixture('tiny'), { tiling: true });
    const plain = await AutoencoderKL.fromPretrained(vaeFixture('tiny'));
    const before = tf.memory().numTensors;
    const t = await tiled.encodePosterior(io.image);
    const p = await plain.encodePosterior(io.image);
    const errors = [await maxAbsDiff(t.mean, io.tiled_mean), await maxAbsDiff(t.logvar, io.tiled_logvar), await maxAbsDiff(p.mean, io.mean), await maxAbsDiff(p.logvar, io.logvar)];
    // Tiles normalise and attend on their own, so the two differ (as in diffusers); each matches its reference.
    const tilingEffect = await maxAbsDiff(t.mean, p.mean);
    console.info(`tiled encode: mean err ${errors[0].toExponential(2)}, logvar err ${errors[1].toExponential(2)}; tiled vs untiled ${tilingEffect.toFixed(3)}`);
    expect(Math.max(...errors)).toBeLessThan(TOLERANCE);
    expect(tilingEffect).toBeGreaterThan(0.1);
    tf.dispose([t.mean, t.logvar, p.mean, p.logvar]);
    expect(tf.memory().numTensors).toBe(before);
    // An image within one tile is encoded whole.
    const small = tf.slice(io.image, [0, 0, 0, 0], [1, 3, 16, 16]) as tf.Tensor4D;
    const [a, b] = [await tiled.encodePosterior(small), await plain.encodePosterior(small)];
    expect(await maxAbsDiff(a.mean, b.mean)).toBe(0);
    tf.dispose([small, a.mean, a.logvar, b.mean, b.logvar]);
    [tiled, plain].forEach((vae) => vae.dispose());
  });
});

describe('latents_mean / latents_std in config.json', () => {
  it('scale as the SDXL pipelines do: (z - mean) * scaling_factor / std on encode, inverted on decode', async () => {
    const [mean, std] = [Array.from(io.latents_mean.dataSync()), Array.from(io.latents_std.dataSync())];
    const vae = await AutoencoderKL.fromPretrained(tinyWith({ latents_mean: mean, latents_std: std }, 'stats'));
    expect(vae.config.latentsMean).toEqual(mean);
    const latents = await vae.encode(io.image, { noise: io.noise });
    const encodeError = await maxAbsDiff(latents, io.pipeline_latents);
    const images = await vae.decode(io.scaled);
    const decodeError = await maxAbsDiff(images, io.pipeline_decoded);
    console.info(`latents_mean/std: encode err ${encodeError.toExponential(2)}, decode err ${decodeError.toExponential(2)}`);
    expect(encodeError).toBeLessThan(TOLERANCE);
    expect(decodeError).toBeLessThan(TOLERANCE);
    tf.dispose([latents, images]);
    const before = tf.memory().numTensors;
    vae.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });

  it('refuses a config that leaves diffusers ambiguous, naming the field', () => {
    const base = { latent_channels: 4 };
    expect(() => parseAutoencoderKLConfig({ ...base, latents_mean: [0, 0, 0, 0] }, 'c.json')).toThrow(
      /c\.json: field "latents_mean" is set but latents_std is not; diffusers' pipelines apply the two only together/,
    );
    expect(() => parseAutoencoderKLConfig({ ...base, latents_mean: [0, 0, 0], latents_std: [1, 1, 1] }, 'c.json')).toThrow(
      /field "latents_mean" must be a list of 4 numbers \(one per latent channel\), got \[0,0,0\]/,
    );
    expect(() => parseAutoencoderKLConfig({ ...base, latents_mean: [0, 0, 0, 0], latents_std: [1, 0, 1, 1] }, 'c.json')).toThrow(/field "latents_std" must hold positive numbers/);
    expect(() => parseAutoencoderKLConfig({ ...base, shift_factor: 0.1, latents_mean: [0, 0, 0, 0], latents_std: [1, 1, 1, 1] }, 'c.json')).toThrow(
      /field "shift_factor" \(0\.1\) and latents_mean are both set/,
    );
    expect(parseAutoencoderKLConfig({ ...base, latents_mean: null, latents_std: null })).toMatchObject({ latentsMean: null, latentsStd: null });
  });
});
