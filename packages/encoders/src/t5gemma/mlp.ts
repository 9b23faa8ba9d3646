import * as tf from '@tensorflow/tfjs-core';
import type { HiddenActivation } from './config.js';

/** Gated MLP weights, stored [in, out] for plain 2-D matmuls. */
export interface MlpWeights {
  gate: tf.Tensor2D;
  up: tf.Tensor2D;
  down: tf.Tensor2D;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation (PyTorch `gelu(approximate='tanh')`) or exact erf form. */
export function gelu(x: tf.Tensor, activation: HiddenActivation): tf.Tensor {
  return tf.tidy(() => {
    if (activation === 'gelu') return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), SQRT_2_OVER_PI);
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
  });
}

/** down(gelu(gate(x)) * up(x)) for x [N, hidden] (SPEC section 7). */
export function gatedMlp(x: tf.Tensor2D, weights: MlpWeights, activation: HiddenActivation): tf.Tensor2D {
  return tf.tidy(() => {
    const gated = tf.mul(gelu(tf.matMul(x, weights.gate), activation), tf.matMul(x, weights.up));
    return tf.matMul(gated as tf.Tensor2D, weights.down);
  });
}
