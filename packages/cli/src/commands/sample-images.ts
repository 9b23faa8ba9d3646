import * as tf from '@tensorflow/tfjs-core';
import { basename, join } from 'node:path';
import { withDefaults, writeFileAtomic, writeJsonAtomic } from '@dit/core';
import { addPngText, encodePng, readCacheEntry, readCacheEntryHeader } from '@dit/data';
import type { ImageAutoencoder, TextEncoder } from '@dit/encoders';
import { autoencoderSpecFromId, DiTPipeline, imageFileSlug, PipelineOptionError, type GeneratedImageInfo } from '@dit/pipeline';
import type { CfgMode } from '@dit/samplers';
import { CliError, EXIT } from '../errors.js';
import { settingsToPngText, type SampleSettings } from './sample-settings.js';
import { findSampleSource, type CheckpointWeights } from './sample-source.js';

/** What `dit sample` draws, as a library call: flags mapped onto a `DiTPipeline`, images written as PNGs with their settings. */
export interface SampleImagesOptions {
  /** A pipeline or model folder, a training checkpoint, or a run folder. */
  model: string;
  /** For a checkpoint: its EMA or raw weights. Default EMA when the checkpoint has one. */
  weights?: CheckpointWeights;
  /** Text-to-image prompts. */
  prompts?: string[];
  /** Encoded as the unconditional text; without it the unconditional text is all zeros (as in training). */
  negativePrompt?: string;
  /** A spec (`loadTextEncoder` of @dit/pipeline) or an encoder. Default: the folder's pipeline.json (a checkpoint: its run's run.json), else T5Gemma 2. */
  textEncoder?: string | TextEncoder;
  /** Cached entries (.safetensors) to sample from their text embeddings, at their size. */
  entries?: string[];
  /** A spec (`loadAutoencoder`) or an autoencoder. Default: the entries' autoencoder, else pipeline.json's (a checkpoint: its run's run.json), else the EQ-SDXL VAE. */
  vae?: string | ImageAutoencoder;
  /** Image size in pixels for prompts (default: pipeline.json's, else 512); entries use their own unless these are given. */
  width?: number;
  height?: number;
  /** Sampling settings; default pipeline.json's, else the original's RK4, 50 steps, CFG 1.5. */
  steps?: number;
  sampler?: string;
  cfg?: number;
  cfgMode?: CfgMode;
  shift?: number;
  /** Image k of every prompt starts from the noise of seed + k. */
  seed?: number;
  /** Images per prompt or entry. */
  batch?: number;
  /** The latent normalisation of training. Default: the checkpoint's (state.json), else pipeline.json's, else std 1, offset 0. */
  latentStd?: number;
  latentOffset?: number;
  outDir?: string;
  onImage?: (image: SampledImage) => void;
  onStep?: (info: { job: string; step: number; steps: number }) => void;
  signal?: AbortSignal;
}

export const SAMPLE_IMAGES_DEFAULTS = { seed: 0, batch: 1, outDir: 'samples' } as const satisfies Partial<SampleImagesOptions>;

/** An image written: its PNG, the settings JSON beside it, and the settings. */
export interface SampledImage {
  path: string;
  settingsPath: string;
  settings: SampleSettings;
}

/** The flag of each pipeline option, so that an error names what the user typed. */
const FLAGS: Record<string, string> = {
  width: '--width',
  height: '--height',
  steps: '--steps',
  sampler: '--sampler',
  guidanceScale: '--cfg',
  cfgMode: '--cfg-mode',
  shift: '--shift',
  seed: '--seed',
  numImagesPerPrompt: '--batch',
  autoencoder: '--vae',
  textEncoder: '--text-encoder',
  prompt: '--prompt',
  negativePrompt: '--negative-prompt',
  promptEmbeds: '--entry',
  'latentNormalization.std': '--latent-std',
  'latentNormalization.offset': '--latent-offset',
};

/** Runs `work`, turning a pipeline option error into a usage error that names the flag. */
async function flagErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PipelineOptionError) {
      const option = error.option.replace(/^sampling\./, '');
      throw new CliError(`${FLAGS[option] ?? option}: ${error.detail}`, EXIT.usage);
    }
    throw error;
  }
}

/** One prompt batch or cache entry to draw. */
interface Job {
  name: string;
  prompt: string;
  entry: string | null;
  /** [P, L, dim] text embeddings and the negative prompt's. */
  cond: tf.Tensor3D;
  uncond: tf.Tensor3D | null;
  /** Pixels, or undefined for the pipeline's default size. */
  width?: number;
  height?: number;
}

/**
 * Text-to-image and cached-entry-to-image, as the original's inference_unified.py, through
 * `DiTPipeline`: every prompt or entry gives `batch` images, each written as a PNG whose text
 * chunks hold the settings, with a `.json` of the same settings beside it.
 */
