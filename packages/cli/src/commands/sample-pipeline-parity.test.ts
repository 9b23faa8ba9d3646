import * as tf from '@tensorflow/tfjs-core';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@dit/core';
import { presets, SingleStreamDiTV2 } from '@dit/model';
import { DiTPipeline } from '@dit/pipeline';
import { EXIT } from '../errors.js';
import { runCli } from '../main.js';
import { capture } from '../test-capture.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-cli-parity-'));
  const dit = new SingleStreamDiTV2({ ...presets.tiny, inChannels: 48, textDim: 64, textLength: 16, seed: 3 });
  // Fresh adaLN-Zero weights give a zero velocity whatever the text: move every weight so that prompts matter.
  const rng = new Rng('perturb');
  for (const { variable } of dit.namedVariables()) variable.assign(tf.tidy(() => tf.add(variable, tf.mul(rng.normalTensor(variable.shape), 0.1))));
  await dit.savePretrained(join(dir, 'model'));
  dit.dispose();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Before `dit sample` used the pipeline, this test compared DiTPipeline.generate with its own
// sampling code and found them equal bit for bit (commit 1eacba3). Now it checks that the
// command maps its flags onto the pipeline faithfully.
describe('dit sample and DiTPipeline.generate', () => {
  it('draw the same pixels for the same settings, prompt for prompt and seed for seed', async () => {
    const prompts = ['A pink rose with dew drops', 'A yellow tulip in a field.'];
    for (const [index, settings] of [
      { negativePrompt: 'blurry', steps: 3, sampler: 'rk4', cfg: 2, shift: 3, seed: 7 },
      { negativePrompt: undefined, steps: 2, sampler: 'euler', cfg: 1, shift: 1, seed: 0 },
    ].entries()) {
      const outDir = join(dir, `cli-${index}`);
      const args = ['sample', '--model', join(dir, 'model'), '--text-encoder', 'random:tiny', '--vae', 'pixel:4', '--width', '24', '--height', '40', '--batch', '2'];
      args.push('--latent-std', '2', '--latent-offset', '0.5', '--steps', String(settings.steps), '--sampler', settings.sampler, '--cfg', String(settings.cfg));
      args.push('--shift', String(settings.shift), '--seed', String(settings.seed), '--out', outDir, ...prompts.flatMap((p) => ['--prompt', p]));
      if (settings.negativePrompt) args.push('--negative-prompt', settings.negativePrompt);
      expect(await runCli(args, capture().io)).toBe(EXIT.ok);
      const files = readdirSync(outDir).filter((f) => f.endsWith('.png')).sort();
      expect(files).toHaveLength(4);
      const written = await Promise.all(files.map((f) => sharp(join(outDir, f)).raw().toBuffer()));

      const pipe = await DiTPipeline.fromPretrained(join(dir, 'model'), { textEncoder: 'random:tiny', autoencoder: 'pixel:4', latentNormalization: { std: 2, offset: 0.5 } });
      const { images } = await pipe.generate({
        prompt: prompts,
        negativePrompt: settings.negativePrompt,
        width: 24,
        height: 40,
        numImagesPerPrompt: 2,
        steps: settings.steps,
        sampler: settings.sampler,
        guidanceScale: settings.cfg,
        shift: settings.shift,
        seed: settings.seed,
      });
      pipe.dispose();
      expect(images).toHaveLength(4);
      for (const [k, image] of images.entries()) {
        expect(Buffer.from(image.data).equals(written[k]), `${settings.sampler} image ${k}`).toBe(true);
      }
      // Seeds and prompts both matter.
      expect(Buffer.from(images[0].data).equals(Buffer.from(images[1].data))).toBe(false);
      expect(Buffer.from(images[0].data).equals(Buffer.from(images[2].data))).toBe(false);
    }
  });
});
