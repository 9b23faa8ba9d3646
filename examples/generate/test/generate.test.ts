import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import { preprocess, readCacheEntryHeader, readPngText } from '@dit/data';
import { PixelAutoencoder, T5Gemma2TextEncoder } from '@dit/encoders';
import { presets, SingleStreamDiTV2 } from '@dit/model';
import { DiTPipeline } from '@dit/pipeline';
import { generate } from '../src/generate.js';

const flowers = fileURLToPath(new URL('../../../packages/data/fixtures/flowers/', import.meta.url));

let dir: string;
const model = () => join(dir, 'model');
const common = () => ({ model: model(), textEncoder: 'random:tiny:0', vae: 'pixel:4', steps: 4 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-example-generate-'));
  await mkdir(join(dir, 'dataset'));
  for (const name of ['29.png', '29.txt']) await cp(join(flowers, name), join(dir, 'dataset', name));
  const textEncoder = await T5Gemma2TextEncoder.random({ config: 'tiny', seed: 0, maxLength: 16 });
  const buckets = [{ width: 32, height: 32 }, { width: 24, height: 40 }, { width: 40, height: 24 }];
  const prepared = await preprocess({ datasetDir: join(dir, 'dataset'), cacheDir: join(dir, 'cache'), textEncoder, autoencoder: new PixelAutoencoder({ factor: 4 }), buckets });
  textEncoder.dispose();
  expect(prepared.ok).toBe(true);
  // A tiny model: 4x4 pixel patches as 48 latent channels, the tiny T5Gemma's 16 x 64 text, its
  // weights moved off the adaLN-Zero start so that the text matters.
  const dit = new SingleStreamDiTV2({ ...presets.tiny, inChannels: 48, textDim: 64, textLength: 16, seed: 1 });
  const rng = new Rng('perturb');
  for (const { variable } of dit.namedVariables()) variable.assign(tf.tidy(() => tf.add(variable, tf.mul(rng.normalTensor(variable.shape), 0.1))));
  await dit.savePretrained(model());
  dit.dispose();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('generate example', () => {
  it('text mode: the original prompt by default, at the example size, settings round-tripping through the PNG', async () => {
    const outDir = join(dir, 'text');
    const { images, grid } = await generate({ ...common(), outDir, batch: 2, seed: 5, cfg: 1.5, width: undefined });
    expect(images).toHaveLength(2);
    expect(grid && existsSync(grid)).toBe(true);
    for (const [k, image] of images.entries()) {
      const png = readFileSync(image.path);
      expect(await sharp(png).metadata()).toMatchObject({ width: 64, height: 64 });
      const text = readPngText(png);
      expect(text.prompt).toMatch(/^An extreme macro shot of a single, vibrant pink carnation/);
      expect(text).toMatchObject({ seed: String(5 + k), steps: '4', sampler: 'rk4', cfg: '1.5', shift: '1', text_encoder: 'random:tiny:0' });
      expect(JSON.parse(text.parameters)).toEqual(JSON.parse(readFileSync(image.path.replace('.png', '.json'), 'utf8')));
      expect(image.settings.model).toBe(model());
    }
  });

  it('entry mode: the entry sampled at its own size with its caption', async () => {
    const entry = join(dir, 'cache', '29.safetensors');
    const { images } = await generate({ ...common(), vae: undefined, entries: [entry], outDir: join(dir, 'entry'), sampler: 'euler', negativePrompt: 'ignored for entries' });
    const { metadata } = await readCacheEntryHeader(entry);
    expect(images).toHaveLength(1);
    const text = readPngText(readFileSync(images[0].path));
    expect(text).toMatchObject({ entry, prompt: metadata.caption, vae: 'pixel:4', sampler: 'euler', width: String(metadata.width), height: String(metadata.height) });
    expect(text.negative_prompt).toBeUndefined();
    expect(await sharp(images[0].path).metadata()).toMatchObject({ width: metadata.width, height: metadata.height });
  });

  it('a pipeline folder needs no part flags, and the images are those of DiTPipeline.generate', async () => {
    const folder = join(dir, 'pipeline');
    const parts = await DiTPipeline.fromPretrained(model(), { textEncoder: 'random:tiny:0', autoencoder: 'pixel:4', latentNormalization: { std: 1.5, offset: 0.25 } });
    await parts.savePretrained(folder);
    const { images: expected } = await parts.generate({ prompt: 'A red tulip.', width: 32, height: 32, steps: 3, sampler: 'euler', guidanceScale: 2, seed: 7 });
    parts.dispose();
    const { images } = await generate({ model: folder, prompts: ['A red tulip.'], width: 32, height: 32, steps: 3, sampler: 'euler', cfg: 2, seed: 7, outDir: join(dir, 'pipe'), grid: false });
    expect(images[0].settings).toMatchObject({ textEncoder: 'random:tiny:0', vae: 'pixel:4', latentStd: 1.5, latentOffset: 0.25 });
    const written = await sharp(images[0].path).raw().toBuffer();
    expect(written.equals(Buffer.from(expected[0].data))).toBe(true);
  });
});
