import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PixelAutoencoder, type ImageAutoencoder } from '@dit/encoders';
import { LatentNormalization } from '@dit/flow';
import { createNoise, defineSampler, euler, sample } from '@dit/samplers';
import { tensorToImage } from '@dit/data';
import type { SingleStreamDiTV2 } from '@dit/model';
import { PipelineOptionError } from './errors.js';
import { DiTPipeline } from './pipeline.js';
import { HashTextEncoder, smallModel } from './test-support.js';

let model: SingleStreamDiTV2;
let textEncoder: HashTextEncoder;
const autoencoder = new PixelAutoencoder({ factor: 2 });
const latentNormalization = { std: 2, offset: 0.25 };
const common = { width: 16, height: 12, steps: 3, sampler: 'euler', guidanceScale: 2, seed: 4 } as const;
const bytes = (images: { data: Uint8Array }[]) => images.map((image) => Buffer.from(image.data));

beforeAll(() => {
  model = smallModel();
  textEncoder = new HashTextEncoder({ dim: 16, maxLength: 8 });
});
afterAll(() => {
  model.dispose();
});

const pipeline = (parts: Partial<ConstructorParameters<typeof DiTPipeline>[0]> = {}) => new DiTPipeline({ model, textEncoder, autoencoder, latentNormalization, ...parts });

