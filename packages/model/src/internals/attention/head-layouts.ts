import * as tf from '@tensorflow/tfjs-core';
import { applyRope, applyRopeBackward, type RopeTables } from '../../rope.js';
import { headsToQkvGradientKernel, headsToRowsKernel, qkvToHeadsKernel, rowsToHeadsKernel } from '../kernels/head-layout-kernels.js';
import { runFused } from '../kernels/registry.js';

/**
 * Moving attention operands between token rows and heads. Rows are tokens of [B * N, ...]
 * (sample-major); heads are groups g = sample * heads + head; a head's slice of a row is the
 * columns head * headDim .. (head + 1) * headDim. On wasm and cpu each is one fused kernel
 * (kernels/head-layout-kernels.ts); elsewhere the tfjs ops below give the same results.
 */

export interface HeadLayout {
  batch: number;
  heads: number;
}

/** Per-head attention operands: RoPE-rotated, scaled queries [N, d], rotated keys transposed [d, N], values [N, d]. */
export interface AttentionHeads {
  queries: tf.Tensor2D[];
  keysT: tf.Tensor2D[];
  values: tf.Tensor2D[];
}

/**
 * qkv [B * N, 3D] (columns [q | k | v], each head-major: PyTorch's (B, N, 3, heads, d) view)
 * -> per head: queries rotated by RoPE and multiplied by `scale` [N, d], keys rotated and
 * transposed [d, N], values [N, d].
 */
export function qkvToHeads(qkv: tf.Tensor2D, rope: RopeTables, layout: HeadLayout, scale: number): AttentionHeads {
  const { batch, heads } = layout;
  const groups = batch * heads;
  const fused = runFused(qkvToHeadsKernel, [qkv, rope.cos, rope.sin], { batch, heads, scale });
  if (fused) {
    return { queries: fused.slice(0, groups), keysT: fused.slice(groups, 2 * groups), values: fused.slice(2 * groups) } as AttentionHeads;
  }
  return tf.tidy(() => {
    const [tokens, headDim] = rope.cos.shape;
    const [queries, keys, values] = tf.split(qkv, 3, 1).map((part) => tf.reshape(part, [batch, tokens, heads, headDim]) as tf.Tensor4D);
    const perHead = (x: tf.Tensor4D, order: number[]) => tf.unstack(tf.reshape(tf.transpose(x, order), [groups, x.shape[order[2]], x.shape[order[3]]])) as tf.Tensor2D[];
    return {
      queries: perHead(tf.mul(applyRope(queries, rope), scale) as tf.Tensor4D, [0, 2, 1, 3]),
      keysT: perHead(applyRope(keys, rope), [0, 2, 3, 1]),
      values: perHead(values, [0, 2, 1, 3]),
    };
  });
}

/** Per-head [N, d] (g = sample * heads + head) -> rows [B * N, heads * d]. */
export function headsToRows(perHead: tf.Tensor2D[], layout: HeadLayout): tf.Tensor2D {
  const fused = runFused(headsToRowsKernel, perHead, { batch: layout.batch, heads: layout.heads });
  if (fused) return fused[0] as tf.Tensor2D;
  const [tokens, headDim] = perHead[0].shape;
  return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(tf.stack(perHead), [layout.batch, layout.heads, tokens, headDim]), [0, 2, 1, 3]), [layout.batch * tokens, layout.heads * headDim]) as tf.Tensor2D);
}

/**
 * Rows [B * N, heads * d] -> per head [N, d] (the inverse of headsToRows) and, where
 * `withTransposed`, also each head transposed [d, N]. The fused kernel writes both in one pass.
 */
export function rowsToHeads(rows: tf.Tensor2D, layout: HeadLayout, withTransposed = true): { plain: tf.Tensor2D[]; transposed?: tf.Tensor2D[] } {
  const { batch, heads } = layout;
  const groups = batch * heads;
  const fused = withTransposed ? runFused(rowsToHeadsKernel, [rows], { batch, heads }) : undefined;
  if (fused) return { plain: fused.slice(0, groups), transposed: fused.slice(groups) } as { plain: tf.Tensor2D[]; transposed: tf.Tensor2D[] };
  const [total, width] = rows.shape;
  const tokens = total / batch;
  const headDim = width / heads;
  const plain = tf.tidy(() => tf.unstack(tf.reshape(tf.transpose(tf.reshape(rows, [batch, tokens, heads, headDim]), [0, 2, 1, 3]), [groups, tokens, headDim]))) as tf.Tensor2D[];
  return { plain, transposed: withTransposed ? plain.map((head) => tf.transpose(head)) : undefined };
}

/**
 * The backward pass of {@link qkvToHeads}: per-head gradients of the scaled rotated queries
 * [N, d], of the rotated transposed keys [d, N] and of the values, transposed [d, N] ->
 * d(qkv) [B * N, 3D].
 */
export function headsToQkvGradient(dQueries: tf.Tensor2D[], dKeysT: tf.Tensor2D[], dValuesT: tf.Tensor2D[], rope: RopeTables, layout: HeadLayout, scale: number): tf.Tensor2D {
  const { batch, heads } = layout;
  const fused = runFused(headsToQkvGradientKernel, [...dQueries, ...dKeysT, ...dValuesT, rope.cos, rope.sin], { batch, heads, scale });
  if (fused) return fused[0] as tf.Tensor2D;
  const [tokens, headDim] = dQueries[0].shape;
  return tf.tidy(() => {
    const toRows = (perHead: tf.Tensor2D[], transposed: boolean, rotate: boolean) => {
      let stacked = tf.stack(perHead) as tf.Tensor3D; // [G, N, d] or [G, d, N]
      if (transposed) stacked = tf.transpose(stacked, [0, 2, 1]);
      let tokensFirst = tf.transpose(tf.reshape(stacked, [batch, heads, tokens, headDim]), [0, 2, 1, 3]) as tf.Tensor4D;
      if (rotate) tokensFirst = applyRopeBackward(tokensFirst, rope);
      return tf.reshape(tokensFirst, [batch * tokens, heads * headDim]);
    };
    const dQueryRows = tf.mul(toRows(dQueries, false, true), scale);
    return tf.concat([dQueryRows, toRows(dKeysT, true, true), toRows(dValuesT, true, false)], 1) as tf.Tensor2D;
  });
}

/** Every per-head tensor of the attention operands, in one list (saved for the backward pass). */
export function headTensors(heads: AttentionHeads): tf.Tensor2D[] {
  return [...heads.queries, ...heads.keysT, ...heads.values];
}

/** The inverse of {@link headTensors}. */
export function headsFromTensors(tensors: tf.Tensor[]): AttentionHeads {
  const list = tensors as tf.Tensor2D[];
  const groups = list.length / 3;
  return { queries: list.slice(0, groups), keysT: list.slice(groups, 2 * groups), values: list.slice(2 * groups) };
}
