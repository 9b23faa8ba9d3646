import * as tf from '@tensorflow/tfjs-core';
import { tensorToImage, type RgbImage } from '@dit/data';
import type { ImageAutoencoder, TextEncoder } from '@dit/encoders';
import { LatentNormalization } from '@dit/flow';
import type { SaveWeightsOptions, SingleStreamDiTV2 } from '@dit/model';
import { createNoise, sample } from '@dit/samplers';
import { PipelineOptionError } from './errors.js';
import {
  GENERATE_DEFAULTS,
  type DenoiseOptions,
  type EncodedPrompts,
  type GenerateOptions,
  type GenerateResult,
  type LatentNormalizationValues,
  type PrepareNoiseOptions,
  type SamplingDefaults,
} from './options.js';
import { checkLatentNormalization, checkSamplingDefaults, writePipelineIndex } from './pipeline-index.js';
import { autoencoderSpecFromId, loadTextEncoder, textEncoderSpecFromId } from './parts.js';
import { fromPretrained, type FromPretrainedOptions } from './from-pretrained.js';
import { checkGenerateOptions, latentSize } from './checks.js';

/** A part the pipeline can own (and then dispose with `dispose()`). */
export type PipelinePart = 'model' | 'textEncoder' | 'autoencoder';

/** What a pipeline is made of. Every part is yours to swap: any `TextEncoder`, any `ImageAutoencoder`. */
export interface DiTPipelineParts {
  model: SingleStreamDiTV2;
  /** Turns prompts into embeddings [B, textLength, textDim]. Without one, give `promptEmbeds`. */
  textEncoder?: TextEncoder | null;
  /** Decodes latents to images; its `downsample` sets the latent size. Needed to decode. */
  autoencoder?: ImageAutoencoder | null;
  /** The normalisation the model was trained with. Default std 1, offset 0. */
  latentNormalization?: Partial<LatentNormalizationValues>;
  /** Defaults of `generate`. Default `SAMPLING_DEFAULTS` (the original's RK4, 50 steps, CFG 1.5, 512x512). */
  sampling?: Partial<SamplingDefaults>;
  /** How `savePretrained` records the parts: specs for `loadTextEncoder` / `loadAutoencoder`. Default: from the parts' ids. */
  sources?: { textEncoder?: string | null; autoencoder?: string | null };
  /** Parts `dispose()` disposes. Default none: parts you pass stay yours. `fromPretrained` owns what it loads. */
  owned?: readonly PipelinePart[];
}

/**
 * Text-to-image with a SingleStreamDiTV2, as diffusers' pipelines: encode the prompts, prepare
 * seeded noise, denoise with classifier-free guidance, undo the latent normalisation and decode
 * (SPEC sections 3-4). `generate` runs the whole; the stages are public for custom loops.
 */
export class DiTPipeline {
  readonly model: SingleStreamDiTV2;
  readonly autoencoder: ImageAutoencoder | null;
  readonly latentNormalization: Readonly<LatentNormalizationValues>;
  readonly sampling: Readonly<SamplingDefaults>;
  readonly sources: Readonly<{ textEncoder: string | null; autoencoder: string | null }>;
  private loadedTextEncoder: TextEncoder | null;
  private readonly owned: Set<PipelinePart>;
  private disposed = false;

  constructor(parts: DiTPipelineParts) {
    // Duck-typed: a second copy of @dit/model in node_modules makes a class check fail for a real model.
    if (typeof parts?.model?.forward !== 'function' || typeof parts.model.config?.inChannels !== 'number') throw new PipelineOptionError('model', 'must be a SingleStreamDiTV2');
    this.model = parts.model;
    this.autoencoder = parts.autoencoder ?? null;
    this.loadedTextEncoder = parts.textEncoder ?? null;
    const { inChannels } = this.model.config;
    const ae = this.autoencoder;
    if (ae && ae.latentChannels !== inChannels) {
      throw new PipelineOptionError('autoencoder', `${ae.id} has ${ae.latentChannels} latent channels, the model takes ${inChannels} (config in_channels)`);
    }
    if (this.loadedTextEncoder) this.checkTextEncoder(this.loadedTextEncoder);
    this.latentNormalization = Object.freeze(
      checkLatentNormalization(parts.latentNormalization ?? {}, (field, message) => {
        throw new PipelineOptionError(`latentNormalization.${field}`, message);
      }),
    );
    this.sampling = Object.freeze(
      checkSamplingDefaults(parts.sampling ?? {}, (field, message) => {
        throw new PipelineOptionError(`sampling.${field}`, message);
      }),
    );
    this.sources = Object.freeze({
      textEncoder: parts.sources?.textEncoder !== undefined ? parts.sources.textEncoder : this.loadedTextEncoder ? textEncoderSpecFromId(this.loadedTextEncoder.id) : null,
      autoencoder: parts.sources?.autoencoder !== undefined ? parts.sources.autoencoder : ae ? autoencoderSpecFromId(ae.id) : null,
    });
    this.owned = new Set(parts.owned ?? []);
  }

