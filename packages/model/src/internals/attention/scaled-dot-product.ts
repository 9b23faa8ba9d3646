import * as tf from '@tensorflow/tfjs-core';
import { deviceBufferLimits, largestBufferBytes, type DeviceBufferLimits } from '../device-limits.js';
import { transposeEach } from '../kernels/transpose.js';
import { plainProductsOnly } from '../products.js';
import type { AttentionHeads } from './head-layouts.js';
import { softmaxBackward } from './softmax-backward.js';

/** Native and GPU backends batch heads whose score maps together hold at most this many floats (16 MB). */
export const BATCHED_SCORE_FLOATS = 2 ** 22;

const FLOAT_BYTES = 4;

/**
 * Floats one batched score map may hold under a device's buffer limits: {@link BATCHED_SCORE_FLOATS},
 * or less where a WebGPU device cannot bind that many bytes in one buffer (device-limits.ts).
 */
export function scoreFloatsWithin(limits: DeviceBufferLimits | null): number {
  return limits ? Math.min(BATCHED_SCORE_FLOATS, Math.floor(largestBufferBytes(limits) / FLOAT_BYTES)) : BATCHED_SCORE_FLOATS;
}

/** {@link scoreFloatsWithin} the active backend's limits. */
export function scoreChunkFloats(): number {
  return scoreFloatsWithin(deviceBufferLimits());
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

/** Runs `compute` on the stacked operands of each chunk of `heads` heads and unstacks its outputs into per-head lists. */
function perChunk(lists: tf.Tensor2D[][], heads: number, compute: (stacked: tf.Tensor3D[]) => tf.Tensor3D[]): tf.Tensor2D[][] {
  const outputs: tf.Tensor2D[][] = [];
  for (const [start, end] of ranges(lists[0].length, heads)) {
    const results = tf.tidy(() => compute(lists.map((list) => tf.stack(list.slice(start, end)) as tf.Tensor3D)).map((result) => tf.unstack(result) as tf.Tensor2D[]));
    results.forEach((perHead, i) => (outputs[i] ??= []).push(...perHead));
  }
  return outputs;
}

/** One head's attention output [N, d], its score map computed `rows` query rows at a time. */
function rowBlocksForward(queries: tf.Tensor2D, keysT: tf.Tensor2D, values: tf.Tensor2D, rows: number): tf.Tensor2D {
  const [tokens, headDim] = queries.shape;
  const blocks = ranges(tokens, rows).map(([start, end]) =>
    tf.tidy(() => tf.matMul(tf.softmax(tf.matMul(tf.slice(queries, [start, 0], [end - start, headDim]), keysT)), values)),
  );
  const out = tf.concat(blocks, 0) as tf.Tensor2D;
  tf.dispose(blocks);
  return out;
}

/** One head's [dQ_s, dK^T, dV^T] from dO, `rows` query rows at a time; dK^T and dV^T sum over the blocks. */
function rowBlocksBackward(queries: tf.Tensor2D, keysT: tf.Tensor2D, values: tf.Tensor2D, dOutput: tf.Tensor2D, rows: number): tf.Tensor2D[] {
  const [tokens, headDim] = queries.shape;
  const dQueryBlocks: tf.Tensor2D[] = [];
  let dKeysT: tf.Tensor2D | undefined;
  let dValuesT: tf.Tensor2D | undefined;
  for (const [start, end] of ranges(tokens, rows)) {
    const [dQuery, dKeyT, dValueT] = tf.tidy(() => {
      const queryRows = tf.slice(queries, [start, 0], [end - start, headDim]);
      const dOutputRows = tf.slice(dOutput, [start, 0], [end - start, headDim]);
      const probabilities = tf.softmax(tf.matMul(queryRows, keysT));
      const dScores = softmaxBackward(probabilities, tf.matMul(dOutputRows, values, false, true));
      return [tf.matMul(dScores, keysT, false, true), tf.matMul(queryRows, dScores, true, false), tf.matMul(dOutputRows, probabilities, true, false)] as tf.Tensor2D[];
    });
    dQueryBlocks.push(dQuery);
    const [sumK, sumV] = [dKeysT, dValuesT];
    dKeysT = sumK ? (tf.add(sumK, dKeyT) as tf.Tensor2D) : dKeyT;
    dValuesT = sumV ? (tf.add(sumV, dValueT) as tf.Tensor2D) : dValueT;
    if (sumK) tf.dispose([sumK, sumV!, dKeyT, dValueT]);
  }
  const dQueries = tf.concat(dQueryBlocks, 0) as tf.Tensor2D;
  tf.dispose(dQueryBlocks);
  return [dQueries, dKeysT!, dValuesT!];
}

/**
 * Scaled dot-product attention: per head softmax(Q_s K^T) V, with Q_s the queries already
 * multiplied by the scale and K^T the keys already transposed (head-layouts.ts).
 *
 * On wasm (and cpu) one head at a time: every product is a 2-D matMul with non-transposed
 * operands (the wasm fast path; a batched or transposed matMul is 8-17x slower there), and each
 * head runs in its own tidy, so only one [N, N] score map is alive at a time. Native and GPU
 * backends batch the heads instead, in chunks whose score maps stay under `scoreFloats`
 * (16 MB, or a WebGPU device's binding limit when smaller: scoreChunkFloats); a head whose own
 * map is larger runs in blocks of query rows.
 */
export function attentionForward({ queries, keysT, values }: AttentionHeads, scoreFloats = scoreChunkFloats()): tf.Tensor2D[] {
  const attend = (scaledQueries: tf.Tensor, transposedKeys: tf.Tensor, headValues: tf.Tensor) => tf.matMul(tf.softmax(tf.matMul(scaledQueries, transposedKeys)), headValues);
  if (!plainProductsOnly()) {
    const [tokens] = queries[0].shape;
    const chunking = scoreChunking(tokens, scoreFloats);
    if (chunking.rows < tokens) return queries.map((headQueries, group) => rowBlocksForward(headQueries, keysT[group], values[group], chunking.rows));
    return perChunk([queries, keysT, values], chunking.heads, ([chunkQueries, chunkKeysT, chunkValues]) => [attend(chunkQueries, chunkKeysT, chunkValues) as tf.Tensor3D])[0];
  }
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
 * backends, products.ts) the heads are batched in chunks (or split in query rows) as in
 * {@link attentionForward}, and the products take matMul's transpose flags.
 */
export function attentionBackward(heads: AttentionHeads, dOutputs: tf.Tensor2D[], dOutputsT?: tf.Tensor2D[], scoreFloats = scoreChunkFloats()): AttentionGradients {
  if (!dOutputsT) {
    const [tokens] = heads.queries[0].shape;
    const chunking = scoreChunking(tokens, scoreFloats);
    if (chunking.rows < tokens) {
      const perHead = heads.queries.map((headQueries, group) => rowBlocksBackward(headQueries, heads.keysT[group], heads.values[group], dOutputs[group], chunking.rows));
      return { dQueries: perHead.map((head) => head[0]), dKeysT: perHead.map((head) => head[1]), dValuesT: perHead.map((head) => head[2]) };
    }
    const [dQueries, dKeysT, dValuesT] = perChunk([heads.queries, heads.keysT, heads.values, dOutputs], chunking.heads, ([queries, keysT, values, dOutput]) => {
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
