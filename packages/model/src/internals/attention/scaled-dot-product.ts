import * as tf from '@tensorflow/tfjs-core';
import { transposeEach } from '../kernels/transpose.js';
import { plainProductsOnly } from '../products.js';
import type { AttentionHeads } from './head-layouts.js';
import { softmaxBackward } from './softmax-backward.js';

/** Native and GPU backends batch heads whose score maps together hold at most this many floats (16 MB). */
export const BATCHED_SCORE_FLOATS = 2 ** 22;

/** [start, end) ranges of heads, each batched into one product on native and GPU backends. */
function headChunks(groups: number, tokens: number, scoreFloats: number): [number, number][] {
  const size = Math.max(1, Math.floor(scoreFloats / (tokens * tokens)));
  const chunks: [number, number][] = [];
  for (let start = 0; start < groups; start += size) chunks.push([start, Math.min(groups, start + size)]);
  return chunks;
}

/** Runs `compute` on the stacked operands of each chunk of heads and unstacks its outputs into per-head lists. */
function perChunk(lists: tf.Tensor2D[][], scoreFloats: number, compute: (stacked: tf.Tensor3D[]) => tf.Tensor3D[]): tf.Tensor2D[][] {
  const [tokens] = lists[0][0].shape;
  const outputs: tf.Tensor2D[][] = [];
  for (const [start, end] of headChunks(lists[0].length, tokens, scoreFloats)) {
    const results = tf.tidy(() => compute(lists.map((list) => tf.stack(list.slice(start, end)) as tf.Tensor3D)).map((result) => tf.unstack(result) as tf.Tensor2D[]));
    results.forEach((perHead, i) => (outputs[i] ??= []).push(...perHead));
  }
  return outputs;
}

/**
 * Scaled dot-product attention: per head softmax(Q_s K^T) V, with Q_s the queries already
 * multiplied by the scale and K^T the keys already transposed (head-layouts.ts).
 *
 * On wasm (and cpu) one head at a time: every product is a 2-D matMul with non-transposed
 * operands (the wasm fast path; a batched or transposed matMul is 8-17x slower there), and each
 * head runs in its own tidy, so only one [N, N] score map is alive at a time. Native and GPU
 * backends batch the heads instead, in chunks whose score maps stay under 16 MB.
 */
export function attentionForward({ queries, keysT, values }: AttentionHeads, scoreFloats = BATCHED_SCORE_FLOATS): tf.Tensor2D[] {
  const attend = (scaledQueries: tf.Tensor, transposedKeys: tf.Tensor, headValues: tf.Tensor) => tf.matMul(tf.softmax(tf.matMul(scaledQueries, transposedKeys)), headValues);
  if (!plainProductsOnly()) return perChunk([queries, keysT, values], scoreFloats, ([chunkQueries, chunkKeysT, chunkValues]) => [attend(chunkQueries, chunkKeysT, chunkValues) as tf.Tensor3D])[0];
  return queries.map((headQueries, group) => tf.tidy(() => attend(headQueries, keysT[group], values[group]) as tf.Tensor2D));
}

/** Per-head gradients: of the scaled queries [N, d], of the transposed keys [d, N], of the values transposed [d, N]. */
export interface AttentionGradients {
  dQueries: tf.Tensor2D[];
  dKeysT: tf.Tensor2D[];
  dValuesT: tf.Tensor2D[];
}

/**
 * Backward pass of {@link attentionForward} from the output gradient per head [N, d]. Each
 * head's probabilities are recomputed from Q and K rather than kept from the forward pass: one
 * extra Q K^T per head buys O(N d) instead of O(N^2) saved memory per head.
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
    const [dQueries, dKeysT, dValuesT] = perChunk([heads.queries, heads.keysT, heads.values, dOutputs], scoreFloats, ([queries, keysT, values, dOutput]) => {
      const probabilities = tf.softmax(tf.matMul(queries, keysT));
      const dScores = softmaxBackward(probabilities, tf.matMul(dOutput, values, false, true));
      return [tf.matMul(dScores, keysT, false, true), tf.matMul(queries, dScores, true, false), tf.matMul(dOutput, probabilities, true, false)];
    });
    return { dQueries, dKeysT, dValuesT };
  }
  const gradients: AttentionGradients = { dQueries: [], dKeysT: [], dValuesT: [] };
  heads.queries.forEach((queries, group) => {
    const [dQuery, dKeyT, dValueT] = tf.tidy(() => {
      const keysT = heads.keysT[group];
      const dOutput = dOutputs[group];
      // [N, N] temporaries are released as soon as used: at most three are alive at once.
      const probabilities = tf.tidy(() => tf.softmax(tf.matMul(queries, keysT))) as tf.Tensor2D;
      // The small [N, d] <-> [d, N] transposes, all three in one kernel call.
      const [keys, queriesT, valuesT] = transposeEach([keysT, queries, heads.values[group]]);
      const dProbabilities = tf.matMul(dOutput, valuesT) as tf.Tensor2D;
      const dScores = softmaxBackward(probabilities, dProbabilities);
      dProbabilities.dispose();
      const dValuesTHead = tf.matMul(dOutputsT[group], probabilities);
      probabilities.dispose();
      return [tf.matMul(dScores, keys), tf.matMul(queriesT, dScores), dValuesTHead] as tf.Tensor2D[];
    });
    gradients.dQueries.push(dQuery);
    gradients.dKeysT.push(dKeyT);
    gradients.dValuesT.push(dValueT);
  });
  return gradients;
}
