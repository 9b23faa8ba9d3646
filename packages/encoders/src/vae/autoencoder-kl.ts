import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import type { EncodeImageOptions, ImageAutoencoder } from '../interfaces.js';
import { downsampleFactor, type AutoencoderKLConfig } from './config.js';
import { decodeLatents } from './decoder.js';
import { encodeMoments } from './encoder.js';
import { DEFAULT_TILE_OVERLAP, tiledPass, tilePlan, type TilePlan, type TilingOptions } from './tiling.js';
import type { VaeWeights } from './weights.js';
import { readAutoencoderKL, resolveAutoencoderKLFiles, type AutoencoderKLSourceOptions } from './load.js';

export interface AutoencoderKLOptions {
  /** Identifier recorded in caches. Default 'AutoencoderKL' (fromPretrained: the id or path). */
  id?: string;
  /** Query rows per mid-attention chunk. Default: each chunk's score matrix stays under 16M floats. */
  attentionQueryChunk?: number;
  /**
   * Encode images and decode latents larger than a tile in overlapping tiles, as diffusers'
   * `enable_tiling()` (see tiling.ts for the seam tradeoff). Default false.
   */
  tiling?: boolean | TilingOptions;
}

/**
 * Options of AutoencoderKL.encode: those of every ImageAutoencoder. Its `noise` (NCHW of the
 * posterior's shape [B, latent, H/f, W/f]) makes the sample mean + exp(logvar / 2) * noise, as
 * diffusers' `latent_dist.sample(generator)`: pass the `torch.randn` diffusers would draw to
 * reproduce a Python sample. Only with mode 'sample'.
 */
export type AutoencoderKLEncodeOptions = EncodeImageOptions;

/** fromPretrained: where to find the model (hub options, subfolder, variant) and how to run it. */
export interface AutoencoderKLLoadOptions extends AutoencoderKLSourceOptions, AutoencoderKLOptions {}

export const DEFAULT_AUTOENCODER_KL_OPTIONS = { id: 'AutoencoderKL', tiling: false } as const;

/** Raw posterior of an image batch, NCHW, before scaling. */
export interface LatentPosterior {
  mean: tf.Tensor4D;
  /** Clamped to [-30, 20], as diffusers' DiagonalGaussianDistribution. */
  logvar: tf.Tensor4D;
}

/**
 * diffusers AutoencoderKL on tfjs. Public tensors are NCHW (images [B, 3, H, W] in [-1, 1],
 * latents [B, C, h, w]); the network runs NHWC inside. Latents follow diffusers' convention:
 * encode returns (z - shift_factor) * scaling_factor, decode inverts it (SPEC section 4).
 * Images go through the network one at a time, which bounds memory by one image.
 */
export class AutoencoderKL implements ImageAutoencoder {
  /**
   * Loads from a local diffusers folder or a Hugging Face repository id (through the shared
   * cache; see hub/index.ts), e.g. 'KBlueLeaf/EQ-SDXL-VAE' or ('stabilityai/sdxl-vae').
   */
  static async fromPretrained(idOrPath: string, options: AutoencoderKLLoadOptions = {}): Promise<AutoencoderKL> {
    const { id, attentionQueryChunk, tiling, ...source } = options;
    const { configPath, weightsPath } = await resolveAutoencoderKLFiles(idOrPath, source);
    const { config, weights } = await readAutoencoderKL(configPath, weightsPath);
    const defaultId = source.subfolder ? `${idOrPath}/${source.subfolder}` : idOrPath;
    return new AutoencoderKL(config, weights, { id: id ?? defaultId, attentionQueryChunk, tiling });
  }

  readonly latentChannels: number;
  readonly downsample: number;
  readonly scalingFactor: number;
  readonly shiftFactor: number;
  readonly id: string;
  private readonly attentionQueryChunk?: number;
  private readonly tiling?: TilingOptions;
  /** Per-channel `latents_mean` / `latents_std` as [1, C, 1, 1] tensors, when the config has them. */
  private readonly latentStats?: { mean: tf.Tensor4D; std: tf.Tensor4D };
  private disposed = false;