export async function sampleImages(options: SampleImagesOptions): Promise<SampledImage[]> {
  const request = withDefaults(SAMPLE_IMAGES_DEFAULTS, options);
  const prompts = request.prompts ?? [];
  const entries = request.entries ?? [];
  if (prompts.length === 0 && entries.length === 0) throw new CliError('nothing to sample: give --prompt, --prompts or --entry', EXIT.usage);
  const source = await findSampleSource(request.model, request.weights);
  let vae = request.vae;
  if (vae === undefined && entries.length > 0) vae = autoencoderSpecFromId((await readCacheEntryHeader(entries[0])).metadata.autoencoder);
  // A checkpoint has no pipeline.json: its run's run.json names the encoders.
  vae ??= source.parts?.autoencoder;
  const textEncoder = request.textEncoder ?? source.parts?.textEncoder;
  const sampler = request.sampler;
  const pipe = await flagErrors(() =>
    DiTPipeline.fromPretrained(source.dir, {
      weights: source.weightsFile,
      // Entries bring their own text embeddings: no text encoder to load.
      textEncoder: prompts.length > 0 ? textEncoder : null,
      autoencoder: vae,
      latentNormalization: { std: request.latentStd ?? source.latentNorm?.std, offset: request.latentOffset ?? source.latentNorm?.offset },
      sampling: { steps: request.steps, sampler, guidanceScale: request.cfg, cfgMode: request.cfgMode, shift: request.shift, width: request.width, height: request.height },
    }),
  );
  const images: SampledImage[] = [];
  const jobs: Job[] = [];
  try {
    if (prompts.length > 0) {
      const encoded = await flagErrors(() => pipe.encodePrompts(prompts, { negativePrompt: request.negativePrompt }));
      // Free the text encoder before sampling, as the original did.
      pipe.unloadTextEncoder();
      prompts.forEach((prompt, i) => jobs.push({ name: imageFileSlug(prompt), prompt, entry: null, cond: tf.slice(encoded.cond, [i, 0, 0], [1, -1, -1]), uncond: i === 0 ? encoded.uncond : null }));
      encoded.cond.dispose();
    }
    for (const path of entries) jobs.push(await entryJob(pipe, path, request));
    const uncond = jobs.find((job) => job.uncond)?.uncond ?? null;
    for (const [index, job] of jobs.entries()) {
      const write = async ({ image, imageIndex, seed }: GeneratedImageInfo) => {
        const settings: SampleSettings = {
          prompt: job.prompt,
          negativePrompt: job.entry === null ? (request.negativePrompt ?? null) : null,
          entry: job.entry,
          seed: seed ?? request.seed + imageIndex,
          steps: pipe.sampling.steps,
          sampler: pipe.sampling.sampler,
          cfg: pipe.sampling.guidanceScale,
          shift: pipe.sampling.shift,
          model: source.weightsPath,
          weights: source.weights,
          width: image.width,
          height: image.height,
          latentStd: pipe.latentNormalization.std,
          latentOffset: pipe.latentNormalization.offset,
          textEncoder: job.entry === null ? pipe.sources.textEncoder : null,
          vae: pipe.sources.autoencoder ?? '',
        };
        const stem = `${String(index).padStart(3, '0')}-${job.name}-seed${settings.seed}`;
        const sampled = { path: join(request.outDir, `${stem}.png`), settingsPath: join(request.outDir, `${stem}.json`), settings };
        await writeFileAtomic(sampled.path, addPngText(await encodePng(image), settingsToPngText(settings), sampled.path));
        await writeJsonAtomic(sampled.settingsPath, settings);
        images.push(sampled);
        request.onImage?.(sampled);
      };
      await flagErrors(() =>
        pipe.generate({
          promptEmbeds: job.cond,
          // The negative prompt applies to text prompts; entries keep the zero text they were trained against.
          negativePromptEmbeds: job.entry === null ? (uncond ?? undefined) : undefined,
          width: job.width,
          height: job.height,
          seed: request.seed,
          numImagesPerPrompt: request.batch,
          signal: request.signal,
          onStep: request.onStep ? ({ step, steps }) => request.onStep!({ job: job.name, step, steps }) : undefined,
          onImage: write,
        }),
      );
    }
    return images;
  } finally {
    tf.dispose(jobs.flatMap((job) => [job.cond, ...(job.uncond ? [job.uncond] : [])]));
    pipe.dispose();
  }
}

/** A cache entry's text embeddings at its size (or the size asked for). */
async function entryJob(pipe: DiTPipeline, path: string, request: SampleImagesOptions): Promise<Job> {
  const entry = await readCacheEntry(path);
  const { inChannels, textLength, textDim } = pipe.model.config;
  const [channels, latentHeight, latentWidth] = entry.latents.shape;
  const [length, dim] = entry.textEmbeddings.shape;
  if (channels !== inChannels || length !== textLength || dim !== textDim) {
    throw new CliError(
      `${path}: latents [${entry.latents.shape.join(', ')}] and text [${length}, ${dim}] do not fit the model (in_channels ${inChannels}, text [${textLength}, ${textDim}])`,
      EXIT.usage,
    );
  }
  const downsample = pipe.autoencoder!.downsample;
  return {
    name: imageFileSlug(basename(path).replace(/\.safetensors$/, '')),
    prompt: entry.metadata.caption,
    entry: path,
    cond: tf.tensor3d(entry.textEmbeddings.data, [1, length, dim]),
    uncond: null,
    width: request.width ?? latentWidth * downsample,
    height: request.height ?? latentHeight * downsample,
  };
}
