import * as tf from '@tensorflow/tfjs-core';

/** Added to the scores of keys a query may not see; finite so that fully masked rows stay NaN-free. */
export const MASKED_SCORE = -1e9;

/**
 * Whether query q may see key k in the encoder's sliding window. The bidirectional encoder
 * splits the window around the query as transformers' `sliding_window_mask_function(w, is_causal=False)`
 * does: keys q - (ceil(w/2) - 1) .. q + floor(w/2), so w = 512 reaches 255 back and 256 ahead.
 */
export function slidingWindowAllows(query: number, key: number, window: number): boolean {
  const left = Math.floor((window + 1) / 2);
  const right = Math.floor(window / 2) + 1;
  const distance = query - key;
  return distance >= 0 ? distance < left : -distance < right;
}

export interface AttentionBias {
  /** [B, 1, L, L]: 0 where query i may see key j, MASKED_SCORE elsewhere; null when nothing is masked. */
  bias: tf.Tensor4D | null;
  /**
   * [B, 1, L, 1]: 0 for queries that see no key at all, else 1; null when every query sees a key.
   * PyTorch's SDPA (transformers' default) returns zeros for such rows, so we zero their weights.
   */
  rowValid: tf.Tensor4D | null;
}

/**
 * Bidirectional attention bias from the key padding mask [B, L] (1 = token) and, for sliding
 * layers, the window. Positions are not causal: every query sees every unmasked key in reach.
 */
export function attentionBias(keyMask: Int32Array, batch: number, length: number, window: number | null): AttentionBias {
  const windowMatters = window !== null && !(length - 1 < Math.floor((window + 1) / 2) && length - 1 <= Math.floor(window / 2));
  const bias = new Float32Array(batch * length * length);
  const rowValid = new Float32Array(batch * length);
  let anyMasked = false;
  let anyEmptyRow = false;
  for (let b = 0; b < batch; b++) {
    for (let q = 0; q < length; q++) {
      let seen = 0;
      const row = (b * length + q) * length;
      for (let k = 0; k < length; k++) {
        const allowed = keyMask[b * length + k] !== 0 && (!windowMatters || slidingWindowAllows(q, k, window!));
        if (allowed) seen++;
        else {
          bias[row + k] = MASKED_SCORE;
          anyMasked = true;
        }
      }
      rowValid[b * length + q] = seen > 0 ? 1 : 0;
      if (seen === 0) anyEmptyRow = true;
    }
  }
  return {
    bias: anyMasked ? tf.tensor4d(bias, [batch, 1, length, length]) : null,
    rowValid: anyEmptyRow ? tf.tensor4d(rowValid, [batch, 1, length, 1]) : null,
  };
}
