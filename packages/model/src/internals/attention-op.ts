import * as tf from '@tensorflow/tfjs-core';
import { deviceBufferLimits, largestBufferBytes } from './device-limits.js';
import { softmaxBackward, transposeEach, type AttentionHeads } from './fused-kernels.js';
import { plainProductsOnly } from './products.js';

/** Native and GPU backends batch heads whose score maps together hold at most this many floats (16 MB). */
export const BATCHED_SCORE_FLOATS = 2 ** 22;

const FLOAT_BYTES = 4;

/**
 * Floats one batched score map may hold on the active backend: {@link BATCHED_SCORE_FLOATS}, or
 * less where a WebGPU device cannot bind that many bytes in one buffer (device-limits.ts).
 */
export function scoreChunkFloats(): number {
  const limits = deviceBufferLimits();
  return limits ? Math.min(BATCHED_SCORE_FLOATS, Math.floor(largestBufferBytes(limits) / FLOAT_BYTES)) : BATCHED_SCORE_FLOATS;
}

/**
 * How the score maps are cut: `heads` heads at a time, each over `rows` query rows at a time.
 * Whole heads are batched while one head's [N, N] map fits `scoreFloats`; past that one head
 * at a time, in blocks of query rows (softmax is per row, so rows split exactly).
 */
export function scoreChunking(tokens: number, scoreFloats: number): { heads: number; rows: number } {
  if (tokens * tokens <= scoreFloats) return { heads: Math.floor(scoreFloats / (tokens * tokens)), rows: tokens };
  return { heads: 1, rows: Math.max(1, Math.floor(scoreFloats / tokens)) };
}

/** [start, end) ranges of `size` from 0 to `count`. */
function ranges(count: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < count; start += size) out.push([start, Math.min(count, start + size)]);
  return out;
}

/** Runs `f` on the stacked operands of each chunk of heads and unstacks its outputs into per-head lists. */
function perChunk(lists: tf.Tensor2D[][], heads: number, f: (stacked: tf.Tensor3D[]) => tf.Tensor3D[]): tf.Tensor2D[][] {
  const outputs: tf.Tensor2D[][] = [];
  for (const [start, end] of ranges(lists[0].length, heads)) {
    const results = tf.tidy(() => f(lists.map((list) => tf.stack(list.slice(start, end)) as tf.Tensor3D)).map((r) => tf.unstack(r) as tf.Tensor2D[]));
    results.forEach((perHead, i) => (outputs[i] ??= []).push(...perHead));
  }
  return outputs;
}

/** One head's attention output [N, d], its score map computed `rows` query rows at a time. */
function rowBlocksForward(q: tf.Tensor2D, kT: tf.Tensor2D, v: tf.Tensor2D, rows: number): tf.Tensor2D {
  const [tokens, headDim] = q.shape;
  const blocks = ranges(tokens, rows).map(([start, end]) =>
    tf.tidy(() => tf.matMul(tf.softmax(tf.matMul(tf.slice(q, [start, 0], [end - start, headDim]), kT)), v)),
  );
  const out = tf.concat(blocks, 0) as tf.Tensor2D;
  tf.dispose(blocks);
  return out;
}

/** One head's [dQ_s, dK^T, dV^T] from dO, `rows` query rows at a time; dK^T and dV^T sum over the blocks. */
function rowBlocksBackward(q: tf.Tensor2D, kT: tf.Tensor2D, v: tf.Tensor2D, dO: tf.Tensor2D, rows: number): tf.Tensor2D[] {
  const [tokens, headDim] = q.shape;
  const dQueryBlocks: tf.Tensor2D[] = [];
  let dKeysT: tf.Tensor2D | undefined;
  let dValuesT: tf.Tensor2D | undefined;
  for (const [start, end] of ranges(tokens, rows)) {
    const [dq, dkT, dvT] = tf.tidy(() => {
      const qRows = tf.slice(q, [start, 0], [end - start, headDim]);
      const dORows = tf.slice(dO, [start, 0], [end - start, headDim]);
      const probabilities = tf.softmax(tf.matMul(qRows, kT));
      const dScores = softmaxBackward(probabilities, tf.matMul(dORows, v, false, true));
      return [tf.matMul(dScores, kT, false, true), tf.matMul(qRows, dScores, true, false), tf.matMul(dORows, probabilities, true, false)] as tf.Tensor2D[];
    });
    dQueryBlocks.push(dq);
    const [sumK, sumV] = [dKeysT, dValuesT];
    dKeysT = sumK ? (tf.add(sumK, dkT) as tf.Tensor2D) : dkT;
    dValuesT = sumV ? (tf.add(sumV, dvT) as tf.Tensor2D) : dvT;
    if (sumK) tf.dispose([sumK, sumV!, dkT, dvT]);
  }
  const dQueries = tf.concat(dQueryBlocks, 0) as tf.Tensor2D;
  tf.dispose(dQueryBlocks);
  return [dQueries, dKeysT!, dValuesT!];
}

/**
 * Scaled dot-product attention: per head softmax(q_s k^T) v, with q_s the queries already
 * multiplied by the scale and k^T the keys already transposed (qkvToHeads).
 *
 * On wasm (and cpu) one head at a time: every product is a 2-D matMul with non-transposed
 * operands (the wasm fast path; a batched or transposed matMul is 8-17x slower there), and each
 * head runs in its own tidy, so only one [N, N] score map is alive at a time. Native and GPU
 * backends batch the heads instead, in chunks whose score maps stay under `scoreFloats`
 * (16 MB, or a WebGPU device's binding limit when smaller: scoreChunkFloats); a head whose own
 * map is larger runs in blocks of query rows.
 */
export function attentionForward({ queries, keysT, values }: AttentionHeads, scoreFloats = scoreChunkFloats()): tf.Tensor2D[] {
  if (!plainProductsOnly()) {
    const chunking = scoreChunking(queries[0].shape[0], scoreFloats);
    if (chunking.rows < queries[0].shape[0]) return queries.map((q, g) => rowBlocksForward(q, keysT[g], values[g], chunking.rows));
    return perChunk([queries, keysT, values], chunking.heads, ([q, kT, v]) => [tf.matMul(tf.softmax(tf.matMul(q, kT)), v)])[0];
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
 * backends, products.ts) the heads are batched in chunks (or split in query rows) as in
 * {@link attentionForward}, and the products take matMul's transpose flags.
 */
export function attentionBackward(heads: AttentionHeads, dOutputs: tf.Tensor2D[], dOutputsT?: tf.Tensor2D[], scoreFloats = scoreChunkFloats()): AttentionGradients {
  if (!dOutputsT) {
    const chunking = scoreChunking(heads.queries[0].shape[0], scoreFloats);
    if (chunking.rows < heads.queries[0].shape[0]) {
      const perHead = heads.queries.map((q, g) => rowBlocksBackward(q, heads.keysT[g], heads.values[g], dOutputs[g], chunking.rows));
      return { dQueries: perHead.map((h) => h[0]), dKeysT: perHead.map((h) => h[1]), dValuesT: perHead.map((h) => h[2]) };
    }
    const [dQueries, dKeysT, dValuesT] = perChunk([heads.queries, heads.keysT, heads.values, dOutputs], chunking.heads, ([q, kT, v, dO]) => {
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
