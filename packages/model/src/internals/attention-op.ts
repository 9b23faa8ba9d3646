import * as tf from '@tensorflow/tfjs-core';
import { softmaxBackward, transposeEach, type AttentionHeads } from './fused-kernels.js';

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

/** Per-head gradients: of the scaled queries [N, d], of the transposed keys [d, N], of the values transposed [d, N]. */
export interface AttentionGradients {
  dQueries: tf.Tensor2D[];
  dKeysT: tf.Tensor2D[];
  dValuesT: tf.Tensor2D[];
}

/**
 * Backward pass of {@link attentionForward} from the output gradient per head, given both as
 * [N, d] and transposed [d, N] (rowsToHeads makes both in one pass). Each head's probabilities
 * are recomputed from q and k rather than kept from the forward pass: one extra q k^T per head
 * buys O(N d) instead of O(N^2) saved memory per head. No product needs a transposed [N, N]:
 *   dP = dO V^T, dS = softmax'(dP), dQ_s = dS K, dK^T = Q_s^T dS, dV^T = dO^T P.
 * (dK = dS^T Q_s and dV = P^T dO, with [N, N] x [N, d] products, measured slower: the two
 * [N, N] transposes cost more than the products gain.)
 */
export function attentionBackward(heads: AttentionHeads, dOutputs: tf.Tensor2D[], dOutputsT: tf.Tensor2D[]): AttentionGradients {
  const dQueries: tf.Tensor2D[] = [];
  const dKeysT: tf.Tensor2D[] = [];
  const dValuesT: tf.Tensor2D[] = [];
  heads.queries.forEach((q, g) => {
    const [dq, dkT, dvT] = tf.tidy(() => {
      const kT = heads.keysT[g];
      // The small [N, d] <-> [d, N] transposes, all three in one kernel call.
      const [keys, queriesT, valuesT] = transposeEach([kT, q, heads.values[g]]);
      // [N, N] temporaries are released as soon as used: at most three are alive at once.
      const probabilities = tf.tidy(() => tf.softmax(tf.matMul(q, kT))) as tf.Tensor2D;
      const dProbabilities = tf.matMul(dOutputs[g], valuesT) as tf.Tensor2D;
      const dScores = softmaxBackward(probabilities, dProbabilities);
      dProbabilities.dispose();
      const dvTHead = tf.matMul(dOutputsT[g], probabilities);
      probabilities.dispose();
      return [tf.matMul(dScores, keys), tf.matMul(queriesT, dScores), dvTHead] as tf.Tensor2D[];
    });
    dQueries.push(dq);
    dKeysT.push(dkT);
    dValuesT.push(dvT);
  });
  return { dQueries, dKeysT, dValuesT };
}
