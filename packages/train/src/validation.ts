import * as tf from '@tensorflow/tfjs-core';
import { Rng, withDefaults, writeFileAtomic } from '@dit/core';
import { encodePng, type RgbImage } from '@dit/data';
import type { ImageAutoencoder } from '@dit/encoders';
import type { LatentNormalization } from '@dit/flow';
import type { SingleStreamDiTV2 } from '@dit/model';
import { DiTPipeline } from '@dit/pipeline';
import { join } from 'node:path';
import type { TrainingDataset } from './dataset.js';
import type { Ema } from './ema.js';
import type { SampleEvent } from './events.js';
import { withWeights } from './internals/swap-weights.js';

/** A prompt to sample at validation: text embeddings and the latent size to draw. */
export interface ValidationPrompt {
  /** Used in file names. */
  name: string;
  /** [L, dim] or [1, L, dim]. */
  text: tf.Tensor;
  /** Latent height and width (image size / the autoencoder's downsampling). */
  height: number;
  width: number;
}

export interface ValidationOptions {
  /** Decodes latents to images. */
  autoencoder: ImageAutoencoder;
  /** Sample every this many epochs (after epochs that are multiples of it). Default 5 (SPEC section 6). */
  every?: number;
  /** Dataset entries whose text and size to sample (the original used one fixed entry). Default [0]. */
  entries?: number[];
  /** Extra prompts, e.g. encoded captions that are not in the dataset. */
  prompts?: ValidationPrompt[];
  /** Default 30 (the original's validation). */
  steps?: number;
  /** Default 'euler' (the original's validation). */
  sampler?: string;
  /** Default 1 (the original's validation). */
  guidanceScale?: number;
  /** Seed of the fixed noise, the same at every validation. Default 0. */
  seed?: number;
  /** Sample with the trained weights. Default true. */
  raw?: boolean;
  /** Sample with the EMA weights too, when there is an EMA. Default true. */
  ema?: boolean;
}

export const VALIDATION_DEFAULTS = { every: 5, entries: [0], steps: 30, sampler: 'euler', guidanceScale: 1, seed: 0, raw: true, ema: true } as const;

export interface SampleImageOptions {
  model: SingleStreamDiTV2;
  prompt: ValidationPrompt;
  /** Fixed starting noise [1, C, h, w]. */
  noise: tf.Tensor;
  /** Model-space latents -> the autoencoder's scaled latents (the phase's inverse normalisation). */
  toCached: (x: tf.Tensor) => tf.Tensor;
  autoencoder: ImageAutoencoder;
  steps: number;
  sampler: string;
  guidanceScale: number;
}

/**
 * Samples one prompt from its noise and decodes it, through `DiTPipeline` of @dit/pipeline.
 * @deprecated Use `DiTPipeline`: `new DiTPipeline({ model, autoencoder, latentNormalization }).generate({ promptEmbeds, latents: noise, ... })`.
 */
export async function sampleImage(options: SampleImageOptions): Promise<RgbImage> {
  const { model, prompt, noise, autoencoder } = options;
  const pipe = new DiTPipeline({ model, autoencoder });
  const cond = tf.tidy(() => (prompt.text.rank === 2 ? tf.expandDims(prompt.text, 0) : tf.clone(prompt.text)));
  try {
    const latents = await pipe.denoise({ noise, cond, steps: options.steps, sampler: options.sampler, guidanceScale: options.guidanceScale }).finally(() => cond.dispose());
    // A pipeline without normalisation decodes the cached latents the caller's function gives.
    const cached = tf.tidy(() => options.toCached(latents));
    latents.dispose();
    const [image] = await pipe.decode(cached).finally(() => cached.dispose());
    return image;
  } finally {
    pipe.dispose();
  }
}

/** The fixed noise of prompt `index`: the same tensor values at every validation. */
export function validationNoise(options: { seed: number; index: number; channels: number; height: number; width: number }): tf.Tensor {
  const { seed, index, channels, height, width } = options;
  return new Rng(`validation/${seed}/${index}`).normalTensor([1, channels, height, width]);
}

/** Writes `samples/epoch_<E>_<raw|ema>_<name>.png`. */
export async function writeSample(options: { dir: string; epoch: number; kind: 'raw' | 'ema'; name: string; image: RgbImage }): Promise<string> {
  const path = join(options.dir, `epoch_${String(options.epoch).padStart(4, '0')}_${options.kind}_${options.name}.png`);
  await writeFileAtomic(path, await encodePng(options.image));
  return path;
}

export interface RunValidationOptions {
  model: SingleStreamDiTV2;
  dataset: TrainingDataset;
  validation: ValidationOptions;
  /** The epoch just trained (used in file names). */
  epoch: number;
  step: number;
  /** The normalisation of the phase that just trained. */
  latentNorm: LatentNormalization;
  ema: Ema | null;
  samplesDir: string;
  /** Told about every image written. */
  onSample?: (event: SampleEvent) => void | Promise<void>;
}

/**
 * Samples the validation prompts from their fixed noise with the trained weights and (when
 * there is one) the EMA weights, as the original's phase 3 did, and writes the PNGs.
 */
export async function runValidation(options: RunValidationOptions): Promise<SampleEvent[]> {
  const { model, dataset, epoch, step, latentNorm, ema } = options;
  const validating = withDefaults(VALIDATION_DEFAULTS, options.validation);
  const prompts: ValidationPrompt[] = [...(validating.prompts ?? [])];
  const owned: tf.Tensor[] = [];
  const events: SampleEvent[] = [];
  try {
    for (const index of validating.entries) {
      const loaded = await dataset.loadBatch({ epoch: 0, position: 0, bucket: '', indices: [index] }, { flip: false, textDropout: 0, rng: new Rng(0) });
      const [, , height, width] = loaded.latents.shape;
      tf.dispose([loaded.latents, ...(loaded.attentionMask ? [loaded.attentionMask] : [])]);
      owned.push(loaded.text);
      prompts.push({ name: `entry${index}`, text: loaded.text, height, width });
    }
    const variables = new Map(model.namedVariables().map(({ name, variable }) => [name, variable]));
    const kinds: ('raw' | 'ema')[] = [...(validating.raw ? ['raw' as const] : []), ...(validating.ema && ema ? ['ema' as const] : [])];
    const pipe = new DiTPipeline({ model, autoencoder: validating.autoencoder, latentNormalization: { std: latentNorm.std, offset: latentNorm.offset } });
    for (const kind of kinds) {
      const run = async () => {
        for (const [index, prompt] of prompts.entries()) {
          const noise = validationNoise({ seed: validating.seed, index, channels: model.config.inChannels, height: prompt.height, width: prompt.width });
          try {
            const { images } = await pipe.generate({ promptEmbeds: prompt.text, latents: noise, steps: validating.steps, sampler: validating.sampler, guidanceScale: validating.guidanceScale });
            const path = await writeSample({ dir: options.samplesDir, epoch, kind, name: prompt.name, image: images[0] });
            const event: SampleEvent = { epoch, step, kind, prompt: prompt.name, path, image: images[0] };
            events.push(event);
            await options.onSample?.(event);
          } finally {
            noise.dispose();
          }
        }
      };
      if (kind === 'ema') await withWeights(variables, ema!.weights, run);
      else await run();
    }
    return events;
  } finally {
    tf.dispose(owned);
  }
}
