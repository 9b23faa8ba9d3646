import type * as tf from '@tensorflow/tfjs-core';

/** Text prompts to token embeddings, as the DiT consumes them. */
export interface TextEncoder {
  /** Embedding width (1152 for T5Gemma 2 1b-1b). */
  readonly dim: number;
  /** Sequences are padded or truncated to this many tokens. */
  readonly maxLength: number;
  /** A short identifier recorded in caches (e.g. the model id). */
  readonly id: string;
  /** embeddings [B, maxLength, dim] float32; attentionMask [B, maxLength] int32 (1 = token, 0 = padding). */
  encode(prompts: string[]): Promise<{ embeddings: tf.Tensor3D; attentionMask: tf.Tensor2D }>;
  dispose(): void;
}

export interface EncodeImageOptions {
  /** 'sample' draws from the posterior (as the original's preprocessing did); 'mean' takes its mean. Default 'sample'. */
  mode?: 'sample' | 'mean';
  /** Seed for the posterior sample. Default 0. */
  seed?: number;
  /**
   * The standard normal noise of the posterior sample, NCHW of the posterior's shape, or a
   * function giving it for that shape (so a caller can draw each image's noise from its own seed,
   * independent of how images are batched). Used by autoencoders with a posterior in mode
   * 'sample'; others ignore it. Default: normals from `seed`.
   */
  noise?: tf.Tensor4D | ((shape: [number, number, number, number]) => tf.Tensor4D);
}

/** Images to scaled latents and back. */
export interface ImageAutoencoder {
  readonly latentChannels: number;
  /** Spatial reduction: latent H = image H / downsample. */
  readonly downsample: number;
  /** Latents returned by `encode` are raw latents times this factor; `decode` divides it out. */
  readonly scalingFactor: number;
  /** A short identifier recorded in caches (e.g. the model id). */
  readonly id: string;
  /** images [B, 3, H, W] in [-1, 1] -> scaled latents [B, latentChannels, H/downsample, W/downsample]. */
  encode(images: tf.Tensor4D, options?: EncodeImageOptions): Promise<tf.Tensor4D>;
  /** scaled latents [B, C, h, w] -> images [B, 3, h*downsample, w*downsample], roughly in [-1, 1]. */
  decode(latents: tf.Tensor4D): Promise<tf.Tensor4D>;
  dispose(): void;
}
