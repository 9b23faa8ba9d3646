import { PixelAutoencoder } from '@dit/encoders';
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkCache } from './check-cache.js';
import { decodeImage } from './image-io.js';
import type { LatentTransform } from './latent-transform.js';
import { preprocess } from './preprocess.js';
import { resizeToBucket } from './resize.js';
import { copyFixtures, removeTempDirs, tempDir, TEST_BUCKETS } from './test-utils/fixtures.js';
import { HashTextEncoder } from './test-utils/hash-text-encoder.js';

let datasetDir: string;
let cacheDir: string;
const autoencoder = new PixelAutoencoder({ factor: 8, scalingFactor: 0.13025 });

beforeAll(async () => {
  datasetDir = await tempDir('check-data');
  await copyFixtures(datasetDir, ['109', '5']);
  cacheDir = await tempDir('check-cache');
  await preprocess({ datasetDir, cacheDir, textEncoder: new HashTextEncoder(), autoencoder, buckets: TEST_BUCKETS });
});
afterAll(removeTempDirs);

async function png(path: string) {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: Array.from(data) };
}

/** SPEC section 4's normalisation, shaped like @dit/flow's: toVae returns raw VAE latents. */
function normalisation(std: number, offset: number, scalingFactor: number): LatentTransform {
  return {
    scalingFactor,
    toModel: (latent) => tf.tidy(() => tf.add(tf.div(latent, std), offset)),
    toVae: (x) => tf.tidy(() => tf.div(tf.mul(tf.sub(x, offset), std), scalingFactor)),
  };
}

it('decodes an entry back to the resized source image', async () => {
  const outPath = join(cacheDir, 'check.png');
  const before = tf.memory().numTensors;
  const result = await checkCache(join(cacheDir, '109.safetensors'), autoencoder, { outPath });
  expect(tf.memory().numTensors).toBe(before);
  expect(result).toMatchObject({ outPath, width: 80, height: 48, warnings: [] });
  expect(result.metadata.source).toBe('109.png');
  const expected = await resizeToBucket(await decodeImage(await readFile(join(datasetDir, '109.png'))), { bucket: { width: 80, height: 48 } });
  expect(await png(outPath)).toEqual({ width: 80, height: 48, data: Array.from(expected.data) });
});

it('round-trips through a latent normalisation first and reports its error', async () => {
  const plain = join(cacheDir, 'plain.png');
  const normalised = join(cacheDir, 'normalised.png');
  await checkCache(join(cacheDir, '5.safetensors'), autoencoder, { outPath: plain });
  const before = tf.memory().numTensors;
  const result = await checkCache(join(cacheDir, '5.safetensors'), autoencoder, { outPath: normalised, latentTransform: normalisation(1.1908, 0.3077, 0.13025) });
  expect(tf.memory().numTensors).toBe(before);
  expect(result.roundTripError).toBeLessThan(1e-5);
  expect(await png(normalised)).toEqual(await png(plain));

  // a transform that does not invert shows up in the error
  const broken = { ...normalisation(1.1908, 0.3077, 0.13025), toVae: (x: tf.Tensor) => tf.tidy(() => tf.div(x, 0.13025)) };
  const bad = await checkCache(join(cacheDir, '5.safetensors'), autoencoder, { outPath: normalised, latentTransform: broken });
  expect(bad.roundTripError).toBeGreaterThan(0.1);
});

it('refuses a normalisation made for another VAE and latents of the wrong width', async () => {
  await expect(
    checkCache(join(cacheDir, '5.safetensors'), autoencoder, { outPath: join(cacheDir, 'x.png'), latentTransform: normalisation(1, 0, 0.18215) }),
  ).rejects.toThrow('latentTransform scalingFactor 0.18215 differs from autoencoder pixel-f8\'s 0.13025');
  await expect(checkCache(join(cacheDir, '5.safetensors'), new PixelAutoencoder({ factor: 4 }), { outPath: join(cacheDir, 'x.png') })).rejects.toThrow(
    /5\.safetensors: latents \[192, 10, 6\] have 192 channels, autoencoder pixel-f4 takes 48/,
  );
});
