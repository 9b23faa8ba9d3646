import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@dit/core';
import type { SampledBatch } from '@dit/data';

/** Tensors of one batch, owned by the caller. */
export interface TrainingBatch {
  /** Cached (scaled) latents [B, C, h, w]; the trainer applies the phase's normalisation. */
  latents: tf.Tensor4D;
  /** Text embeddings [B, L, dim]. */
  text: tf.Tensor3D;
  /** [B, L] token mask; unused by the model (the original attends to padding too), disposed with the batch. */
  attentionMask?: tf.Tensor2D;
}

/**
 * What the trainer needs of a dataset. `CachedDataset` from @dit/data is one; anything shaped
 * alike (an in-memory set for tests or overfitting) works too.
 */
export interface TrainingDataset {
  readonly size: number;
  /** Per entry: its latent shape [C, h, w], and whether it is a mirrored copy made at cache time. */
  readonly entries: readonly { flipped: boolean; latentShape: readonly number[] }[];
  /**
   * A cache's manifest (`CachedDataset` has one): the text encoder and autoencoder it was made
   * with, which the trainer records in its final pipeline folder. Optional.
   */
  readonly manifest?: { readonly settings: { readonly textEncoder: string; readonly autoencoder: string; readonly downsample: number } };
  /** Dataset indices per bucket key. */
  bucketIndices(): Map<string, number[]>;
  /**
   * Loads a batch from one bucket, mirroring samples left-right at random (from `rng`) when
   * `flip` is set. The trainer passes `textDropout: 0` and applies dropout and the phase's
   * latent normalisation itself, so open a `CachedDataset` without `latentTransform`.
   */
  loadBatch(batch: SampledBatch, options: { flip: boolean; textDropout: number; rng: Rng }): Promise<TrainingBatch>;
}

/**
 * The buckets a phase draws from. Mirrored copies made at cache time (SPEC section 5) are used
 * only by phases with `flip` on; when a cache has none, those phases mirror at load time instead
 * (as the original's training script did).
 */
export function phaseBuckets(dataset: TrainingDataset, flip: boolean): { buckets: Map<string, number[]>; flipAtLoad: boolean; items: number } {
  const hasCachedFlips = dataset.entries.some((entry) => entry.flipped);
  const buckets = new Map<string, number[]>();
  for (const [key, indices] of dataset.bucketIndices()) {
    const kept = flip ? indices : indices.filter((i) => !dataset.entries[i].flipped);
    if (kept.length > 0) buckets.set(key, kept);
  }
  const items = [...buckets.values()].reduce((n, indices) => n + indices.length, 0);
  return { buckets, flipAtLoad: flip && !hasCachedFlips, items };
}

