import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileAtomic } from '@dit/core';
import { encodePng, writeSampleGrid, type Bucket } from '@dit/data';
import type { ImageAutoencoder } from '@dit/encoders';
import { DiTPipeline } from '@dit/pipeline';
import { createNoise } from '@dit/samplers';
import type { EncodedPrompts } from './prompts.js';

export interface GenerateFinalImagesOptions {
  /** The run's `final/`: a pipeline folder (EMA weights, pipeline.json with the last phase's normalisation). */
  finalDir: string;
  prompts: EncodedPrompts;
  /** The run's autoencoder, already loaded (the pipeline borrows it). */
  autoencoder: ImageAutoencoder;
  /** Image size in pixels. */
  bucket: Bucket;
  outDir: string;
  sampler: string;
  steps: number;
  guidanceScale: number;
  seed: number;
  log: (line: string) => void;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/^an? (macro shot|close-up) of (an? )?/, '').replace(/[^a-z0-9]+/g, '-').slice(0, 40).replace(/-+$/, '');
}

/**
 * The original's inference with `DiTPipeline`: each prompt (encoded while the text encoder was
 * loaded) from its own seeded noise, RK4 over 50 steps with CFG 1.5 against all-zero text, then
 * the last phase's normalisation undone and decoded (SPEC sections 3-4). Writes
 * `NN-<prompt>.png` and a one-row grid; returns the PNG paths.
 */
export async function generateFinalImages(options: GenerateFinalImagesOptions): Promise<{ files: string[]; grid: string }> {
  const { autoencoder, bucket, prompts } = options;
  const pipe = await DiTPipeline.fromPretrained(options.finalDir, { textEncoder: null, autoencoder });
  const [count, length, dim] = prompts.shape;
  const shape = [1, pipe.model.config.inChannels, bucket.height / autoencoder.downsample, bucket.width / autoencoder.downsample];
  const files: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const started = Date.now();
      const text = tf.tensor3d(prompts.embeddings.subarray(i * length * dim, (i + 1) * length * dim), [1, length, dim]);
      const noise = createNoise({ shape, seed: `generate/${options.seed}/${i}` });
      try {
        const { images } = await pipe.generate({ promptEmbeds: text, latents: noise, steps: options.steps, sampler: options.sampler, guidanceScale: options.guidanceScale });
        const file = join(options.outDir, `${String(i + 1).padStart(2, '0')}-${slug(prompts.prompts[i])}.png`);
        await writeFileAtomic(file, await encodePng(images[0]));
        files.push(file);
        options.log(`generated ${file} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      } finally {
        tf.dispose([text, noise]);
      }
    }
  } finally {
    pipe.dispose();
  }
  const grid = join(options.outDir, 'grid.png');
  await writeSampleGrid([{ label: 'final EMA', files }], grid, { tile: 128, labelWidth: 100 });
  return { files, grid };
}
