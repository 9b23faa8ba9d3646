import * as tf from '@tensorflow/tfjs-core';
import { softmaxBackward, transpose2d, transposeEach, type AttentionHeads } from './fused-kernels.js';

/**
 * Scaled dot-product attention, one head at a time: per head softmax(q_s k^T) v, with q_s the
 * queries already multiplied by the scale and k^T the keys already transposed (qkvToHeads).
 *
 * Every product is a 2-D matMul with non-transposed operands (the wasm fast path; a batched
 * or transposed matMul is 8-17x slower there), and each head runs in its own tidy, so only
 * one [N, N] score map is alive at a time.
 */
export function attentionForward({ queries, keysT, values }: AttentionHeads): tf.Tensor2D[] {
  return queries.map((q, g) => tf.tidy(() => tf.matMul(tf.softmax(tf.matMul(q, keysT[g])), values[g])));
}

/** Per-head gradients [N, d]: of the scaled queries, of the keys (not transposed) and of the values. */
export interface AttentionGradients {
  dQueries: tf.Tensor2D[];
  dKeys: tf.Tensor2D[];
  dValues: tf.Tensor2D[];
}

/**
 * Backward pass of {@link attentionForward} from the output gradient of each head [N, d].
 * Each head's probabilities are recomputed from q and k rather than kept from the forward
 * pass: one extra q k^T per head buys O(N d) instead of O(N^2) saved memory per head.
 *   dP = dO V^T, dS = softmax'(dP), dQ_s = dS K, dK = dS^T Q_s, dV = P^T dO.
 * Every product is 2-D and non-transposed, and each has the long N side as its output rows:
 * XNNPACK runs [N, N] x [N, d] about twice as fast as [d, N] x [N, N] (docs/performance.md),
 * which pays for transposing P and dS (one blocked pass each).
 */
export function attentionBackward(heads: AttentionHeads, dOutputs: tf.Tensor2D[]): AttentionGradients {
  const dQueries: tf.Tensor2D[] = [];
  const dKeys: tf.Tensor2D[] = [];
  const dValues: tf.Tensor2D[] = [];
  heads.queries.forEach((q, g) => {
    const [dq, dk, dv] = tf.tidy(() => {
      const kT = heads.keysT[g];
      const dO = dOutputs[g];
      // The small [N, d] <-> [d, N] transposes, both in one kernel call.
      const [keys, valuesT] = transposeEach([kT, heads.values[g]]);
      // [N, N] temporaries are released as soon as used: at most three are alive at once.
      const probabilities = tf.tidy(() => tf.softmax(tf.matMul(q, kT))) as tf.Tensor2D;
      const dProbabilities = tf.matMul(dO, valuesT) as tf.Tensor2D;
      const dScores = softmaxBackward(probabilities, dProbabilities);
      dProbabilities.dispose();
      const dvHead = tf.tidy(() => tf.matMul(transpose2d(probabilities), dO));
      probabilities.dispose();
      const dqHead = tf.matMul(dScores, keys);
      const dkHead = tf.tidy(() => tf.matMul(transpose2d(dScores), q));
      return [dqHead, dkHead, dvHead] as tf.Tensor2D[];
    });
    dQueries.push(dq);
    dKeys.push(dk);
    dValues.push(dv);
  });
  return { dQueries, dKeys, dValues };
}
