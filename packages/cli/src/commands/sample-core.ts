import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { withDefaults, writeFileAtomic, writeJsonAtomic } from '@dit/core';
import { encodePng, readCacheEntry, tensorToImage, type RgbImage } from '@dit/data';
import type { ImageAutoencoder, TextEncoder } from '@dit/encoders';
import { LatentNormalization } from '@dit/flow';
import { createNoise, getSampler, sample, type CfgMode } from '@dit/samplers';
import { CliError, EXIT } from '../errors.js';
import { loadAutoencoder, loadTextEncoder } from '../loaders.js';
import { entryJob, promptJobs, type Job } from './sample-jobs.js';
import { findSamplingModel, loadSamplingModel, type CheckpointWeights, type SamplingModelSource } from './sample-model.js';
import { addPngText } from './sample-png-text.js';

export interface GenerateOptions {
  /** A model folder (config.json + model.safetensors), a training checkpoint, or a run folder. */
  model: string;
  /** For a checkpoint: its EMA or raw weights. Default EMA when the checkpoint has one. */
  weights?: CheckpointWeights;
  /** Text-to-image prompts. */
  prompts?: string[];
  /** Encoded as the unconditional text; without it the unconditional text is all zeros (as in training). */
  negativePrompt?: string;
  /** A spec for `loadTextEncoder` (hub id, folder, `random[:tiny[:seed]]`) or an encoder. */
  textEncoder?: string | TextEncoder;
  /** Cached entries (.safetensors) to sample from their text embeddings, at their size. */
  entries?: string[];
  /** A spec for `loadAutoencoder` or an autoencoder. Default: the entries' autoencoder, else the SDXL VAE. */
  vae?: string | ImageAutoencoder;
  /** Image size in pixels for prompts; entries use their own unless these are given. */
  width?: number;
  height?: number;
  steps?: number;
  /** Any registered sampler name (`listSamplers()`). */
  sampler?: string;
  /** Classifier-free guidance scale w. */
  cfg?: number;
  cfgMode?: CfgMode;
  /** Timestep shift of the sampling grid (SPEC section 3); 1 = none. */
  shift?: number;
  /** Image k of every prompt starts from the noise of seed + k. */
  seed?: number;
  /** Images per prompt or entry. */
  batch?: number;
  /** The latent normalisation of training. Default: the checkpoint's (state.json), else std 1, offset 0. */
  latentStd?: number;
  latentOffset?: number;
  outDir?: string;
  onImage?: (image: GeneratedImage) => void;
  onStep?: (info: { job: string; step: number; steps: number }) => void;
  signal?: AbortSignal;
}

/** The original's inference defaults (SPEC section 3): RK4, 50 steps, CFG 1.5, 512x512. */
export const GENERATE_DEFAULTS = {
  textEncoder: 'google/t5gemma-2-1b-1b',
  vae: 'KBlueLeaf/EQ-SDXL-VAE',
  width: 512,
  height: 512,
  steps: 50,
  sampler: 'rk4',
  cfg: 1.5,
  cfgMode: 'batched',
  shift: 1,
  seed: 0,
  batch: 1,
  outDir: 'samples',
} as const satisfies Partial<GenerateOptions>;

/** What made an image: written into its PNG text chunks and the JSON beside it. */
export interface SampleSettings {
  prompt: string;
  negativePrompt: string | null;
  /** The cache entry sampled from, in entry mode. */
  entry: string | null;
  seed: number;
  steps: number;
  sampler: string;
  cfg: number;
  shift: number;
  model: string;
  weights: SamplingModelSource['weights'];
  width: number;
  height: number;
  latentStd: number;
  latentOffset: number;
  textEncoder: string | null;
  vae: string;
}

export interface GeneratedImage {
  path: string;
  settingsPath: string;
  settings: SampleSettings;
}

