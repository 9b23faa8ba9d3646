import type * as tf from '@tensorflow/tfjs-core';
import { toRng, type RngLike } from '@dit/core';

export interface CreateNoiseOptions {
  /** Latent shape [B, C, H, W] (any shape works). */
  shape: number[];
  /** Seed or generator; the same seed gives the same noise on every backend. */
  seed: RngLike;
}

/** Standard normal starting noise x0 for `sample`, drawn on the CPU from a seeded `Rng`. */
export function createNoise(options: CreateNoiseOptions): tf.Tensor {
  const { shape } = options;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((size) => Number.isInteger(size) && size > 0)) {
    throw new Error(`createNoise: shape must be a non-empty list of positive integers, got ${JSON.stringify(shape)}`);
  }
  return toRng(options.seed).normalTensor(shape);
}
