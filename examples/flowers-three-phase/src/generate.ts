import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileAtomic } from '@dit/core';
import { writeSampleGrid } from '@dit/cli';
import { encodePng, type Bucket } from '@dit/data';
import type { ImageAutoencoder } from '@dit/encoders';
import { LatentNormalization } from '@dit/flow';
import { SingleStreamDiTV2 } from '@dit/model';
import { createNoise } from '@dit/samplers';
import { sampleImage, type Phase } from '@dit/train';
import type { EncodedPrompts } from './prompts.js';

export interface GenerateOptions {
  /** A saved model folder (config.json + model.safetensors): the run's `final/`, the EMA weights. */
  modelDir: string;
  prompts: EncodedPrompts;
  autoencoder: ImageAutoencoder;
  /** The phase the weights were trained in last: its normalisation is inverted before decoding. */
  lastPhase: Phase;
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
 * The original's inference: each prompt from its own seeded noise, RK4 over 50 steps with CFG
 * 1.5 against all-zero text, then decode z = ((x - offset) * std) / scaling factor (SPEC
 * sections 3-4). Writes `NN-<prompt>.png` and a one-row grid; returns the PNG paths.
 */
export async function generateImages(options: GenerateOptions): Promise<{ files: string[]; grid: string }> {
  const model = await SingleStreamDiTV2.fromPretrained(options.modelDir);
  const { autoencoder, bucket, prompts } = options;
  const norm = new LatentNormalization({ scalingFactor: autoencoder.scalingFactor, ...options.lastPhase.latentNorm });
  const [count, length, dim] = prompts.shape;
  const height = bucket.height / autoencoder.downsample;
  const width = bucket.width / autoencoder.downsample;
  const files: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const started = Date.now();
      const text = tf.tensor3d(prompts.embeddings.subarray(i * length * dim, (i + 1) * length * dim), [1, length, dim]);
      const noise = createNoise({ shape: [1, model.config.inChannels, height, width], seed: `generate/${options.seed}/${i}` });
      try {
        const image = await sampleImage({
          model,
          prompt: { name: String(i), text, height, width },
          noise,
          toCached: (x) => norm.toCached(x),
          autoencoder,
          steps: options.steps,
          sampler: options.sampler,
          guidanceScale: options.guidanceScale,
        });
        const file = join(options.outDir, `${String(i + 1).padStart(2, '0')}-${slug(prompts.prompts[i])}.png`);
        await writeFileAtomic(file, await encodePng(image));
        files.push(file);
        options.log(`generated ${file} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      } finally {
        tf.dispose([text, noise]);
      }
    }
  } finally {
    model.dispose();
  }
  const grid = join(options.outDir, 'grid.png');
  await writeSampleGrid([{ label: 'final EMA', files }], grid, { tile: 128, labelWidth: 100 });
  return { files, grid };
}