/** A PNG keyword per setting (snake_case), plus `parameters`: all of them as JSON. */
export function settingsToPngText(settings: SampleSettings): Record<string, string> {
  const text: Record<string, string> = { Software: '@dit/cli dit sample' };
  for (const [key, value] of Object.entries(settings)) {
    if (value !== null) text[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = String(value);
  }
  text.parameters = JSON.stringify(settings);
  return text;
}

/** `t5gemma2-random-tiny-seed0` (a random encoder's id) -> `random:tiny:0`; other ids are hub ids or folders already. */
export function textEncoderSpecFromId(id: string): string {
  const random = /^t5gemma2-random-([\w-]+)-seed(\d+)$/.exec(id);
  return random ? `random:${random[1]}:${random[2]}` : id;
}

/** `pixel-f4` (a PixelAutoencoder's id) -> `pixel:4`; other ids are hub ids or folders already. */
export function autoencoderSpecFromId(id: string): string {
  const pixel = /^pixel-f(\d+)$/.exec(id);
  return pixel ? `pixel:${pixel[1]}` : id;
}

function checkOptions(generation: GenerateOptions & typeof GENERATE_DEFAULTS): void {
  const positiveInteger = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 1) throw new CliError(`--${name}: expected a positive integer, got ${value}`, EXIT.usage);
  };
  positiveInteger('steps', generation.steps);
  positiveInteger('batch', generation.batch);
  if (!Number.isInteger(generation.seed)) throw new CliError(`--seed: expected an integer, got ${generation.seed}`, EXIT.usage);
  if (!(generation.shift > 0)) throw new CliError(`--shift: expected a number > 0, got ${generation.shift}`, EXIT.usage);
  if (!Number.isFinite(generation.cfg)) throw new CliError(`--cfg: expected a number, got ${generation.cfg}`, EXIT.usage);
  if (generation.latentStd !== undefined && !(generation.latentStd > 0)) throw new CliError(`--latent-std: expected a number > 0, got ${generation.latentStd}`, EXIT.usage);
  try {
    getSampler(generation.sampler);
  } catch (error) {
    throw new CliError(`--sampler: ${(error as Error).message}`, EXIT.usage);
  }
  if (!generation.prompts?.length && !generation.entries?.length) throw new CliError('nothing to sample: give --prompt, --prompts or --entry', EXIT.usage);
}

/** Image k of scaled latents [B, C, h, w] as 8-bit RGB: clamp(decode(z) / 2 + 0.5, 0, 1) (SPEC section 4). */
async function decodeOne(vae: ImageAutoencoder, cached: tf.Tensor4D, k: number): Promise<RgbImage> {
  const one = tf.slice(cached, [k, 0, 0, 0], [1, -1, -1, -1]);
  const decoded = await vae.decode(one);
  one.dispose();
  const unit = tf.tidy(() => tf.clipByValue(tf.add(tf.div(decoded, 2), 0.5), 0, 1));
  decoded.dispose();
  try {
    return await tensorToImage(unit);
  } finally {
    unit.dispose();
  }
}

/**
 * Text-to-image and cached-entry-to-image, as the original's inference_unified.py: every
 * prompt or entry gives `batch` images, sampled from seeded noise, decoded, and written as
 * PNGs whose text chunks hold the settings, each with a `.json` of the same settings beside it.
 */