  /**
   * Loads a pipeline folder that `savePretrained` (or the trainer, as `<run>/final`) wrote:
   * the model's config.json + model.safetensors and pipeline.json naming the text encoder,
   * the autoencoder, the latent normalisation and the sampling defaults. A plain model folder
   * (no pipeline.json) takes the original's parts (T5Gemma 2, EQ-SDXL-VAE) unless options say.
   */
  static fromPretrained(dir: string, options: FromPretrainedOptions = {}): Promise<DiTPipeline> {
    return fromPretrained(dir, options, (parts) => new DiTPipeline(parts));
  }

  /** The text encoder, or null (after `unloadTextEncoder`, or for a pipeline without one). */
  get textEncoder(): TextEncoder | null {
    return this.loadedTextEncoder;
  }

  /** Writes config.json + model.safetensors (the model) and pipeline.json (everything else) into `dir`. */
  async savePretrained(dir: string, options: SaveWeightsOptions = {}): Promise<void> {
    this.assertUsable();
    await this.model.savePretrained(dir, options);
    await writePipelineIndex(dir, { ...this.sources, latentNormalization: this.latentNormalization, sampling: this.sampling });
  }

  /** Encodes prompts [P, L, dim] and the negative prompt [1, L, dim] (null: all-zero unconditional text). */
  async encodePrompts(prompts: readonly string[], options: { negativePrompt?: string } = {}): Promise<EncodedPrompts> {
    this.assertUsable();
    if (!Array.isArray(prompts) || prompts.length === 0 || prompts.some((p) => typeof p !== 'string')) {
      throw new PipelineOptionError('prompt', `expected one or more strings, got ${JSON.stringify(prompts)}`);
    }
    const encoder = await this.requireTextEncoder();
    const { embeddings, attentionMask } = await encoder.encode([...prompts]);
    attentionMask.dispose();
    let uncond: tf.Tensor3D | null = null;
    if (options.negativePrompt !== undefined) {
      try {
        const negative = await encoder.encode([options.negativePrompt]);
        negative.attentionMask.dispose();
        uncond = negative.embeddings;
      } catch (error) {
        embeddings.dispose();
        throw error;
      }
    }
    return { cond: embeddings, uncond, dispose: () => tf.dispose([embeddings, ...(uncond ? [uncond] : [])]) };
  }

