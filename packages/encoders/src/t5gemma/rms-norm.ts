import * as tf from '@tensorflow/tfjs-core';

/**
 * Gemma RMSNorm over the last axis: x * rsqrt(mean(x^2) + eps) * (1 + w) (SPEC section 7).
 * `scale` holds 1 + w, precomputed once at load.
 */
export function rmsNorm(x: tf.Tensor, scale: tf.Tensor1D, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const meanSquare = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), scale);
  });
}