export async function generateImages(options: GenerateOptions): Promise<GeneratedImage[]> {
  const generation = withDefaults(GENERATE_DEFAULTS, options) as GenerateOptions & typeof GENERATE_DEFAULTS;
  checkOptions(generation);
  const source = await findSamplingModel(generation.model, generation.weights);
  const latentStd = generation.latentStd ?? source.latentNorm?.std ?? 1;
  const latentOffset = generation.latentOffset ?? source.latentNorm?.offset ?? 0;
  const model = await loadSamplingModel(source);
  const owned: { dispose(): void }[] = [model];
  const tensors: tf.Tensor[] = [];
  try {
    let vaeSpec: string | ImageAutoencoder = generation.vae;
    if (options.vae === undefined && generation.entries?.length) vaeSpec = autoencoderSpecFromId((await readCacheEntry(generation.entries[0])).metadata.autoencoder);
    const vae = typeof vaeSpec === 'string' ? await loadAutoencoder(vaeSpec) : vaeSpec;
    if (typeof vaeSpec === 'string') owned.push(vae);
    if (vae.latentChannels !== model.config.inChannels) {
      throw new CliError(`--vae ${vae.id} has ${vae.latentChannels} latent channels, the model takes ${model.config.inChannels} (config in_channels)`, EXIT.usage);
    }
    const multiple = vae.downsample * model.config.patchSize;
    for (const [name, value] of [['width', options.width], ['height', options.height]] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value <= 0 || value % multiple !== 0)) {
        throw new CliError(`--${name}: ${value} pixels must be a positive multiple of ${multiple} (autoencoder downsample ${vae.downsample} x patch ${model.config.patchSize})`, EXIT.usage);
      }
    }

    const jobs: Job[] = [];
    let uncond: tf.Tensor3D | undefined;
    let textEncoderId: string | null = null;
    if (generation.prompts?.length) {
      const encoder = typeof generation.textEncoder === 'string' ? await loadTextEncoder(generation.textEncoder, { maxLength: model.config.textLength }) : generation.textEncoder;
      textEncoderId = typeof generation.textEncoder === 'string' ? generation.textEncoder : encoder.id;
      try {
        const size = { width: generation.width / vae.downsample, height: generation.height / vae.downsample };
        const encoded = await promptJobs(model, encoder, generation.prompts, size, generation.negativePrompt);
        jobs.push(...encoded.jobs);
        uncond = encoded.uncond;
      } finally {
        // Free the text encoder before sampling, as the original did.
        if (typeof generation.textEncoder === 'string') encoder.dispose();
      }
    }
    for (const entry of generation.entries ?? []) jobs.push(await entryJob(model, entry, options, vae.downsample));
    tensors.push(...jobs.map((job) => job.cond), ...(uncond ? [uncond] : []));

    const latentNorm = new LatentNormalization({ scalingFactor: vae.scalingFactor, std: latentStd, offset: latentOffset });
    const images: GeneratedImage[] = [];
    for (const [index, job] of jobs.entries()) {
      const seeds = Array.from({ length: generation.batch }, (_, k) => generation.seed + k);
      const noise = tf.tidy(() => tf.concat(seeds.map((seed) => createNoise({ shape: [1, model.config.inChannels, job.height, job.width], seed }))));
      let latents: tf.Tensor;
      try {
        latents = await sample({
          velocity: (x, t, text) => model.forward(x as tf.Tensor4D, t, text as tf.Tensor3D),
          noise,
          cond: job.cond,
          // The negative prompt applies to text prompts; entries keep the zero text they were trained against.
          uncond: job.entry === null ? uncond : undefined,
          steps: generation.steps,
          sampler: generation.sampler,
          guidanceScale: generation.cfg,
          cfgMode: generation.cfgMode,
          shift: generation.shift,
          signal: generation.signal,
          onStep: generation.onStep ? ({ step, steps }) => generation.onStep!({ job: job.name, step, steps }) : undefined,
        });
      } finally {
        noise.dispose();
      }
      const cached = tf.tidy(() => latentNorm.toCached(latents)) as tf.Tensor4D;
      latents.dispose();
      try {
        for (const [k, seed] of seeds.entries()) {
          const image = await decodeOne(vae, cached, k);
          const settings: SampleSettings = {
            prompt: job.prompt,
            negativePrompt: job.entry === null ? (generation.negativePrompt ?? null) : null,
            entry: job.entry,
            seed,
            steps: generation.steps,
            sampler: generation.sampler,
            cfg: generation.cfg,
            shift: generation.shift,
            model: source.weightsPath,
            weights: source.weights,
            width: image.width,
            height: image.height,
            latentStd,
            latentOffset,
            textEncoder: job.entry === null ? textEncoderId : null,
            vae: typeof vaeSpec === 'string' ? vaeSpec : vae.id,
          };
          const stem = `${String(index).padStart(3, '0')}-${job.name}-seed${seed}`;
          const generated = { path: join(generation.outDir, `${stem}.png`), settingsPath: join(generation.outDir, `${stem}.json`), settings };
          await writeFileAtomic(generated.path, addPngText(await encodePng(image), settingsToPngText(settings), generated.path));
          await writeJsonAtomic(generated.settingsPath, settings);
          images.push(generated);
          generation.onImage?.(generated);
        }
      } finally {
        cached.dispose();
      }
    }
    return images;
  } finally {
    tf.dispose(tensors);
    for (const item of owned) item.dispose();
  }
}
