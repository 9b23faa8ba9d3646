import { withDefaults } from '@dit/core';
import type { ImageAutoencoder } from '@dit/encoders';
import type { SingleStreamDiTV2 } from '@dit/model';
import { resolveSampler } from '@dit/samplers';
import { PipelineOptionError } from './errors.js';
import { GENERATE_DEFAULTS, type GenerateOptions, type SamplingDefaults } from './options.js';

/** Generate options with every default filled in. */
export type ResolvedGenerateOptions = GenerateOptions & SamplingDefaults & Required<Pick<GenerateOptions, 'seed' | 'numImagesPerPrompt' | 'returnLatents'>>;

/** Latent height and width for an image size in pixels, which must be a multiple of the autoencoder's downsampling times the patch size. */
export function latentSize(model: SingleStreamDiTV2, autoencoder: ImageAutoencoder, pixels: { width: number; height: number }): { width: number; height: number } {
  const { patchSize } = model.config;
  const multiple = autoencoder.downsample * patchSize;
  for (const name of ['width', 'height'] as const) {
    const value = pixels[name];
    if (!Number.isInteger(value) || value <= 0 || value % multiple !== 0) {
      throw new PipelineOptionError(name, `${value} pixels must be a positive multiple of ${multiple} (autoencoder downsample ${autoencoder.downsample} x patch ${patchSize})`);
    }
  }
  return { width: pixels.width / autoencoder.downsample, height: pixels.height / autoencoder.downsample };
}

/**
 * Fills generate's defaults (options given as undefined take them too) and checks every option,
 * naming the one at fault.
 */
export function checkGenerateOptions(options: GenerateOptions, sampling: SamplingDefaults): ResolvedGenerateOptions {
  const generation = withDefaults(withDefaults(GENERATE_DEFAULTS, sampling), options) as ResolvedGenerateOptions;
  const hasPrompt = generation.prompt !== undefined;
  if (hasPrompt === (generation.promptEmbeds !== undefined)) throw new PipelineOptionError('prompt', 'give either prompt or promptEmbeds');
  if (hasPrompt && (typeof generation.prompt === 'string' ? false : !Array.isArray(generation.prompt) || generation.prompt.length === 0 || generation.prompt.some((p) => typeof p !== 'string'))) {
    throw new PipelineOptionError('prompt', `expected a string or a non-empty list of strings, got ${JSON.stringify(generation.prompt)}`);
  }
  if (generation.negativePrompt !== undefined && generation.negativePromptEmbeds !== undefined) throw new PipelineOptionError('negativePrompt', 'give either negativePrompt or negativePromptEmbeds');
  if (generation.negativePrompt !== undefined && typeof generation.negativePrompt !== 'string') throw new PipelineOptionError('negativePrompt', `expected a string, got ${JSON.stringify(generation.negativePrompt)}`);
  const positiveInteger = (name: 'steps' | 'numImagesPerPrompt') => {
    if (!Number.isInteger(generation[name]) || generation[name] < 1) throw new PipelineOptionError(name, `must be a positive integer, got ${JSON.stringify(generation[name])}`);
  };
  positiveInteger('steps');
  positiveInteger('numImagesPerPrompt');
  if (!Number.isInteger(generation.seed)) throw new PipelineOptionError('seed', `must be an integer, got ${JSON.stringify(generation.seed)}`);
  if (typeof generation.shift !== 'number' || !(generation.shift > 0) || !Number.isFinite(generation.shift)) throw new PipelineOptionError('shift', `must be a finite number > 0, got ${JSON.stringify(generation.shift)}`);
  if (typeof generation.guidanceScale !== 'number' || !Number.isFinite(generation.guidanceScale)) throw new PipelineOptionError('guidanceScale', `must be a finite number, got ${JSON.stringify(generation.guidanceScale)}`);
  if (generation.cfgMode !== 'batched' && generation.cfgMode !== 'separate') throw new PipelineOptionError('cfgMode', `must be 'batched' or 'separate', got ${JSON.stringify(generation.cfgMode)}`);
  try {
    resolveSampler(generation.sampler);
  } catch (error) {
    throw new PipelineOptionError('sampler', (error as Error).message);
  }
  if (generation.latents !== undefined) {
    if (generation.latents.rank !== 4) throw new PipelineOptionError('latents', `expected starting noise [B, C, h, w], got [${generation.latents.shape.join(', ')}]`);
    if (options?.numImagesPerPrompt !== undefined && options.numImagesPerPrompt !== generation.latents.shape[0]) {
      throw new PipelineOptionError('numImagesPerPrompt', `${options.numImagesPerPrompt} does not match latents' batch of ${generation.latents.shape[0]}`);
    }
  }
  return generation;
}