  /** Seeded standard-normal noise [batchSize, C, h, w] for images of width x height pixels; image k uses seed + k. */
  prepareNoise(options: PrepareNoiseOptions = {}): tf.Tensor4D {
    this.assertUsable();
    const batchSize = options.batchSize ?? 1;
    const seed = options.seed ?? GENERATE_DEFAULTS.seed;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new PipelineOptionError('batchSize', `must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(seed)) throw new PipelineOptionError('seed', `must be an integer, got ${seed}`);
    const { height, width } = latentSize(this.model, this.requireAutoencoder(), { width: options.width ?? this.sampling.width, height: options.height ?? this.sampling.height });
    const shape = [1, this.model.config.inChannels, height, width];
    return tf.tidy(() => tf.concat(Array.from({ length: batchSize }, (_, k) => createNoise({ shape, seed: seed + k })))) as tf.Tensor4D;
  }

  /** Integrates the model's guided velocity from `noise` (t = 0) to model-space latents (t = 1); yours to dispose. */
  async denoise(options: DenoiseOptions): Promise<tf.Tensor4D> {
    this.assertUsable();
    const { onStep } = options;
    return (await sample({
      velocity: (x, t, text) => this.model.forward(x as tf.Tensor4D, t, text as tf.Tensor3D),
      noise: options.noise,
      cond: options.cond,
      uncond: options.uncond ?? undefined,
      steps: options.steps ?? this.sampling.steps,
      sampler: options.sampler ?? this.sampling.sampler,
      guidanceScale: options.guidanceScale ?? this.sampling.guidanceScale,
      cfgMode: options.cfgMode ?? this.sampling.cfgMode,
      shift: options.shift ?? this.sampling.shift,
      timesteps: options.timesteps,
      signal: options.signal,
      onStep: onStep ? ({ step, steps, t, x }) => onStep({ step, steps, t, latents: x }) : undefined,
    })) as tf.Tensor4D;
  }

  /** Model-space latents [B, C, h, w] -> 8-bit RGB images: clamp(decode(cached) / 2 + 0.5, 0, 1) (SPEC section 4), one image at a time. */
  async decode(latents: tf.Tensor, onImage?: (image: RgbImage, index: number) => void | Promise<void>): Promise<RgbImage[]> {
    this.assertUsable();
    const autoencoder = this.requireAutoencoder();
    if (latents.rank !== 4 || latents.shape[1] !== this.model.config.inChannels) {
      throw new PipelineOptionError('latents', `expected [B, ${this.model.config.inChannels}, h, w] model-space latents, got [${latents.shape.join(', ')}]`);
    }
    const normalization = new LatentNormalization({ scalingFactor: autoencoder.scalingFactor, ...this.latentNormalization });
    const cached = tf.tidy(() => normalization.toCached(latents)) as tf.Tensor4D;
    const images: RgbImage[] = [];
    try {
      for (let k = 0; k < cached.shape[0]; k++) {
        const one = tf.slice(cached, [k, 0, 0, 0], [1, -1, -1, -1]);
        const decoded = await autoencoder.decode(one).finally(() => one.dispose());
        const unit = tf.tidy(() => tf.clipByValue(tf.add(tf.div(decoded, 2), 0.5), 0, 1));
        decoded.dispose();
        const image = await tensorToImage(unit).finally(() => unit.dispose());
        images.push(image);
        await onImage?.(image, k);
      }
      return images;
    } finally {
      cached.dispose();
    }
  }

  /**
   * Prompts (or their embeddings) to images: every prompt gives `numImagesPerPrompt` images,
   * sampled together from seeded noise, then decoded one by one. Options left out take the
   * pipeline's sampling defaults, then `GENERATE_DEFAULTS`.
   */
  async generate(options: GenerateOptions = {}): Promise<GenerateResult> {
    this.assertUsable();
    const autoencoder = this.requireAutoencoder();
    const generation = checkGenerateOptions(options, this.sampling);
    const size = latentSize(this.model, autoencoder, generation.latents ? this.latentsPixelSize(generation.latents, autoencoder, options) : { width: generation.width, height: generation.height });
    const conditioning = await this.conditioning(generation);
    const perPrompt = generation.latents ? generation.latents.shape[0] : generation.numImagesPerPrompt;
    const images: RgbImage[] = [];
    const kept: tf.Tensor4D[] = [];
    try {
      const prompts = conditioning.cond.shape[0];
      for (let p = 0; p < prompts; p++) {
        const cond = tf.slice(conditioning.cond, [p, 0, 0], [1, -1, -1]);
        const noise = generation.latents ?? this.prepareNoise({ batchSize: perPrompt, width: size.width * autoencoder.downsample, height: size.height * autoencoder.downsample, seed: generation.seed });
        let latents: tf.Tensor4D;
        try {
          latents = await this.denoise({
            noise,
            cond,
            uncond: conditioning.uncond,
            steps: generation.steps,
            sampler: generation.sampler,
            guidanceScale: generation.guidanceScale,
            cfgMode: generation.cfgMode,
            shift: generation.shift,
            timesteps: generation.timesteps,
            signal: generation.signal,
            onStep: generation.onStep ? (info) => generation.onStep!({ ...info, promptIndex: p, prompts }) : undefined,
          });
        } finally {
          cond.dispose();
          if (noise !== generation.latents) noise.dispose();
        }
        try {
          await this.decode(latents, (image, k) => {
            images.push(image);
            return generation.onImage?.({ image, promptIndex: p, imageIndex: k, seed: generation.latents ? null : generation.seed + k });
          });
        } finally {
          if (generation.returnLatents) kept.push(latents);
          else latents.dispose();
        }
      }
      if (!generation.returnLatents) return { images };
      const latents = kept.length === 1 ? kept[0] : (tf.concat(kept) as tf.Tensor4D);
      if (kept.length > 1) tf.dispose(kept);
      kept.length = 0;
      return { images, latents };
    } finally {
      tf.dispose(kept);
      conditioning.dispose();
    }
  }

  /** Frees the text encoder (when the pipeline owns it), e.g. before sampling; `encodePrompts` loads it again from its source. */
  unloadTextEncoder(): void {
    if (this.loadedTextEncoder && this.owned.has('textEncoder')) this.loadedTextEncoder.dispose();
    this.loadedTextEncoder = null;
  }

  /** Disposes the parts the pipeline owns (see `DiTPipelineParts.owned`); the pipeline is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.owned.has('model')) this.model.dispose();
    if (this.owned.has('autoencoder')) this.autoencoder?.dispose();
    this.unloadTextEncoder();
  }

  /** The conditioning of a generate call: prompts encoded, or embeddings given (copied, so that disposing is uniform). */
  private async conditioning(generation: ReturnType<typeof checkGenerateOptions>): Promise<EncodedPrompts> {
    if (generation.prompt !== undefined) {
      const prompts = typeof generation.prompt === 'string' ? [generation.prompt] : [...generation.prompt];
      if (generation.negativePromptEmbeds === undefined) return this.encodePrompts(prompts, { negativePrompt: generation.negativePrompt });
      const uncond = this.embeddings(generation.negativePromptEmbeds, 'negativePromptEmbeds');
      const encoded = await this.encodePrompts(prompts).catch((error) => {
        uncond.dispose();
        throw error;
      });
      return { cond: encoded.cond, uncond, dispose: () => tf.dispose([encoded.cond, uncond]) };
    }
    const cond = this.embeddings(generation.promptEmbeds!, 'promptEmbeds');
    let uncond: tf.Tensor3D | null = null;
    try {
      if (generation.negativePromptEmbeds !== undefined) uncond = this.embeddings(generation.negativePromptEmbeds, 'negativePromptEmbeds');
      else if (generation.negativePrompt !== undefined) {
        const negative = await this.encodePrompts([generation.negativePrompt]);
        uncond = negative.cond;
      }
    } catch (error) {
      cond.dispose();
      throw error;
    }
    return { cond, uncond, dispose: () => tf.dispose([cond, ...(uncond ? [uncond] : [])]) };
  }

  /** Embeddings given by the caller as [P, L, dim] (or [L, dim]), checked against the model and copied. */
  private embeddings(tensor: tf.Tensor, option: string): tf.Tensor3D {
    const { textLength, textDim } = this.model.config;
    const shape = tensor.rank === 2 ? [1, ...tensor.shape] : tensor.shape;
    if (shape.length !== 3 || shape[1] !== textLength || shape[2] !== textDim) {
      throw new PipelineOptionError(option, `expected [P, ${textLength}, ${textDim}] or [${textLength}, ${textDim}] text embeddings (config text_length, text_embed_dim), got [${tensor.shape.join(', ')}]`);
    }
    return tf.reshape(tensor, shape as [number, number, number]) as tf.Tensor3D;
  }

  /** The image size of given starting latents, checked against the model and any width/height asked for. */
  private latentsPixelSize(latents: tf.Tensor, autoencoder: ImageAutoencoder, options: GenerateOptions): { width: number; height: number } {
    const [, channels, height, width] = latents.shape;
    if (channels !== this.model.config.inChannels) {
      throw new PipelineOptionError('latents', `expected [B, ${this.model.config.inChannels}, h, w] starting noise (config in_channels), got [${latents.shape.join(', ')}]`);
    }
    const pixels = { width: width * autoencoder.downsample, height: height * autoencoder.downsample };
    for (const name of ['width', 'height'] as const) {
      const asked = options[name];
      if (asked !== undefined && asked !== pixels[name]) throw new PipelineOptionError(name, `${asked} pixels does not match the latents' ${pixels[name]} (${name === 'width' ? width : height} x downsample ${autoencoder.downsample})`);
    }
    return pixels;
  }