  constructor(
    readonly config: AutoencoderKLConfig,
    private readonly weights: VaeWeights,
    options: AutoencoderKLOptions = {},
  ) {
    this.latentChannels = config.latentChannels;
    this.downsample = downsampleFactor(config);
    this.scalingFactor = config.scalingFactor;
    this.shiftFactor = config.shiftFactor;
    this.id = options.id ?? DEFAULT_AUTOENCODER_KL_OPTIONS.id;
    this.attentionQueryChunk = options.attentionQueryChunk;
    const tiling = options.tiling ?? DEFAULT_AUTOENCODER_KL_OPTIONS.tiling;
    this.tiling = tiling === true ? {} : tiling || undefined;
    if (config.latentsMean && config.latentsStd) {
      const c = config.latentChannels;
      this.latentStats = { mean: tf.tensor4d(config.latentsMean, [1, c, 1, 1]), std: tf.tensor4d(config.latentsStd, [1, c, 1, 1]) };
    }
  }

  /** The tile plan of a pass, when tiling is on and the input is larger than one tile. */
  private planTiles(pass: 'encode' | 'decode', latentHeight: number, latentWidth: number): TilePlan | undefined {
    if (!this.tiling) return undefined;
    const tileLatentSize = this.tiling.tileLatentSize ?? Math.floor(this.config.sampleSize / this.downsample);
    if (latentHeight <= tileLatentSize && latentWidth <= tileLatentSize) return undefined;
    return tilePlan(pass, tileLatentSize, this.downsample, this.tiling.overlap ?? DEFAULT_TILE_OVERLAP);
  }

  /** Raw VAE latents z -> the pipeline's latents: (z - mean) * scale / std, or (z - shift) * scale (diffusers' SDXL / SD3 conventions). */
  private toScaled(z: tf.Tensor): tf.Tensor4D {
    return tf.tidy(() => {
      if (this.latentStats) return tf.div(tf.mul(tf.sub(z, this.latentStats.mean), this.scalingFactor), this.latentStats.std) as tf.Tensor4D;
      return tf.mul(tf.sub(z, this.shiftFactor), this.scalingFactor) as tf.Tensor4D;
    });
  }

  /** The inverse of toScaled: latents * std / scale + mean, or latents / scale + shift. */
  private fromScaled(latents: tf.Tensor): tf.Tensor4D {
    return tf.tidy(() => {
      if (this.latentStats) return tf.add(tf.div(tf.mul(latents, this.latentStats.std), this.scalingFactor), this.latentStats.mean) as tf.Tensor4D;
      return tf.add(tf.div(latents, this.scalingFactor), this.shiftFactor) as tf.Tensor4D;
    });
  }

  /** images [B, in, H, W] -> the raw posterior (mean, clamped logvar) [B, latent, H/f, W/f]. */
  async encodePosterior(images: tf.Tensor4D): Promise<LatentPosterior> {
    this.checkAlive('encodePosterior');
    const [batch, channels, height, width] = images.shape;
    const f = this.downsample;
    if (channels !== this.config.inChannels) {
      throw new Error(`AutoencoderKL.encode: expected images [B, ${this.config.inChannels}, H, W], got [${images.shape.join(', ')}]`);
    }
    if (height % f || width % f) throw new Error(`AutoencoderKL.encode: image ${height}x${width} is not divisible by the downsample factor ${f}`);
    const plan = this.planTiles('encode', height / f, width / f);
    const encodeOne = (image: tf.Tensor4D) => encodeMoments(image, this.weights, this.config, { attentionQueryChunk: this.attentionQueryChunk });
    const moments: tf.Tensor4D[] = [];
    for (let b = 0; b < batch; b++) {
      const image = tf.tidy(() => tf.transpose(tf.slice(images, [b, 0, 0, 0], [1, channels, height, width]), [0, 2, 3, 1])) as tf.Tensor4D;
      moments.push(plan ? tiledPass(image, encodeOne, plan) : encodeOne(image));
      image.dispose();
      await tf.nextFrame();
    }
    const latent = this.latentChannels;
    return tf.tidy(() => {
      const all = tf.transpose(moments.length === 1 ? moments[0] : tf.concat(moments, 0), [0, 3, 1, 2]) as tf.Tensor4D;
      tf.dispose(moments);
      const [, , h, w] = all.shape;
      const mean = tf.slice(all, [0, 0, 0, 0], [batch, latent, h, w]) as tf.Tensor4D;
      const logvar = tf.clipByValue(tf.slice(all, [0, latent, 0, 0], [batch, latent, h, w]), -30, 20) as tf.Tensor4D;
      return { mean, logvar };
    });
  }

