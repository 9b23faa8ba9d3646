import type * as tf from '@tensorflow/tfjs-core';
import type { RgbImage } from '@dit/data';
import { LATENT_NORMALIZATION_DEFAULTS } from '@dit/flow';
import type { CfgMode, Sampler } from '@dit/samplers';

/** Sampling settings a pipeline keeps as its defaults (saved in pipeline.json). */
export interface SamplingDefaults {
  /** Integration steps. */
  steps: number;
  /** A registered sampler name (`listSamplers()` of @dit/samplers). */
  sampler: string;
  /** Classifier-free guidance scale w; 1 skips the unconditional pass. */
  guidanceScale: number;
  /** 'batched': one forward of [uncond; cond]; 'separate': two (less memory). */
  cfgMode: CfgMode;
  /** Timestep shift of the sampling grid (SPEC section 3); 1 = uniform. */
  shift: number;
  /** Image size in pixels. */
  width: number;
  height: number;
}

/** The original's inference settings (SPEC section 3): RK4, 50 steps, CFG 1.5, 512x512. */
export const SAMPLING_DEFAULTS = {
  steps: 50,
  sampler: 'rk4',
  guidanceScale: 1.5,
  cfgMode: 'batched',
  shift: 1,
  width: 512,
  height: 512,
} as const satisfies SamplingDefaults;

/** The latent normalisation the model was trained with (SPEC section 4): model latent = cached / std + offset. */
export interface LatentNormalizationValues {
  std: number;
  offset: number;
}

/** No normalisation: std 1, offset 0 (@dit/flow's defaults). */
export const LATENT_NORMALIZATION_IDENTITY = LATENT_NORMALIZATION_DEFAULTS satisfies LatentNormalizationValues;

/** What `onStep` is told after every sampling step. */
export interface GenerateStepInfo {
  /** Which prompt (0-based) is being sampled; its images are sampled together. */
  promptIndex: number;
  prompts: number;
  /** Steps done for this prompt, 1..steps. */
  step: number;
  steps: number;
  /** Time reached (t = 1 is data). */
  t: number;
  /** Model-space latents [numImagesPerPrompt, C, h, w] at t; valid during the callback only. */
  latents: tf.Tensor;
}

/** What `onImage` is told as each image is decoded. */
export interface GeneratedImageInfo {
  image: RgbImage;
  /** Which prompt (0-based) and which of its images (0-based). */
  promptIndex: number;
  imageIndex: number;
  /** The seed of its starting noise (seed + imageIndex), or null when `latents` were given. */
  seed: number | null;
}

/** The sampling settings of one call (`generate`, `denoise`); each left out takes the pipeline's default. */
export interface SamplingOptions {
  steps?: number;
  /** A registered sampler name, or your own `Sampler` (see `defineSampler` of @dit/samplers). */
  sampler?: string | Sampler;
  guidanceScale?: number;
  cfgMode?: CfgMode;
  shift?: number;
  /** A custom grid of times instead of steps and shift: strictly increasing, in [0, 1]. */
  timesteps?: readonly number[];
  /** Stops between sampling steps; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of `DiTPipeline.generate`; every one left out takes the pipeline's default, then `GENERATE_DEFAULTS`. */
export interface GenerateOptions extends SamplingOptions {
  /** One prompt or several; each gives `numImagesPerPrompt` images. Needs a text encoder. */
  prompt?: string | readonly string[];
  /** Text embeddings instead of prompts: [P, L, dim] or [L, dim] (one prompt). Not disposed. */
  promptEmbeds?: tf.Tensor;
  /** Encoded as the unconditional text of CFG; without it (and `negativePromptEmbeds`) that text is all zeros, as in training. */
  negativePrompt?: string;
  /** Unconditional text embeddings [1, L, dim] or [L, dim] instead of `negativePrompt`. Not disposed. */
  negativePromptEmbeds?: tf.Tensor;
  /** Image size in pixels: a multiple of the autoencoder's downsampling times the patch size. */
  width?: number;
  height?: number;
  /** Image k of every prompt starts from the noise of seed + k (`createNoise` of @dit/samplers). */
  seed?: number;
  numImagesPerPrompt?: number;
  /** Starting noise [numImagesPerPrompt, C, h, w] for every prompt, instead of seeded noise. Not disposed. */
  latents?: tf.Tensor;
  /** Also return the final model-space latents (the caller disposes them). Default false. */
  returnLatents?: boolean;
  /** After every sampling step; awaited when it returns a promise. */
  onStep?: (info: GenerateStepInfo) => void | Promise<void>;
  /** As each image is decoded (e.g. to write it); awaited when it returns a promise. */
  onImage?: (info: GeneratedImageInfo) => void | Promise<void>;
}

/** Defaults of `generate` beyond the sampling defaults. */
export const GENERATE_DEFAULTS = {
  ...SAMPLING_DEFAULTS,
  seed: 0,
  numImagesPerPrompt: 1,
  returnLatents: false,
} as const satisfies Partial<GenerateOptions>;

export interface GenerateResult {
  /** Prompt-major: image k of prompt p is `images[p * numImagesPerPrompt + k]`. */
  images: RgbImage[];
  /** With `returnLatents`: model-space latents [P * numImagesPerPrompt, C, h, w], yours to dispose. */
  latents?: tf.Tensor4D;
}

/** Text conditioning for `denoise`, from `encodePrompts`. */
export interface EncodedPrompts {
  /** [P, L, dim]. */
  cond: tf.Tensor3D;
  /** [1, L, dim], or null for all-zero unconditional text. */
  uncond: tf.Tensor3D | null;
  dispose(): void;
}

/** Options of `prepareNoise`. */
export interface PrepareNoiseOptions {
  /** Images in the batch; image k uses seed + k. Default 1. */
  batchSize?: number;
  /** Image size in pixels. Default: the pipeline's. */
  width?: number;
  height?: number;
  /** Default 0. */
  seed?: number;
}

/** Options of `denoise`: sampling from given noise and conditioning. */
export interface DenoiseOptions extends SamplingOptions {
  /** Starting noise [B, C, h, w] (see `prepareNoise`). Not disposed. */
  noise: tf.Tensor;
  /** Text embeddings [B, L, dim] or [1, L, dim]. Not disposed. */
  cond: tf.Tensor;
  /** Unconditional text [1, L, dim] or like cond; default all zeros. Not disposed. */
  uncond?: tf.Tensor | null;
  onStep?: (info: { step: number; steps: number; t: number; latents: tf.Tensor }) => void | Promise<void>;
}