  private checkTextEncoder(encoder: TextEncoder): void {
    const { textLength, textDim } = this.model.config;
    if (encoder.dim !== textDim || encoder.maxLength !== textLength) {
      throw new PipelineOptionError(
        'textEncoder',
        `${encoder.id} gives [${encoder.maxLength}, ${encoder.dim}] embeddings, the model takes [${textLength}, ${textDim}] (config text_length, text_embed_dim)`,
      );
    }
  }

  private async requireTextEncoder(): Promise<TextEncoder> {
    if (this.loadedTextEncoder) return this.loadedTextEncoder;
    const source = this.sources.textEncoder;
    if (!this.owned.has('textEncoder') || source === null) {
      throw new PipelineOptionError('prompt', 'this pipeline has no text encoder; give promptEmbeds, or build it with a textEncoder');
    }
    const encoder = await loadTextEncoder(source, { maxLength: this.model.config.textLength });
    try {
      this.checkTextEncoder(encoder);
    } catch (error) {
      encoder.dispose();
      throw error;
    }
    this.loadedTextEncoder = encoder;
    return encoder;
  }

  private requireAutoencoder(): ImageAutoencoder {
    if (!this.autoencoder) throw new PipelineOptionError('autoencoder', 'this pipeline has no autoencoder to size and decode images; build it with one');
    return this.autoencoder;
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('DiTPipeline: used after dispose()');
  }
}
