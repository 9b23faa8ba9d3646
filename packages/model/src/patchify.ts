import * as tf from '@tensorflow/tfjs-core';

/**
 * x [B, C, H, W] -> patch tokens [B * (H/p) * (W/p), C * p * p], tokens in row-major grid
 * order, each patch flattened channel-major (c, py, px) as the PyTorch original
 * (SPEC section 2, step 1) - this order is what makes x_embedder weights exchangeable.
 */
export function patchify(x: tf.Tensor4D, patchSize: number): tf.Tensor2D {
  const [batch, channels, height, width] = x.shape;
  const p = patchSize;
  const gridHeight = height / p;
  const gridWidth = width / p;
  return tf.tidy(() => {
    // [B, C, h, p, w, p] -> [B, h, w, C, p, p]; latents are small, so one 6-D permutation is cheap.
    const six = tf.reshape(x, [batch, channels, gridHeight, p, gridWidth, p]);
    return tf.reshape(tf.transpose(six, [0, 2, 4, 1, 3, 5]), [batch * gridHeight * gridWidth, channels * p * p]) as tf.Tensor2D;
  });
}

/** Inverse of {@link patchify}: tokens [B * h * w, C * p * p] -> [B, C, H, W]. */
export function unpatchify(tokens: tf.Tensor2D, shape: { batch: number; channels: number; height: number; width: number; patchSize: number }): tf.Tensor4D {
  const { batch, channels, height, width, patchSize: p } = shape;
  const gridHeight = height / p;
  const gridWidth = width / p;
  return tf.tidy(() => {
    const six = tf.reshape(tokens, [batch, gridHeight, gridWidth, channels, p, p]);
    return tf.reshape(tf.transpose(six, [0, 3, 1, 4, 2, 5]), [batch, channels, height, width]) as tf.Tensor4D;
  });
}
