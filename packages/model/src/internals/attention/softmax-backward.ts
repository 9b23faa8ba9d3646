import * as tf from '@tensorflow/tfjs-core';

/**
 * dS = P * (dP - rowsum(dP * P)): the softmax Jacobian applied to dP, along the last axis of P ([R, C] or [G, R, C]).
 * Four tfjs ops on purpose: on wasm they are vectorised XNNPACK/SIMD loops, and a one-pass
 * JavaScript kernel measured ~1.8x slower on [1280, 1280] maps despite reading P and dP once.
 */
export function softmaxBackward<T extends tf.Tensor>(probabilities: T, dProbabilities: T): T {
  return tf.tidy(() => tf.mul(probabilities, tf.sub(dProbabilities, tf.sum(tf.mul(dProbabilities, probabilities), -1, true))) as T);
}
