import * as tf from '@tensorflow/tfjs-core';
import { softmaxBackward, transposeEach, type AttentionHeads } from './fused-kernels.js';
import { plainProductsOnly } from './products.js';

/** Native and GPU backends batch heads whose score maps together hold at most this many floats (16 MB). */
export const BATCHED_SCORE_FLOATS = 2 ** 22;

/** [start, end) ranges of heads, each batched into one product on native and GPU backends. */
function headChunks(groups: number, tokens: number, scoreFloats: number): [number, number][] {
  const size = Math.max(1, Math.floor(scoreFloats / (tokens * tokens)));
  const chunks: [number, number][] = [];
  for (let start = 0; start < groups; start += size) chunks.push([start, Math.min(groups, start + size)]);
  return chunks;
}

/** Runs `f` on the stacked operands of each chunk of heads and unstacks its outputs into per-head lists. */
function perChunk(lists: tf.Tensor2D[][], scoreFloats: number, f: (stacked: tf.Tensor3D[]) => tf.Tensor3D[]): tf.Tensor2D[][] {
  const [tokens] = lists[0][0].shape;
  const outputs: tf.Tensor2D[][] = [];
  for (const [start, end] of headChunks(lists[0].length, tokens, scoreFloats)) {
    const results = tf.tidy(() => f(lists.map((list) => tf.stack(list.slice(start, end)) as tf.Tensor3D)).map((r) => tf.unstack(r) as tf.Tensor2D[]));
    results.forEach((perHead, i) => (outputs[i] ??= []).push(...perHead));
  }
  return outputs;
}

/**
 * Scaled dot-product attention: per head softmax(q_s k^T) v, with q_s the queries already
 * multiplied by the scale and k^T the keys already transposed (qkvToHeads).
 *
 * On wasm (and cpu) one head at a time: every product is a 2-D matMul with non-transposed
 * operands (the wasm fast path; a batched or transposed matMul is 8-17x slower there), and each
 * head runs in its own tidy, so only one [N, N] score map is alive at a time. Native and GPU
 * backends batch the heads instead, in chunks whose score maps stay under 16 MB.
 */
export function attentionForward({ queries, keysT, values }: AttentionHeads, scoreFloats = BATCHED_SCORE_FLOATS): tf.Tensor2D[] {
  if (!plainProductsOnly()) {
    return perChunk([queries, keysT, values], scoreFloats, ([q, kT, v]) => [tf.matMul(tf.softmax(tf.matMul(q, kT)), v)])[0];
  }
  return queries.map((q, g) => tf.tidy(() => tf.matMul(tf.softmax(tf.matMul(q, keysT[g])), values[g])));
}

/** Per-head gradients: of the scaled queries [N, d], of the transposed keys [d, N], of the values transposed [d, N]. */
export interface AttentionGradients {
  dQueries: tf.Tensor2D[];
  dKeysT: tf.Tensor2D[];
  dValuesT: tf.Tensor2D[];
}

/**
 * Backward pass of {@link attentionForward} from the output gradient per head [N, d]. Each
 * head's probabilities are recomputed from q and k rather than kept from the forward pass: one
 * extra q k^T per head buys O(N d) instead of O(N^2) saved memory per head.
 *   dP = dO V^T, dS = softmax'(dP), dQ_s = dS K, dK^T = Q_s^T dS, dV^T = dO^T P.
 * With `dOutputsT` (each dO transposed, [d, N]: rowsToHeads makes both in one pass) every
 * product is 2-D with untransposed operands, the wasm fast path, and no [N, N] is ever
 * transposed (dK = dS^T Q_s and dV = P^T dO, with [N, N] x [N, d] products, measured slower:
 * the two [N, N] transposes cost more than the products gain). Without it (native and GPU
 * backends, products.ts) the heads are batched in chunks and the products take matMul's
 * transpose flags.
 */
export function attentionBackward(heads: AttentionHeads, dOutputs: tf.Tensor2D[], dOutputsT?: tf.Tensor2D[], scoreFloats = BATCHED_SCORE_FLOATS): AttentionGradients {
  if (!dOutputsT) {
    const [dQueries, dKeysT, dValuesT] = perChunk([heads.queries, heads.keysT, heads.values, dOutputs], scoreFloats, ([q, kT, v, dO]) => {
      const probabilities = tf.softmax(tf.matMul(q, kT));
      const dScores = softmaxBackward(probabilities, tf.matMul(dO, v, false, true));
      return [tf.matMul(dScores, kT, false, true), tf.matMul(q, dScores, true, false), tf.matMul(dO, probabilities, true, false)];
    });
    return { dQueries, dKeysT, dValuesT };
  }
  const dQueries: tf.Tensor2D[] = [];
  const dKeysT: tf.Tensor2D[] = [];
  const dValuesT: tf.Tensor2D[] = [];
  heads.queries.forEach((q, g) => {
    const [dq, dkT, dvT] = tf.tidy(() => {
      const kT = heads.keysT[g];
      const dO = dOutputs[g];
      // [N, N] temporaries are released as soon as used: at most three are alive at once.
      const probabilities = tf.tidy(() => tf.softmax(tf.matMul(q, kT))) as tf.Tensor2D;
      // The small [N, d] <-> [d, N] transposes, all three in one kernel call.
      const [keys, queriesT, valuesT] = transposeEach([kT, q, heads.values[g]]);
      const dProbabilities = tf.matMul(dO, valuesT) as tf.Tensor2D;
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
