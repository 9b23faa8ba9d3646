import type * as tf from '@tensorflow/tfjs-core';

/**
 * Maps cached (scaled) latents to what the model trains on, e.g. SPEC section 4's
 * `latent / std + offset`. @dit/flow's latent normalisation satisfies it.
 */
export interface LatentToModel {
  toModel(latent: tf.Tensor): tf.Tensor;
}

/**
 * Both directions. `toVae` inverts `toModel`: when the object carries a `scalingFactor` (as
 * @dit/flow's normalisation does) `toVae` returns raw VAE latents z = ((x - offset) * std) /
 * scalingFactor (SPEC section 4); without one it returns cached (scaled) latents.
 */
export interface LatentTransform extends LatentToModel {
  toVae(x: tf.Tensor): tf.Tensor;
  readonly scalingFactor?: number;
}
