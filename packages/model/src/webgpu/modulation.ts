import type * as tf from '@tensorflow/tfjs-core';

/**
 * Which adaLN vectors a kernel reads: the modulation [B, 6D] holds, per sample,
 * shift1, scale1, gate1, shift2, scale2, gate2 (SPEC section 2, step 4), chunk k at
 * columns k * D .. (k + 1) * D. Token rows b * tokens + n take sample b's vectors.
 */
export interface AdaLNModulation {
  /** [B, 6D]. */
  modulation: tf.Tensor2D;
  /** Tokens per sample N (rows per sample). */
  tokens: number;
}

/** Chunk indices of the modulation, in SPEC order. */
export const ADALN_CHUNK = { shift1: 0, scale1: 1, gate1: 2, shift2: 3, scale2: 4, gate2: 5 } as const;

export type AdaLNChunk = (typeof ADALN_CHUNK)[keyof typeof ADALN_CHUNK];

/** Checks rows [B * N, D] against a modulation [B, 6D]; returns B. */
export function checkModulation(rows: tf.Tensor, { modulation, tokens }: AdaLNModulation, where: string): number {
  const [total, width] = rows.shape;
  const batch = modulation.shape[0];
  if (rows.rank !== 2 || width % 4 !== 0) throw new Error(`${where}: rows must be [T, D] with D a multiple of 4, found [${rows.shape.join(', ')}]`);
  if (modulation.rank !== 2 || modulation.shape[1] !== 6 * width) {
    throw new Error(`${where}: modulation must be [B, ${6 * width}] (6 x D), found [${modulation.shape.join(', ')}]`);
  }
  if (total !== batch * tokens) throw new Error(`${where}: rows (${total}) must be B * tokens = ${batch} * ${tokens}`);
  return batch;
}

/** WGSL: vec4 `c` of chunk `chunk` of sample `b`'s modulation (an input named `modulation`, vec4). */
export const modulationRead = (b: string, chunk: string, c: string) => `modulation[(${b}) * 6 * ROW_VECTORS + (${chunk}) * ROW_VECTORS + (${c})]`;
