import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PixelAutoencoder, T5Gemma2TextEncoder } from '@dit/encoders';
import { SingleStreamDiTV2 } from '@dit/model';
import { DiTPipeline } from './pipeline.js';
import { PIPELINE_FILE, readPipelineIndex } from './pipeline-index.js';
import { HashTextEncoder, perturbWeights } from './test-support.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-pipeline-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A model for 2x2 pixel patches and the random tiny T5Gemma 2's [8, 64] text. */
function model(): SingleStreamDiTV2 {
  const dit = new SingleStreamDiTV2({ inChannels: 12, patchSize: 2, hiddenSize: 32, depth: 1, numHeads: 2, textDim: 64, textLength: 8, seed: 5 });
  perturbWeights(dit, { seed: 5, scale: 0.1 });
  return dit;
}
const bytes = (images: { data: Uint8Array }[]) => images.map((image) => Buffer.from(image.data));

describe('DiTPipeline.savePretrained / fromPretrained', () => {
  it('round-trips: the folder loads back into a pipeline that draws identical images with the same defaults', async () => {
    const textEncoder = await T5Gemma2TextEncoder.random({ config: 'tiny', seed: 0, maxLength: 8 });
    const saved = new DiTPipeline({
      model: model(),
      textEncoder,
      autoencoder: new PixelAutoencoder({ factor: 2 }),
      latentNormalization: { std: 1.5, offset: -0.25 },
      sampling: { steps: 3, sampler: 'heun', guidanceScale: 2.5, shift: 2, width: 12, height: 8 },
      owned: ['model', 'textEncoder'],
    });
    const options = { prompt: ['a red rose', 'a white lily'], negativePrompt: 'blurry', seed: 3, numImagesPerPrompt: 2 };
    const before = await saved.generate(options);
    const folder = join(dir, 'pipe');
    await saved.savePretrained(folder);
    saved.dispose();

    for (const file of ['config.json', 'model.safetensors', PIPELINE_FILE]) expect(existsSync(join(folder, file)), file).toBe(true);
    expect(JSON.parse(readFileSync(join(folder, PIPELINE_FILE), 'utf8'))).toEqual({
      format: 'dit-pipeline',
      version: 1,
      textEncoder: 'random:tiny:0',
      autoencoder: 'pixel:2',
      latentNormalization: { std: 1.5, offset: -0.25 },
      sampling: { steps: 3, sampler: 'heun', guidanceScale: 2.5, cfgMode: 'batched', shift: 2, width: 12, height: 8 },
    });

    const loaded = await DiTPipeline.fromPretrained(folder);
    expect(loaded.sampling).toMatchObject({ steps: 3, sampler: 'heun', width: 12, height: 8 });
    expect(loaded.latentNormalization).toEqual({ std: 1.5, offset: -0.25 });
    expect(loaded.sources).toEqual({ textEncoder: 'random:tiny:0', autoencoder: 'pixel:2' });
    const after = await loaded.generate(options);
    expect(after.images[0]).toMatchObject({ width: 12, height: 8 });
    expect(bytes(after.images)).toEqual(bytes(before.images));
    // The recorded defaults matter: other settings give other images.
    const other = await loaded.generate({ ...options, sampler: 'euler' });
    expect(bytes(other.images)).not.toEqual(bytes(before.images));

    // Unloading the text encoder frees it; the next prompt loads it again from its source.
    const encoder = loaded.textEncoder!;
    loaded.unloadTextEncoder();
    expect(loaded.textEncoder).toBeNull();
    const reloaded = await loaded.generate(options);
    expect(loaded.textEncoder).not.toBe(encoder);
    expect(bytes(reloaded.images)).toEqual(bytes(before.images));
    loaded.dispose();
  });

  it('a plain model folder (no pipeline.json) takes parts, normalisation and a checkpoint weights file from options', async () => {
    const dit = model();
    const folder = join(dir, 'plain');
    await dit.savePretrained(folder);
    await dit.saveWeights(join(folder, 'ema.safetensors'));
    dit.dispose();
    const textEncoder = new HashTextEncoder({ dim: 64, maxLength: 8 });
    const pipe = await DiTPipeline.fromPretrained(folder, { textEncoder, autoencoder: 'pixel:2', latentNormalization: { std: 3 }, weights: 'ema.safetensors', sampling: { width: 8, height: 8, steps: 2 } });
    expect(pipe.sources).toEqual({ textEncoder: 'hash-encoder', autoencoder: 'pixel:2' });
    expect(pipe.latentNormalization).toEqual({ std: 3, offset: 0 });
    const { images } = await pipe.generate({ prompt: 'a tulip' });
    expect(images).toHaveLength(1);
    expect(textEncoder.calls).toBe(1);
    pipe.dispose();
    // Your own text encoder stays yours.
    expect(textEncoder.disposed).toBe(false);
  });

  it('leaves no tensors behind when loading fails, and says what is wrong with the folder', async () => {
    const folder = join(dir, 'bad');
    const dit = model();
    await dit.savePretrained(folder);
    dit.dispose();
    const before = tf.memory().numTensors;
    await expect(DiTPipeline.fromPretrained(folder, { textEncoder: null, autoencoder: 'pixel:4' })).rejects.toThrow(/autoencoder: pixel-f4 has 48 latent channels, the model takes 12/);
    expect(tf.memory().numTensors).toBe(before);

    const write = (json: unknown) => writeFile(join(folder, PIPELINE_FILE), JSON.stringify(json));
    const good = { format: 'dit-pipeline', version: 1, textEncoder: null, autoencoder: 'pixel:2', latentNormalization: { std: 1, offset: 0 }, sampling: {} };
    const cases: [unknown, RegExp][] = [
      [{ ...good, version: 2 }, /pipeline\.json: version 2 is not supported/],
      [{ ...good, format: 'diffusers' }, /pipeline\.json: format must be 'dit-pipeline'/],
      [{ ...good, scheduler: {} }, /pipeline\.json: scheduler is not a field of pipeline\.json/],
      [{ ...good, latentNormalization: { std: -1 } }, /pipeline\.json: latentNormalization\.std must be a finite number > 0, got -1/],
      [{ ...good, sampling: { steps: '50' } }, /pipeline\.json: sampling\.steps must be a positive integer, got "50"/],
      [{ ...good, sampling: { cfg: 2 } }, /pipeline\.json: sampling\.cfg is not a sampling setting/],
      [{ ...good, autoencoder: 4 }, /pipeline\.json: autoencoder must be a spec string/],
    ];
    for (const [json, message] of cases) {
      await write(json);
      await expect(readPipelineIndex(folder)).rejects.toThrow(message);
    }
    await writeFile(join(folder, PIPELINE_FILE), '{ not json');
    await expect(DiTPipeline.fromPretrained(folder)).rejects.toThrow(/pipeline\.json: not valid JSON/);
    await write(good);
    const pipe = await DiTPipeline.fromPretrained(folder);
    expect(pipe.textEncoder).toBeNull();
    expect(pipe.sampling).toMatchObject({ steps: 50, sampler: 'rk4', guidanceScale: 1.5, width: 512, height: 512 });
    pipe.dispose();
    await expect(DiTPipeline.fromPretrained(join(dir, 'nowhere'))).rejects.toThrow(/nowhere: no such folder/);
    await expect(DiTPipeline.fromPretrained(folder, { weights: 'ema.safetensors' })).rejects.toThrow(/bad: no ema\.safetensors/);
  });
});
