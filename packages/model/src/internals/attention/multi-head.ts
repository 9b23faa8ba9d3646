import * as tf from '@tensorflow/tfjs-core';
import type { RopeTables } from '../../rope.js';
import { plainProductsOnly } from '../products.js';
import { headsFromTensors, headsToQkvGradient, headsToRows, headTensors, qkvToHeads, rowsToHeads } from './head-layouts.js';
import { attentionBackward, attentionForward } from './scaled-dot-product.js';

/** How the B * heads attention heads sit in the token rows, and the score scale 1/sqrt(head_dim). */
export interface AttentionLayout {
  batch: number;
  heads: number;
  scale: number;
}

/**
 * The attention of SPEC section 2 step 4, from the qkv projection's output [B * N, 3D] to the
 * merged heads [B * N, D]: q, k, v split per head, 2D RoPE on q and k (the tables leave text
 * tokens unrotated), softmax(q k^T / sqrt(head_dim)) v per head, heads merged back into rows.
 * `saved` holds what the backward pass needs (the per-head operands; see
 * scaled-dot-product.ts for why the probabilities are recomputed instead).
 */
export function multiHeadAttention(qkv: tf.Tensor2D, rope: RopeTables, layout: AttentionLayout): { attended: tf.Tensor2D; saved: tf.Tensor[] } {
  const heads = qkvToHeads(qkv, rope, layout, layout.scale);
  const perHead = attentionForward(heads);
  const attended = headsToRows(perHead, layout);
  tf.dispose(perHead);
  return { attended, saved: headTensors(heads) };
}

/** d(attended) [B * N, D] -> d(qkv) [B * N, 3D], from the tensors {@link multiHeadAttention} saved. */
export function multiHeadAttentionBackward(dAttended: tf.Tensor2D, saved: tf.Tensor[], rope: RopeTables, layout: AttentionLayout): tf.Tensor2D {
  // On wasm and cpu rowsToHeads also writes each head's gradient transposed, for untransposed products.
  const dPerHead = rowsToHeads(dAttended, layout, plainProductsOnly());
  const { dQueries, dKeysT, dValuesT } = attentionBackward(headsFromTensors(saved), dPerHead.plain, dPerHead.transposed);
  tf.dispose([...dPerHead.plain, ...(dPerHead.transposed ?? [])]);
  const dQkv = headsToQkvGradient(dQueries, dKeysT, dValuesT, rope, layout, layout.scale);
  tf.dispose([...dQueries, ...dKeysT, ...dValuesT]);
  return dQkv;
}
