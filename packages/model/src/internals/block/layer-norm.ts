import * as tf from '@tensorflow/tfjs-core';

/** PyTorch nn.LayerNorm(elementwise_affine=False, eps=1e-6), as the blocks use (SPEC section 2). */
export const LAYER_NORM_EPS = 1e-6;

/** LayerNorm over the last axis of x [T, D]: x_hat [T, D] and 1/sigma [T, 1] (kept for the backward pass). */
export function layerNormForward(x: tf.Tensor2D): { normalized: tf.Tensor2D; rstd: tf.Tensor2D } {
  return tf.tidy(() => {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), LAYER_NORM_EPS)) as tf.Tensor2D;
    return { normalized: tf.mul(centered, rstd) as tf.Tensor2D, rstd };
  });
}

/** dx = rstd * (dy - mean(dy) - x_hat * mean(dy * x_hat)), the LayerNorm backward pass. */
export function layerNormBackward(dNormalized: tf.Tensor2D, normalized: tf.Tensor2D, rstd: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const meanDy = tf.mean(dNormalized, -1, true);
    const meanDyXhat = tf.mean(tf.mul(dNormalized, normalized), -1, true);
    return tf.mul(rstd, tf.sub(tf.sub(dNormalized, meanDy), tf.mul(normalized, meanDyXhat))) as tf.Tensor2D;
  });
}
