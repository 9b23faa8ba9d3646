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
  const o = withDefaults(withDefaults(GENERATE_DEFAULTS, sampling), options) as ResolvedGenerateOptions;
  const hasPrompt = o.prompt !== undefined;
  if (hasPrompt === (o.promptEmbeds !== undefined)) throw new PipelineOptionError('prompt', 'give either prompt or promptEmbeds');
  if (hasPrompt && (typeof o.prompt === 'string' ? false : !Array.isArray(o.prompt) || o.prompt.length === 0 || o.prompt.some((p) => typeof p !== 'string'))) {
    throw new PipelineOptionError('prompt', `expected a string or a non-empty list of strings, got ${JSON.stringify(o.prompt)}`);
  }
  if (o.negativePrompt !== undefined && o.negativePromptEmbeds !== undefined) throw new PipelineOptionError('negativePrompt', 'give either negativePrompt or negativePromptEmbeds');
  if (o.negativePrompt !== undefined && typeof o.negativePrompt !== 'string') throw new PipelineOptionError('negativePrompt', `expected a string, got ${JSON.stringify(o.negativePrompt)}`);
  const positiveInteger = (name: 'steps' | 'numImagesPerPrompt') => {
    if (!Number.isInteger(o[name]) || o[name] < 1) throw new PipelineOptionError(name, `must be a positive integer, got ${JSON.stringify(o[name])}`);
  };
  positiveInteger('steps');
  positiveInteger('numImagesPerPrompt');
  if (!Number.isInteger(o.seed)) throw new PipelineOptionError('seed', `must be an integer, got ${JSON.stringify(o.seed)}`);
  if (typeof o.shift !== 'number' || !(o.shift > 0) || !Number.isFinite(o.shift)) throw new PipelineOptionError('shift', `must be a finite number > 0, got ${JSON.stringify(o.shift)}`);
  if (typeof o.guidanceScale !== 'number' || !Number.isFinite(o.guidanceScale)) throw new PipelineOptionError('guidanceScale', `must be a finite number, got ${JSON.stringify(o.guidanceScale)}`);
  if (o.cfgMode !== 'batched' && o.cfgMode !== 'separate') throw new PipelineOptionError('cfgMode', `must be 'batched' or 'separate', got ${JSON.stringify(o.cfgMode)}`);
  try {
    resolveSampler(o.sampler);
  } catch (error) {
    throw new PipelineOptionError('sampler', (error as Error).message);
  }
  if (o.latents !== undefined) {
    if (o.latents.rank !== 4) throw new PipelineOptionError('latents', `expected starting noise [B, C, h, w], got [${o.latents.shape.join(', ')}]`);
    if (options?.numImagesPerPrompt !== undefined && options.numImagesPerPrompt !== o.latents.shape[0]) {
      throw new PipelineOptionError('numImagesPerPrompt', `${options.numImagesPerPrompt} does not match latents' batch of ${o.latents.shape[0]}`);
    }
  }
  return o;
}