  /**
   * images [B, in, H, W] in [-1, 1] -> scaled latents. 'sample' (default) draws
   * mean + exp(logvar / 2) * noise, with `noise` given or normals from the seeded Rng (NCHW
   * order); 'mean' takes the mean. Scaled as diffusers' pipelines do: (z - latents_mean) *
   * scaling_factor / latents_std when the config has latent statistics, else
   * (z - shift_factor) * scaling_factor.
   */
  async encode(images: tf.Tensor4D, options: AutoencoderKLEncodeOptions = {}): Promise<tf.Tensor4D> {
    const mode = options.mode ?? 'sample';
    if (mode !== 'sample' && mode !== 'mean') throw new Error(`AutoencoderKL.encode: mode must be 'sample' or 'mean', got ${JSON.stringify(mode)}`);
    if (options.noise !== undefined && mode !== 'sample') throw new Error("AutoencoderKL.encode: noise is for mode 'sample'");
    const { mean, logvar } = await this.encodePosterior(images);
    let noise: tf.Tensor4D | undefined;
    try {
      if (mode === 'sample') noise = this.posteriorNoise(options, mean.shape);
      return tf.tidy(() => this.toScaled(noise ? tf.add(mean, tf.mul(tf.exp(tf.mul(logvar, 0.5)), noise)) : mean));
    } finally {
      tf.dispose([mean, logvar]);
      if (noise !== options.noise) noise?.dispose();
    }
  }

  /** The sample's standard normal noise: given, made by the given function, or from the seeded Rng. */
  private posteriorNoise(options: AutoencoderKLEncodeOptions, shape: [number, number, number, number]): tf.Tensor4D {
    const given = typeof options.noise === 'function' ? options.noise(shape) : options.noise;
    if (given === undefined) return new Rng(options.seed ?? 0).normalTensor(shape) as tf.Tensor4D;
    if (!tf.util.arraysEqual(given.shape, shape)) {
      if (given !== options.noise) given.dispose();
      throw new Error(`AutoencoderKL.encode: noise must have the posterior's shape [${shape.join(', ')}] (NCHW), got [${given.shape.join(', ')}]`);
    }
    return given;
  }

  /** scaled latents [B, latent, h, w] -> images [B, out, h*f, w*f], roughly in [-1, 1]. */
  async decode(latents: tf.Tensor4D): Promise<tf.Tensor4D> {
    this.checkAlive('decode');
    const [batch, channels, h, w] = latents.shape;
    if (channels !== this.latentChannels) {
      throw new Error(`AutoencoderKL.decode: expected ${this.latentChannels} latent channels, got latents [${latents.shape.join(', ')}]`);
    }
    const plan = this.planTiles('decode', h, w);
    const pass = { attentionQueryChunk: this.attentionQueryChunk };
    const decodeOne = (z: tf.Tensor4D) => decodeLatents(z, this.weights, this.config, pass);
    const images: tf.Tensor4D[] = [];
    for (let b = 0; b < batch; b++) {
      // diffusers' pipelines: z = latents * latents_std / scaling_factor + latents_mean, or latents / scaling_factor + shift_factor
      const z = tf.tidy(() => tf.transpose(this.fromScaled(tf.slice(latents, [b, 0, 0, 0], [1, channels, h, w])), [0, 2, 3, 1])) as tf.Tensor4D;
      const image = plan ? tiledPass(z, decodeOne, plan) : decodeOne(z);
      z.dispose();
      images.push(tf.tidy(() => tf.transpose(image, [0, 3, 1, 2])) as tf.Tensor4D);
      image.dispose();
      await tf.nextFrame();
    }
    if (images.length === 1) return images[0];
    const out = tf.concat(images, 0);
    tf.dispose(images);
    return out;
  }

  /** Frees every weight; the instance cannot be used afterwards. */
  dispose(): void {
    this.weights.dispose();
    if (this.latentStats) tf.dispose([this.latentStats.mean, this.latentStats.std]);
    this.disposed = true;
  }

  private checkAlive(what: string): void {
    if (this.disposed) throw new Error(`AutoencoderKL.${what}: the model was disposed`);
  }
}