describe('DiTPipeline.generate', () => {
  it('equals sampling and decoding by hand: seeded noise per image, guided sampling, normalisation undone, clamp to 8 bits', async () => {
    const pipe = pipeline();
    const prompts = ['a red rose', 'a white lily'];
    const { images } = await pipe.generate({ ...common, prompt: prompts, negativePrompt: 'blurry', numImagesPerPrompt: 2 });
    expect(images.map(({ width, height }) => [width, height])).toEqual(Array(4).fill([16, 12]));

    // The same by hand with @dit/samplers, @dit/flow and the autoencoder (SPEC sections 3-4).
    const expected: Buffer[] = [];
    const { embeddings } = await textEncoder.encode(prompts);
    const { embeddings: negative } = await textEncoder.encode(['blurry']);
    const normalization = new LatentNormalization({ scalingFactor: autoencoder.scalingFactor, ...latentNormalization });
    for (let p = 0; p < prompts.length; p++) {
      const noise = tf.concat([0, 1].map((k) => createNoise({ shape: [1, 12, 6, 8], seed: common.seed + k })));
      const cond = tf.slice(embeddings, [p, 0, 0], [1, -1, -1]);
      const x = await sample({ velocity: (x, t, text) => model.forward(x, t, text), noise, cond, uncond: negative, steps: 3, sampler: 'euler', guidanceScale: 2 });
      for (let k = 0; k < 2; k++) {
        const decoded = await autoencoder.decode(normalization.toCached(tf.slice(x, [k, 0, 0, 0], [1, -1, -1, -1])) as tf.Tensor4D);
        expected.push(Buffer.from((await tensorToImage(tf.clipByValue(tf.add(tf.div(decoded, 2), 0.5), 0, 1))).data));
      }
    }
    expect(bytes(images)).toEqual(expected);
    expect(expected[0].equals(expected[1])).toBe(false);
    expect(expected[0].equals(expected[2])).toBe(false);
  });

  it('the stages compose to generate: encodePrompts, prepareNoise, denoise, decode', async () => {
    const pipe = pipeline();
    const { images, latents } = await pipe.generate({ ...common, prompt: 'a tulip', numImagesPerPrompt: 2, returnLatents: true });
    const encoded = await pipe.encodePrompts(['a tulip']);
    const noise = pipe.prepareNoise({ batchSize: 2, width: 16, height: 12, seed: common.seed });
    const denoised = await pipe.denoise({ noise, cond: encoded.cond, uncond: encoded.uncond, steps: 3, sampler: 'euler', guidanceScale: 2 });
    const decoded = await pipe.decode(denoised);
    expect(bytes(decoded)).toEqual(bytes(images));
    expect(latents!.shape).toEqual([2, 12, 6, 8]);
    expect(Array.from(await latents!.data())).toEqual(Array.from(await denoised.data()));
    tf.dispose([latents!, noise, denoised]);
    encoded.dispose();
  });

  it('takes embeddings instead of prompts, and a pipeline without a text encoder says what to give', async () => {
    const pipe = pipeline();
    const fromText = await pipe.generate({ ...common, prompt: 'a daisy' });
    const { embeddings } = await textEncoder.encode(['a daisy']);
    const withoutEncoder = pipeline({ textEncoder: null });
    const fromEmbeddings = await withoutEncoder.generate({ ...common, promptEmbeds: tf.squeeze(embeddings, [0]) });
    expect(bytes(fromEmbeddings.images)).toEqual(bytes(fromText.images));
    await expect(withoutEncoder.generate({ ...common, prompt: 'a daisy' })).rejects.toThrow(/prompt: this pipeline has no text encoder; give promptEmbeds/);
    embeddings.dispose();
  });

  it('swaps parts: your own sampler object, text encoder and autoencoder', async () => {
    const pipe = pipeline();
    const byName = await pipe.generate({ ...common, prompt: 'a poppy' });
    // A sampler object that is not registered under any name, stepping as Euler does.
    const mine = defineSampler({ name: 'my-euler', order: 1, step: (context) => euler.step(context) });
    const byObject = await pipe.generate({ ...common, prompt: 'a poppy', sampler: mine });
    expect(bytes(byObject.images)).toEqual(bytes(byName.images));

    // An autoencoder of your own: decoding counted, images inverted.
    let decodes = 0;
    const inverted: ImageAutoencoder = {
      ...{ latentChannels: 12, downsample: 2, scalingFactor: 1, id: 'inverted' },
      encode: (images) => autoencoder.encode(images),
      decode: async (latents) => {
        decodes += 1;
        const decoded = await autoencoder.decode(latents);
        return tf.tidy(() => tf.neg(decoded)) as tf.Tensor4D;
      },
      dispose: () => undefined,
    };
    const swapped = await pipeline({ autoencoder: inverted }).generate({ ...common, prompt: 'a poppy', numImagesPerPrompt: 2 });
    expect(decodes).toBe(2);
    const [plain] = byName.images;
    const [flipped] = swapped.images;
    // clamp(-d / 2 + 0.5) = 1 - clamp(d / 2 + 0.5): pixel values mirror, up to rounding at .5.
    const sums = Array.from(plain.data).map((value, i) => value + flipped.data[i]);
    expect(Math.min(...sums)).toBeGreaterThanOrEqual(254);
    expect(Math.max(...sums)).toBeLessThanOrEqual(256);
  });

  it('reports progress per step and each image as it is decoded', async () => {
    const steps: string[] = [];
    const decoded: string[] = [];
    await pipeline().generate({
      ...common,
      prompt: ['one', 'two'],
      numImagesPerPrompt: 2,
      onStep: ({ promptIndex, prompts, step, steps: total, t, latents }) => {
        expect(latents.shape).toEqual([2, 12, 6, 8]);
        steps.push(`${promptIndex + 1}/${prompts} ${step}/${total} t=${t.toFixed(2)}`);
      },
      onImage: ({ promptIndex, imageIndex, seed, image }) => {
        decoded.push(`${promptIndex}.${imageIndex} seed ${seed} ${image.width}x${image.height}`);
      },
    });
    expect(steps).toEqual(['1/2 1/3 t=0.33', '1/2 2/3 t=0.67', '1/2 3/3 t=1.00', '2/2 1/3 t=0.33', '2/2 2/3 t=0.67', '2/2 3/3 t=1.00']);
    expect(decoded).toEqual(['0.0 seed 4 16x12', '0.1 seed 5 16x12', '1.0 seed 4 16x12', '1.1 seed 5 16x12']);
  });

  it('starts from given latents, and stops on an abort between steps', async () => {
    const pipe = pipeline();
    const noise = pipe.prepareNoise({ batchSize: 1, width: 16, height: 12, seed: 9 });
    const seeded = await pipe.generate({ ...common, prompt: 'a lotus', seed: 9 });
    const given = await pipe.generate({ ...common, prompt: 'a lotus', latents: noise, seed: 123 });
    expect(bytes(given.images)).toEqual(bytes(seeded.images));
    await expect(pipe.generate({ ...common, prompt: 'a lotus', latents: noise, width: 32 })).rejects.toThrow(/width: 32 pixels does not match the latents' 16/);
    noise.dispose();

    const controller = new AbortController();
    const before = tf.memory().numTensors;
    const aborted = pipe.generate({ ...common, prompt: 'a lotus', steps: 10, signal: controller.signal, onStep: ({ step }) => (step === 2 ? controller.abort(new Error('stop here')) : undefined) });
    await expect(aborted).rejects.toThrow('stop here');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves no tensors behind, and returned latents are the only ones kept', async () => {
    const pipe = pipeline();
    const options = { ...common, prompt: ['a', 'b'], negativePrompt: 'c', numImagesPerPrompt: 2, cfgMode: 'separate' } as const;
    await pipe.generate(options);
    const before = tf.memory().numTensors;
    await pipe.generate(options);
    expect(tf.memory().numTensors).toBe(before);
    const { latents } = await pipe.generate({ ...options, returnLatents: true });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(latents!.shape).toEqual([4, 12, 6, 8]);
    latents!.dispose();
    await expect(pipe.generate({ ...options, width: 15 })).rejects.toThrow(PipelineOptionError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the option at fault', async () => {
    const pipe = pipeline();
    const cases: [Parameters<DiTPipeline['generate']>[0], string, RegExp][] = [
      [{ prompt: 'x', width: 30 }, 'width', /width: 30 pixels must be a positive multiple of 4 \(autoencoder downsample 2 x patch 2\)/],
      [{ prompt: 'x', height: 0 }, 'height', /height: 0 pixels must be a positive multiple of 4/],
      [{ prompt: 'x', sampler: 'leapfrog' }, 'sampler', /sampler: unknown sampler 'leapfrog'; registered samplers: .*rk4/],
      [{ prompt: 'x', steps: 2.5 }, 'steps', /steps: must be a positive integer, got 2.5/],
      [{ prompt: 'x', numImagesPerPrompt: 0 }, 'numImagesPerPrompt', /numImagesPerPrompt: must be a positive integer/],
      [{ prompt: 'x', seed: 0.5 }, 'seed', /seed: must be an integer/],
      [{ prompt: 'x', shift: 0 }, 'shift', /shift: must be a finite number > 0/],
      [{ prompt: 'x', guidanceScale: Number.NaN }, 'guidanceScale', /guidanceScale: must be a finite number/],
      [{ prompt: 'x', cfgMode: 'both' as 'batched' }, 'cfgMode', /cfgMode: must be 'batched' or 'separate'/],
      [{}, 'prompt', /prompt: give either prompt or promptEmbeds/],
      [{ prompt: [] }, 'prompt', /prompt: expected a string or a non-empty list of strings/],
      [{ promptEmbeds: tf.zeros([1, 8, 32]) }, 'promptEmbeds', /promptEmbeds: expected \[P, 8, 16\] or \[8, 16\] text embeddings \(config text_length, text_embed_dim\), got \[1, 8, 32\]/],
      [{ prompt: 'x', latents: tf.zeros([1, 4, 6, 8]) }, 'latents', /latents: expected \[B, 12, h, w\] starting noise/],
    ];
    for (const [options, option, message] of cases) {
      const error = await pipe.generate({ ...common, ...options }).catch((e: unknown) => e);
      expect(error, option).toBeInstanceOf(PipelineOptionError);
      expect((error as PipelineOptionError).option).toBe(option);
      expect((error as Error).message).toMatch(message);
    }
    expect(() => pipeline({ autoencoder: new PixelAutoencoder({ factor: 4 }) })).toThrow(/autoencoder: pixel-f4 has 48 latent channels, the model takes 12 \(config in_channels\)/);
    expect(() => pipeline({ textEncoder: new HashTextEncoder({ dim: 16, maxLength: 9 }) })).toThrow(/textEncoder: hash-encoder gives \[9, 16\] embeddings, the model takes \[8, 16\]/);
    expect(() => pipeline({ latentNormalization: { std: 0 } })).toThrow(/latentNormalization.std: must be a finite number > 0/);
    expect(() => pipeline({ sampling: { steps: 0 } })).toThrow(/sampling.steps: must be a positive integer/);
    expect(() => pipeline({ autoencoder: null }).prepareNoise()).toThrow(/autoencoder: this pipeline has no autoencoder/);
  });

  it('disposes only the parts it owns', () => {
    const own = smallModel(2);
    const encoder = new HashTextEncoder({ dim: 16, maxLength: 8 });
    new DiTPipeline({ model: own, textEncoder: encoder, autoencoder }).dispose();
    expect(encoder.disposed).toBe(false);
    expect(() => own.forward(tf.zeros([1, 12, 4, 4]), tf.zeros([1]), tf.zeros([1, 8, 16])).dispose()).not.toThrow();
    const owning = new DiTPipeline({ model: own, textEncoder: encoder, autoencoder, owned: ['model', 'textEncoder'] });
    owning.dispose();
    expect(encoder.disposed).toBe(true);
    expect(() => own.forward(tf.zeros([1, 12, 4, 4]), tf.zeros([1]), tf.zeros([1, 8, 16]))).toThrow();
    expect(() => owning.prepareNoise()).toThrow(/used after dispose/);
  });
});
