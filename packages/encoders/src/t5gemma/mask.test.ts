import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { attentionBias, MASKED_SCORE, slidingWindowAllows } from './mask.js';

/** transformers' sliding_window_mask_function(w, is_causal=False), written out. */
function pythonWindow(q: number, k: number, w: number): boolean {
  const [left, right] = [Math.floor((w + 1) / 2), Math.floor(w / 2) + 1];
  const dist = q - k;
  return (dist >= 0 && dist < left) || (dist < 0 && -dist < right);
}

describe('slidingWindowAllows', () => {
  it('matches transformers for odd and even windows', () => {
    for (const w of [1, 2, 5, 6, 7, 512]) {
      for (let q = 0; q < 40; q++) for (let k = 0; k < 40; k++) expect(slidingWindowAllows(q, k, w)).toBe(pythonWindow(q, k, w));
    }
  });

  it('reaches 255 back and 256 ahead with the 1b-1b window of 512', () => {
    expect([slidingWindowAllows(300, 45, 512), slidingWindowAllows(300, 44, 512)]).toEqual([true, false]);
    expect([slidingWindowAllows(300, 556, 512), slidingWindowAllows(300, 557, 512)]).toEqual([true, false]);
  });
});

describe('attentionBias', () => {
  it('masks padded keys for every query, and nothing else without a window', async () => {
    const { bias, rowValid } = attentionBias(new Int32Array([1, 1, 0, 1, 1, 1]), 2, 3, null);
    expect(rowValid).toBeNull();
    const m = MASKED_SCORE;
    expect([...(await bias!.data())]).toEqual([0, 0, m, 0, 0, m, 0, 0, m, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    bias!.dispose();
  });

  it('returns no bias at all when nothing is masked, even for sliding layers the window spans', () => {
    const { bias, rowValid } = attentionBias(new Int32Array(256).fill(1), 1, 256, 512);
    expect(bias).toBeNull();
    expect(rowValid).toBeNull();
  });

  it('marks queries that see no key (padding beyond the window) so their output is zero', async () => {
    // window 2: query q sees keys q and q + 1; keys 2 and 3 are padding, so queries 2 and 3 see nothing.
    const { bias, rowValid } = attentionBias(new Int32Array([1, 1, 0, 0]), 1, 4, 2);
    expect([...(await rowValid!.data())]).toEqual([1, 1, 0, 0]);
    tf.dispose([bias!, rowValid!]);
  });
});
