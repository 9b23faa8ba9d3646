import * as tf from '@tensorflow/tfjs-core';

/** Width of the sinusoidal timestep features (SPEC section 2, step 3). */
export const TIMESTEP_FEATURES = 256;

/**
 * Sinusoidal features of t [B] (used as given, in [0, 1]): first half cos, second half sin,
 * freqs_i = exp(-ln(10000) * i / (dim / 2)) (SPEC section 2, step 3). Returns [B, dim].
 */
export function timestepEmbedding(t: tf.Tensor1D, dim = TIMESTEP_FEATURES): tf.Tensor2D {
  return tf.tidy(() => {
    const half = dim / 2;
    const freqs = Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
    const args = tf.mul(tf.reshape(tf.cast(t, 'float32'), [-1, 1]), tf.tensor2d(freqs, [1, half]));
    return tf.concat([tf.cos(args), tf.sin(args)], 1) as tf.Tensor2D;
  });
}
